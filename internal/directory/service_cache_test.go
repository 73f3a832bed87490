package directory_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// A service remembers the users it read or wrote and updates them without
// reading them first. Another replica (a second service over the same
// store) makes its copies old; every update must still land on the user as
// stored, and be audited as the change it made to that user.
func TestUpdateFromAnOldCopy(t *testing.T) {
	f := newFixture(t)
	replica := directory.NewService(f.store, time.Now)
	u := f.user(t, scim, "old-copy@acme.com") // remembered by f.svc

	set := func(svc *directory.Service, ifVersion int64, fn func(*directory.User) error) *directory.User {
		t.Helper()
		got, err := svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, ifVersion, fn)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	lastChanges := func() []string {
		t.Helper()
		page, err := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{TargetID: u.ID, Limit: 1})
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("ListAudit: %v, %d events", err, len(page.Events))
		}
		var keys []string
		for k := range page.Events[0].Changes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}

	set(replica, 0, func(u *directory.User) error { u.Title = "From the replica"; return nil })
	got := set(f.svc, 0, func(u *directory.User) error { u.FamilyName = "Here"; return nil })
	if got.Title != "From the replica" || got.FamilyName != "Here" || got.Version != u.Version+2 {
		t.Errorf("after an update from an old copy: title %q, family name %q, version %d; want both changes at version %d",
			got.Title, got.FamilyName, got.Version, u.Version+2)
	}
	if keys := lastChanges(); !slices.Equal(keys, []string{"name.familyName"}) {
		t.Errorf("the update from an old copy audited %v, want only what it changed", keys)
	}

	// What the old copy says is unchanged may not be: the title is set
	// back on the user as stored.
	set(replica, 0, func(u *directory.User) error { u.Title = "Changed again"; return nil })
	got = set(f.svc, 0, func(u *directory.User) error { u.Title = "From the replica"; return nil })
	if got.Title != "From the replica" || got.Version != u.Version+4 {
		t.Errorf("a change the old copy already had: title %q at version %d, want it written at %d", got.Title, got.Version, u.Version+4)
	}

	// A mutator that refuses the old copy is asked again on the user as
	// stored.
	set(replica, 0, func(u *directory.User) error { u.Enterprise.Department = "R&D"; return nil })
	got = set(f.svc, 0, func(u *directory.User) error {
		if u.Enterprise.Department != "R&D" {
			return directory.Errorf(directory.CodeInvalid, "only R&D")
		}
		u.Title = "Researcher"
		return nil
	})
	if got.Title != "Researcher" {
		t.Errorf("title %q after a mutator that refused the old copy", got.Title)
	}

	// A version pinned by the client is checked against the store, not
	// against the copy.
	set(replica, 0, func(u *directory.User) error { u.Title = "Pinned"; return nil })
	_, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, got.Version, func(u *directory.User) error { u.Title = "x"; return nil })
	if !errors.Is(err, directory.ErrStale) {
		t.Errorf("an update pinned at the copy's version after another replica's: %v, want ErrStale", err)
	}

	// A user deleted by the other replica is not found, old copy or not.
	if _, err := replica.DeleteUser(f.ctx, scim, f.org.ID, u.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error { u.Title = "Ghost"; return nil })
	if directory.ErrorCode(err) != directory.CodeNotFound {
		t.Errorf("an update of a user the replica deleted: %v, want not found", err)
	}

	// Another organization's id finds no copy to use.
	_, err = f.svc.UpdateUser(f.ctx, admin, f.other.ID, u.ID, 0, func(u *directory.User) error { u.Title = "x"; return nil })
	if directory.ErrorCode(err) != directory.CodeNotFound {
		t.Errorf("another organization's user: %v, want not found", err)
	}
}

// A delete from the service's copy of a user lands on the user as stored:
// it keeps what another replica wrote since, and a user the replica
// deleted is not found.
func TestDeleteFromAnOldCopy(t *testing.T) {
	f := newFixture(t)
	replica := directory.NewService(f.store, time.Now)
	u := f.user(t, scim, "delete-old-copy@acme.com") // remembered by f.svc
	if _, err := replica.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error { u.Title = "From the replica"; return nil }); err != nil {
		t.Fatal(err)
	}
	// The copy's version, pinned, is checked against the store.
	if _, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, u.ID, u.Version); !errors.Is(err, directory.ErrStale) {
		t.Errorf("a delete pinned at the copy's version after another replica's update: %v, want ErrStale", err)
	}
	deleted, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.svc.GetUser(f.ctx, f.org.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Deleted() || stored.Title != "From the replica" || stored.Version != u.Version+2 || deleted.Version != stored.Version {
		t.Errorf("after a delete from an old copy: status %s, title %q, version %d (returned %d); want deleted, the replica's title, version %d",
			stored.Status, stored.Title, stored.Version, deleted.Version, u.Version+2)
	}

	// A user the replica deleted, remembered live here, is not found.
	v := f.user(t, scim, "gone@acme.com")
	if _, err := replica.DeleteUser(f.ctx, scim, f.org.ID, v.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, v.ID, 0); directory.ErrorCode(err) != directory.CodeNotFound {
		t.Errorf("a delete of a user the replica deleted: %v, want not found", err)
	}
	page, err := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{TargetID: v.ID, Action: "user.delete"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 {
		t.Errorf("%d user.delete events of the user deleted once, want 1", len(page.Events))
	}
}
