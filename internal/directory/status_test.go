package directory

import (
	"fmt"
	"testing"
)

// TestTransitionMatrix checks every (from, to, authority) triple against the
// table in DESIGN.md section 3, so that a change to the rules shows up here
// as a deliberate edit of the expectations.
func TestTransitionMatrix(t *testing.T) {
	all := []Authority{AuthorityAdmin, AuthorityUser, AuthorityLogin, AuthoritySCIM, AuthorityLDAP, AuthorityEntra, AuthorityJob, AuthorityImport}
	admin := []Authority{AuthorityAdmin}
	adminDirs := []Authority{AuthorityAdmin, AuthoritySCIM, AuthorityLDAP, AuthorityEntra}
	want := map[[2]Status][]Authority{
		{StatusPending, StatusActive}:     {AuthorityUser, AuthorityAdmin},
		{StatusPending, StatusSuspended}:  adminDirs,
		{StatusPending, StatusInactive}:   {AuthorityJob},
		{StatusPending, StatusDeleted}:    adminDirs,
		{StatusActive, StatusLocked}:      {AuthorityLogin},
		{StatusActive, StatusSuspended}:   adminDirs,
		{StatusActive, StatusInactive}:    {AuthorityJob, AuthorityAdmin},
		{StatusActive, StatusDeleted}:     adminDirs,
		{StatusLocked, StatusActive}:      admin,
		{StatusLocked, StatusSuspended}:   adminDirs,
		{StatusLocked, StatusDeleted}:     adminDirs,
		{StatusSuspended, StatusActive}:   adminDirs, // directories: only their own suspension (below)
		{StatusSuspended, StatusDeleted}:  adminDirs,
		{StatusInactive, StatusActive}:    admin,
		{StatusInactive, StatusPending}:   admin, // an invitation again, for a user without a password
		{StatusInactive, StatusSuspended}: adminDirs,
		{StatusInactive, StatusDeleted}:   adminDirs,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			for _, by := range all {
				name := fmt.Sprintf("%s may move %s to %s", by, from, to)
				t.Run(name, func(t *testing.T) {
					// The status was set by the same authority, so the
					// own-suspension rule does not interfere here.
					u := &User{Status: from, StatusSetBy: by}
					err := CheckTransition(u, to, by)
					expected := from == to || contains(want[[2]Status{from, to}], by)
					if expected && err != nil {
						t.Fatalf("refused: %v", err)
					}
					if !expected && err == nil {
						t.Fatalf("allowed, want refused")
					}
				})
			}
		}
	}
}

func TestDirectoryLiftsOnlyItsOwnSuspension(t *testing.T) {
	for _, setBy := range []Authority{AuthorityAdmin, AuthorityLDAP, AuthorityEntra} {
		t.Run("scim cannot lift a suspension set by "+string(setBy), func(t *testing.T) {
			u := &User{Status: StatusSuspended, StatusSetBy: setBy}
			if err := CheckTransition(u, StatusActive, AuthoritySCIM); ErrorCode(err) != CodeForbidden {
				t.Fatalf("got %v, want forbidden", err)
			}
		})
	}
	t.Run("scim lifts its own suspension", func(t *testing.T) {
		u := &User{Status: StatusSuspended, StatusSetBy: AuthoritySCIM}
		if err := CheckTransition(u, StatusActive, AuthoritySCIM); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an admin lifts any suspension", func(t *testing.T) {
		u := &User{Status: StatusSuspended, StatusSetBy: AuthorityEntra}
		if err := CheckTransition(u, StatusActive, AuthorityAdmin); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOnlyUsersWithoutAPasswordAreInvitedAgain(t *testing.T) {
	u := &User{Status: StatusInactive, StatusSetBy: AuthorityJob}
	if err := CheckTransition(u, StatusPending, AuthorityAdmin); err != nil {
		t.Fatalf("an inactive user without a password: %v", err)
	}
	u.PasswordHash = "x"
	if err := CheckTransition(u, StatusPending, AuthorityAdmin); ErrorCode(err) != CodeInvalid {
		t.Fatalf("an inactive user with a password: got %v, want invalid", err)
	}
	if err := CheckTransition(u, StatusActive, AuthorityAdmin); err != nil {
		t.Fatalf("reactivating it: %v", err)
	}
}

func TestDirectoryStatus(t *testing.T) {
	cases := []struct {
		name       string
		status     Status
		setBy      Authority
		active     bool
		want       Status
		wantChange bool
	}{
		{"active=false suspends an active user", StatusActive, AuthorityAdmin, false, StatusSuspended, true},
		{"active=true lifts the directory's own suspension", StatusSuspended, AuthoritySCIM, true, StatusActive, true},
		{"active=true does not unban an admin's ban", StatusSuspended, AuthorityAdmin, true, StatusSuspended, false},
		{"active=true does not unlock", StatusLocked, AuthorityLogin, true, StatusLocked, false},
		{"active=true does not reactivate an inactive user", StatusInactive, AuthorityJob, true, StatusInactive, false},
		{"active=true leaves a pending user waiting for its password", StatusPending, AuthorityAdmin, true, StatusPending, false},
		{"active=true on an active user changes nothing", StatusActive, AuthoritySCIM, true, StatusActive, false},
		{"active=false suspends a locked user", StatusLocked, AuthorityLogin, false, StatusSuspended, true},
		{"a deleted user stays deleted", StatusDeleted, AuthoritySCIM, true, StatusDeleted, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := &User{Status: c.status, StatusSetBy: c.setBy}
			got, changed := StatusFromDirectory(u, c.active, AuthoritySCIM)
			if got != c.want || changed != c.wantChange {
				t.Fatalf("got (%s, %v), want (%s, %v)", got, changed, c.want, c.wantChange)
			}
		})
	}
}

func TestRestoreStatus(t *testing.T) {
	cases := []struct {
		name      string
		before    Status
		beforeBy  Authority
		by        Authority
		want      Status
		wantSetBy Authority
		wantErr   Code
	}{
		{"restores an active user to active", StatusActive, AuthoritySCIM, AuthoritySCIM, StatusActive, AuthoritySCIM, ""},
		{"a directory restore keeps an admin's ban", StatusSuspended, AuthorityAdmin, AuthoritySCIM, StatusSuspended, AuthorityAdmin, ""},
		{"a directory restore keeps a lock", StatusLocked, AuthorityLogin, AuthorityEntra, StatusLocked, AuthorityLogin, ""},
		{"an admin restore keeps the previous status too", StatusInactive, AuthorityJob, AuthorityAdmin, StatusInactive, AuthorityJob, ""},
		{"an unknown previous status restores to active", "", "", AuthorityAdmin, StatusActive, AuthorityAdmin, ""},
		{"the inactivity job may not restore", StatusActive, AuthorityAdmin, AuthorityJob, "", "", CodeForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := &User{Status: StatusDeleted, StatusBeforeDelete: c.before, StatusBeforeDeleteSetBy: c.beforeBy}
			got, setBy, err := RestoreStatus(u, c.by)
			if ErrorCode(err) != c.wantErr {
				t.Fatalf("error %v, want code %q", err, c.wantErr)
			}
			if got != c.want || setBy != c.wantSetBy {
				t.Fatalf("got (%s, %s), want (%s, %s)", got, setBy, c.want, c.wantSetBy)
			}
		})
	}
	t.Run("a live user cannot be restored", func(t *testing.T) {
		if _, _, err := RestoreStatus(&User{Status: StatusActive}, AuthorityAdmin); ErrorCode(err) != CodeInvalid {
			t.Fatalf("got %v", err)
		}
	})
}

func contains(list []Authority, a Authority) bool {
	for _, v := range list {
		if v == a {
			return true
		}
	}
	return false
}
