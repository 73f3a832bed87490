package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// testLockedUpdates covers updates of a user read with GetUserForUpdate,
// which a store may send with the commit rather than wait for.
func testLockedUpdates(t *testing.T, f *fixture) {
	org := f.org("acme")
	f.user(org, "taken@acme.example")
	u := f.user(org, "locked@acme.example")

	// Two updates in one transaction, the second rewriting the emails.
	var want *directory.User
	err := f.s.InTx(f.ctx, func(r directory.Repos) error {
		cur, err := r.Users().GetUserForUpdate(f.ctx, org.ID, u.ID)
		if err != nil {
			return err
		}
		cur.Title = "First"
		if err := r.Users().UpdateUser(f.ctx, cur, f.at(time.Hour)); err != nil {
			return err
		}
		cur.Title = "Second"
		cur.Emails = []directory.Email{{Value: "new@acme.example", Type: "home", Primary: true}}
		if err := r.Users().UpdateUser(f.ctx, cur, f.at(2*time.Hour)); err != nil {
			return err
		}
		want = cur
		return nil
	})
	must(t, "InTx with two locked updates", err)
	if want.Version != u.Version+2 {
		t.Errorf("version after two updates = %d, want %d", want.Version, u.Version+2)
	}
	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the locked updates", err)
	diff(t, "user after the locked updates", want, got)

	// A userName taken by another user fails the transaction with a
	// conflict on userName, whenever the store reports it, and writes
	// nothing of it.
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		cur, err := r.Users().GetUserForUpdate(f.ctx, org.ID, u.ID)
		if err != nil {
			return err
		}
		cur.UserName, cur.Title = "TAKEN@acme.example", "Never"
		if err := r.Users().UpdateUser(f.ctx, cur, f.at(3*time.Hour)); err != nil {
			return err
		}
		return r.Audit().AppendAudit(f.ctx, &directory.AuditEvent{
			OrgID: org.ID, Time: f.at(3 * time.Hour), ActorKind: directory.ActorSystem,
			Action: "user.update", TargetKind: "user", TargetID: u.ID,
		})
	})
	wantCode(t, "a locked update to a taken userName", err, directory.CodeConflict, "userName")
	got, err = f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the failed update", err)
	diff(t, "user after the failed update", want, got)
	page, err := f.s.Audit().ListAudit(f.ctx, org.ID, directory.AuditQuery{TargetID: u.ID})
	must(t, "ListAudit after the failed update", err)
	if len(page.Events) != 0 {
		t.Errorf("the failed transaction left %d audit events", len(page.Events))
	}

	// A new user whose userName is taken fails its transaction the same way.
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		return r.Users().CreateUser(f.ctx, f.newUser(org, "Taken@ACME.example"))
	})
	wantCode(t, "a create with a taken userName in a transaction", err, directory.CodeConflict, "userName")

	// A user of an organization that does not exist is refused, in a
	// transaction or not, and written nowhere.
	ghost := f.newUser(&directory.Org{ID: newID()}, "ghost@nowhere.example")
	wantCode(t, "CreateUser in an organization that does not exist",
		f.s.Users().CreateUser(f.ctx, ghost), directory.CodeNotFound, "")
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		return r.Users().CreateUser(f.ctx, ghost)
	})
	wantCode(t, "CreateUser in a transaction in an organization that does not exist", err, directory.CodeNotFound, "")
	_, err = f.s.Users().FindUserByUserName(f.ctx, ghost.OrgID, "ghost@nowhere.example")
	wantCode(t, "FindUserByUserName of the refused user", err, directory.CodeNotFound, "")

	// Another organization's user is not found, and locks nothing.
	other := f.org("other")
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		_, err := r.Users().GetUserForUpdate(f.ctx, other.ID, u.ID)
		return err
	})
	wantCode(t, "GetUserForUpdate of another organization's user", err, directory.CodeNotFound, "")

	// Outside a transaction it is GetUser.
	got, err = f.s.Users().GetUserForUpdate(f.ctx, org.ID, u.ID)
	must(t, "GetUserForUpdate outside a transaction", err)
	diff(t, "user read for update outside a transaction", want, got)
}

// testRaceLockedUpdates: read-for-update then update, from many
// transactions at once, never goes stale: each waits for the one before.
func testRaceLockedUpdates(t *testing.T, f *fixture) {
	org := f.org("a")
	u := f.user(org, "queued@example.com")
	errs := race(t, contenders, func(i int) error {
		return f.s.InTx(f.ctx, func(r directory.Repos) error {
			cur, err := r.Users().GetUserForUpdate(f.ctx, org.ID, u.ID)
			if err != nil {
				return err
			}
			cur.DisplayName = fmt.Sprintf("writer %d", i)
			return r.Users().UpdateUser(f.ctx, cur, f.at(time.Duration(i)*time.Second))
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v, want success", i, err)
		}
	}
	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the writers", err)
	if got.Version != u.Version+contenders {
		t.Errorf("version after %d writers = %d, want %d", contenders, got.Version, u.Version+contenders)
	}
}

// testTouchInTransaction: a group touched in a transaction comes back with
// its new version once the transaction has committed, whenever the store
// sent the statement.
func testTouchInTransaction(t *testing.T, f *fixture) {
	org := f.org("acme")
	g := f.group(org, "Team")
	u := f.user(org, "member@acme.example")
	var touched *directory.Group
	err := f.s.InTx(f.ctx, func(r directory.Repos) error {
		if _, err := r.Groups().AddMembers(f.ctx, org.ID, g.ID, []string{u.ID}); err != nil {
			return err
		}
		var err error
		touched, err = r.Groups().TouchGroup(f.ctx, org.ID, g.ID, f.at(time.Hour))
		return err
	})
	must(t, "InTx adding a member and touching the group", err)
	want := *g
	want.Version, want.UpdatedAt = g.Version+1, micro(f.at(time.Hour))
	diff(t, "group touched in a transaction", &want, touched)
	got, err := f.s.Groups().GetGroup(f.ctx, org.ID, g.ID)
	must(t, "GetGroup after the touch", err)
	diff(t, "group read after the touch", &want, got)

	// Another organization's group is not found.
	other := f.org("other")
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		_, err := r.Groups().TouchGroup(f.ctx, other.ID, g.ID, f.at(2*time.Hour))
		return err
	})
	wantCode(t, "TouchGroup of another organization's group in a transaction", err, directory.CodeNotFound, "")
	got, err = f.s.Groups().GetGroup(f.ctx, org.ID, g.ID)
	must(t, "GetGroup after the refused touch", err)
	diff(t, "group after the refused touch", &want, got)
}

// testAssumedUpdates covers updates of a user the transaction assumed
// (AssumeUser) instead of reading: they write if the user is still at the
// version assumed, and otherwise fail the whole transaction with ErrStale,
// whenever the store reports it, leaving nothing of it behind.
func testAssumedUpdates(t *testing.T, f *fixture) {
	org := f.org("acme")
	u := f.user(org, "assumed@acme.example")
	event := func(at time.Time) *directory.AuditEvent {
		return &directory.AuditEvent{OrgID: org.ID, Time: at, ActorKind: directory.ActorSystem,
			Action: "user.update", TargetKind: "user", TargetID: u.ID}
	}
	update := func(known *directory.User, title string, emails []directory.Email, at time.Time) (*directory.User, error) {
		next := known.Clone()
		next.Title, next.Emails = title, emails
		return next, f.s.InTx(f.ctx, func(r directory.Repos) error {
			r.Users().AssumeUser(known)
			if err := r.Users().UpdateUser(f.ctx, next, at); err != nil {
				return err
			}
			return r.Audit().AppendAudit(f.ctx, event(at))
		})
	}

	// At the version stored: written, emails and all.
	emails := []directory.Email{{Value: "assumed@acme.example", Type: "work", Primary: true}, {Value: "home@acme.example", Type: "home"}}
	want, err := update(u, "Assumed", emails, f.at(time.Hour))
	must(t, "an update of the user as assumed", err)
	if want.Version != u.Version+1 {
		t.Errorf("version after the update = %d, want %d", want.Version, u.Version+1)
	}
	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the assumed update", err)
	diff(t, "user after the assumed update", want, got)

	// From the old copy: the user moved on, so the transaction fails as
	// stale and neither the user, its emails nor the audit log change.
	_, err = update(u, "Stale", []directory.Email{{Value: "stale@acme.example", Type: "work", Primary: true}}, f.at(2*time.Hour))
	if !errors.Is(err, directory.ErrStale) {
		t.Errorf("an update of an old copy: %v, want ErrStale", err)
	}
	got, err = f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the stale update", err)
	diff(t, "user after the stale update", want, got)
	page, err := f.s.Audit().ListAudit(f.ctx, org.ID, directory.AuditQuery{TargetID: u.ID})
	must(t, "ListAudit after the stale update", err)
	if len(page.Events) != 1 {
		t.Errorf("audit events of the user = %d, want the one of the update that happened", len(page.Events))
	}

	// Another organization's user assumed under this id writes nothing.
	other := f.org("other")
	foreign := want.Clone()
	foreign.OrgID = other.ID
	_, err = update(foreign, "Foreign", want.Emails, f.at(3*time.Hour))
	if err == nil {
		t.Error("an update of a user assumed in another organization succeeded")
	}
	got, err = f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser after the foreign update", err)
	diff(t, "user after the foreign update", want, got)
}
