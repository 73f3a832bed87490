package directory_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

var job = directory.Actor{Kind: directory.ActorJob, ID: "inactivity", Name: "inactivity job"}

func TestDeactivateInactiveUsers(t *testing.T) {
	f := newFixture(t)
	// The fixture's users were made just now; the pass runs as of a time
	// far enough ahead for each case.
	now := time.Now()
	active := f.user(t, admin, "active@acme.com") // activated now, never logged in
	loggedIn := f.user(t, admin, "loggedin@acme.com")
	if err := f.svc.RecordLogin(f.ctx, f.org.ID, loggedIn.ID, now.AddDate(0, 0, 50)); err != nil {
		t.Fatal(err)
	}
	// Pending users (invited, no password yet): one whose invitation is
	// still valid at +91 days, one whose invitation lapsed after 7 days.
	invite := func(name string, valid int) *directory.User {
		t.Helper()
		u, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: name})
		if err != nil {
			t.Fatal(err)
		}
		l := &directory.Link{OrgID: f.org.ID, UserID: u.ID, Purpose: directory.LinkPasswordSet,
			SecretHash: "hash-" + name, ExpiresAt: now.AddDate(0, 0, valid)}
		if err := f.svc.CreateLink(f.ctx, admin, l); err != nil {
			t.Fatal(err)
		}
		return u
	}
	pending := invite("invited@acme.com", 100)
	lapsed := invite("lapsed@acme.com", 7)
	other, err := f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "other@globex.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("nobody is inactive before the organization's days", func(t *testing.T) {
		n, err := f.svc.DeactivateInactiveUsers(f.ctx, job, f.org.ID, now.AddDate(0, 0, 89))
		if err != nil || n != 0 {
			t.Fatalf("marked %d, %v", n, err)
		}
	})
	t.Run("an active user unused for 90 days is marked, by the job, with an audit event", func(t *testing.T) {
		n, err := f.svc.DeactivateInactiveUsers(f.ctx, job, f.org.ID, now.AddDate(0, 0, 91))
		if err != nil || n != 2 { // active and lapsed
			t.Fatalf("marked %d, %v", n, err)
		}
		got, _ := f.svc.GetUser(f.ctx, f.org.ID, active.ID)
		if got.Status != directory.StatusInactive || got.StatusSetBy != directory.AuthorityJob || got.StatusSetByID != "inactivity" || got.StatusReason != "no login for 90 days" {
			t.Fatalf("user %+v", got)
		}
		if diff := cmp.Diff([]string{"user.create", "user.status"}, f.auditActions(t, active.ID)); diff != "" {
			t.Fatalf("audit (-want +got):\n%s", diff)
		}
		if e := f.lastAudit(t, active.ID); e.Changes["status"] != (directory.Change{Before: "active", After: "inactive"}) {
			t.Fatalf("audit changes %+v", e.Changes)
		}
		for _, u := range []*directory.User{loggedIn, pending} {
			if got, _ := f.svc.GetUser(f.ctx, f.org.ID, u.ID); got.Status == directory.StatusInactive {
				t.Errorf("%s was marked", u.UserName)
			}
		}
		if got, _ := f.svc.GetUser(f.ctx, f.other.ID, other.ID); got.Status != directory.StatusActive {
			t.Error("another organization's user was marked")
		}
	})
	t.Run("a pending user whose invitation lapsed is marked like an active one", func(t *testing.T) {
		got, _ := f.svc.GetUser(f.ctx, f.org.ID, lapsed.ID)
		if got.Status != directory.StatusInactive || got.StatusSetBy != directory.AuthorityJob ||
			got.StatusReason != "no password set for 90 days and no valid invitation" {
			t.Fatalf("user %+v", got)
		}
		if diff := cmp.Diff([]string{"user.create", "user.link.create", "user.status"}, f.auditActions(t, lapsed.ID)); diff != "" {
			t.Fatalf("audit (-want +got):\n%s", diff)
		}
		e := f.lastAudit(t, lapsed.ID)
		if e.ActorKind != directory.ActorJob || e.ActorID != "inactivity" || e.Changes["status"] != (directory.Change{Before: "pending", After: "inactive"}) {
			t.Fatalf("audit event %+v", e)
		}
		if got, _ := f.svc.GetUser(f.ctx, f.org.ID, pending.ID); got.Status != directory.StatusPending {
			t.Fatalf("a user with a live invitation was marked %s", got.Status)
		}
	})
	t.Run("a pending user is marked once its invitation expires", func(t *testing.T) {
		n, err := f.svc.DeactivateInactiveUsers(f.ctx, job, f.org.ID, now.AddDate(0, 0, 101))
		if err != nil || n != 1 {
			t.Fatalf("marked %d, %v", n, err)
		}
		if got, _ := f.svc.GetUser(f.ctx, f.org.ID, pending.ID); got.Status != directory.StatusInactive {
			t.Fatalf("status %s", got.Status)
		}
	})
	t.Run("an admin invites a marked user that never set a password again", func(t *testing.T) {
		if _, err := f.svc.SetStatus(f.ctx, scim, f.org.ID, lapsed.ID, directory.StatusPending, ""); directory.ErrorCode(err) != directory.CodeForbidden {
			t.Fatalf("a directory re-invited: %v", err)
		}
		got, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, lapsed.ID, directory.StatusPending, "invited again")
		if err != nil || got.Status != directory.StatusPending || got.StatusSetBy != directory.AuthorityAdmin {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("a directory cannot lift the job's mark; an admin can", func(t *testing.T) {
		got, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, active.ID, 0, func(u *directory.User) error {
			u.Status, _ = directory.StatusFromDirectory(u, true, directory.AuthoritySCIM)
			return nil
		})
		if err != nil || got.Status != directory.StatusInactive {
			t.Fatalf("got %v, %v", got.Status, err)
		}
		if _, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, active.ID, directory.StatusActive, "back from leave"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the organization's own days count", func(t *testing.T) {
		if _, err := f.svc.UpdateOrg(f.ctx, admin, f.other.ID, 0, func(o *directory.Org) error { o.Settings.InactivityDays = 10; return nil }); err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.DeactivateInactiveUsers(f.ctx, job, f.other.ID, now.AddDate(0, 0, 11))
		if err != nil || n != 1 {
			t.Fatalf("marked %d, %v", n, err)
		}
	})
	t.Run("only the job and admins may mark users inactive", func(t *testing.T) {
		_, err := f.svc.DeactivateInactiveUsers(f.ctx, scim, f.org.ID, now.AddDate(1, 0, 0))
		if directory.ErrorCode(err) != directory.CodeForbidden {
			t.Fatalf("got %v", err)
		}
	})
}

func TestInactivityWarnings(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	u := f.user(t, admin, "warned@acme.com")
	claim := func(at time.Time) []string {
		t.Helper()
		users, err := f.svc.ClaimInactivityWarnings(f.ctx, f.org.ID, at, 7)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range users {
			names = append(names, u.UserName)
		}
		return names
	}
	if got := claim(now.AddDate(0, 0, 80)); len(got) != 0 {
		t.Fatalf("warned 10 days early: %v", got)
	}
	if diff := cmp.Diff([]string{"warned@acme.com"}, claim(now.AddDate(0, 0, 85))); diff != "" {
		t.Fatalf("warnings (-want +got):\n%s", diff)
	}
	if got := claim(now.AddDate(0, 0, 86)); len(got) != 0 {
		t.Fatalf("warned twice: %v", got)
	}
	if err := f.svc.ReleaseInactivityWarning(f.ctx, f.org.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"warned@acme.com"}, claim(now.AddDate(0, 0, 86))); diff != "" {
		t.Fatalf("after a release (-want +got):\n%s", diff)
	}
	if got, _ := f.svc.ClaimInactivityWarnings(f.ctx, f.org.ID, now, 0); got != nil {
		t.Fatal("warnings without warning days")
	}
}

// lastAudit returns the newest audit event about targetID.
func (f *fixture) lastAudit(t *testing.T, targetID string) *directory.AuditEvent {
	t.Helper()
	page, err := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{TargetID: targetID, Limit: 1})
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("no audit event about %s: %v", targetID, err)
	}
	return page.Events[0]
}

func TestAnAdminPassMarksActiveUsersOnly(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	active := f.user(t, admin, "active@acme.com")
	pending, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "pending@acme.com"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.DeactivateInactiveUsers(f.ctx, admin, f.org.ID, now.AddDate(0, 0, 91))
	if err != nil || n != 1 {
		t.Fatalf("marked %d, %v", n, err)
	}
	if got, _ := f.svc.GetUser(f.ctx, f.org.ID, active.ID); got.Status != directory.StatusInactive {
		t.Fatalf("active is %s", got.Status)
	}
	if got, _ := f.svc.GetUser(f.ctx, f.org.ID, pending.ID); got.Status != directory.StatusPending {
		t.Fatalf("an admin's pass marked a pending user %s", got.Status)
	}
}
