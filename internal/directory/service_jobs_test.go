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
	pending, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "invited@acme.com"})
	if err != nil {
		t.Fatal(err)
	}
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
		if err != nil || n != 1 {
			t.Fatalf("marked %d, %v", n, err)
		}
		got, _ := f.svc.GetUser(f.ctx, f.org.ID, active.ID)
		if got.Status != directory.StatusInactive || got.StatusSetBy != directory.AuthorityJob || got.StatusSetByID != "inactivity" || got.StatusReason != "no login for 90 days" {
			t.Fatalf("user %+v", got)
		}
		if diff := cmp.Diff([]string{"user.create", "user.status"}, f.auditActions(t, active.ID)); diff != "" {
			t.Fatalf("audit (-want +got):\n%s", diff)
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
