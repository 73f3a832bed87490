package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// An attribute the connector owns that changed in Roster behind its back
// (a write that bypasses the service's guard, or one made before the
// connector owned the user) is put back by the next full run, counted and
// planned as an update; what the connector does not map is left alone.
func TestAFullRunPutsBackWhatDriftedInRoster(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, slapdSeed())
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}})
		wantCounts(t, "first run", e.run(c.ID), map[string]int{"create": 10, "group_create": 2, "member_add": 3})
		full := func(r *engine.RunRequest) { r.Full = true }

		t.Log("the service refuses an admin's change of an owned attribute")
		u1 := e.user("u1@example.org")
		_, err := e.dir.UpdateUser(e.ctx, e.admin, e.org.ID, u1.ID, 0, func(u *directory.User) error { u.Title = "Boss"; return nil })
		if !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(directory.ErrorMessage(err), "Corp LDAP") {
			t.Fatalf("admin title change = %v, want a conflict naming the connector", err)
		}

		t.Log("an admin's change of what the connector does not map is no drift")
		if _, err := e.dir.UpdateUser(e.ctx, e.admin, e.org.ID, u1.ID, 0, func(u *directory.User) error {
			u.Enterprise.CostCenter = "CC-1"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !e.drifted(c.ID, u1.ID) {
			t.Fatal("u1's link does not show the outside write")
		}
		dry := e.run(c.ID, full, func(r *engine.RunRequest) { r.DryRun = true })
		wantCounts(t, "dry full run after a cost center change", dry, nil)
		if !e.drifted(c.ID, u1.ID) {
			t.Error("a dry run settled u1's link")
		}
		wantCounts(t, "full run after a cost center change", e.run(c.ID, full), nil)
		if e.drifted(c.ID, u1.ID) {
			t.Error("u1, compared and found as the directory has it, is compared again at the next run")
		}

		t.Log("owned attributes changed behind the service's back are put back")
		bypass(t, e, "u1@example.org", func(u *directory.User) { u.Title, u.GivenName = "Boss", "Robert" })
		bypass(t, e, "u2@example.org", func(u *directory.User) { u.Enterprise.EmployeeNumber = "999" })
		wantCounts(t, "incremental run", e.run(c.ID), nil)
		dry = e.run(c.ID, full, func(r *engine.RunRequest) { r.DryRun = true })
		wantCounts(t, "dry full run", dry, map[string]int{"update": 2})
		var details []string
		for _, it := range dry.Plan.Items {
			details = append(details, it.UserName+": "+it.Detail)
		}
		want := []string{"u1@example.org: puts back what was changed in Roster: name.givenName, title",
			"u2@example.org: puts back what was changed in Roster: enterprise.employeeNumber"}
		if strings.Join(details, "\n") != strings.Join(want, "\n") {
			t.Errorf("plan items:\n%s\nwant:\n%s", strings.Join(details, "\n"), strings.Join(want, "\n"))
		}
		run := e.run(c.ID, full)
		wantCounts(t, "full run", run, map[string]int{"update": 2})
		stored, err := e.runner.GetRun(e.ctx, e.org.ID, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Plan != nil || len(stored.Restored) != 2 || stored.Restored[0].UserName != "u1@example.org" ||
			stored.Restored[0].Detail != "put back what was changed in Roster: name.givenName, title" {
			t.Errorf("the run keeps plan %+v, restored %+v", stored.Plan, stored.Restored)
		}
		if u := e.user("u1@example.org"); u.Title != "Engineer" || u.GivenName != "User" || u.Enterprise.CostCenter != "CC-1" {
			t.Errorf("u1 after the full run: title %q, givenName %q, costCenter %q", u.Title, u.GivenName, u.Enterprise.CostCenter)
		}
		if u := e.user("u2@example.org"); u.Enterprise.EmployeeNumber != "102" {
			t.Errorf("u2 employeeNumber = %q, want 102", u.Enterprise.EmployeeNumber)
		}
		wantCounts(t, "full run once restored", e.run(c.ID, full), nil)

		t.Log("more users to compare than a batch holds: compared as the directory is read")
		for _, n := range []string{"u3", "u4", "u5", "u6", "u7", "u8"} {
			bypass(t, e, n+"@example.org", func(u *directory.User) { u.Title = "Drifted" })
		}
		bypass(t, e, "u9@example.org", func(u *directory.User) { u.Enterprise.CostCenter = "CC-9" })
		wantCounts(t, "full run after six drifted", e.run(c.ID, full), map[string]int{"update": 6})
		for _, n := range []string{"u3", "u8"} {
			if u := e.user(n + "@example.org"); u.Title != "Engineer" {
				t.Errorf("%s title = %q", n, u.Title)
			}
		}
		wantCounts(t, "full run after", e.run(c.ID, full), nil)
	})
}

// bypass changes a user in the store directly, as a write that skips the
// service (or predates the connector) would.
func bypass(t *testing.T, e *env, userName string, change func(*directory.User)) {
	t.Helper()
	id := e.user(userName).ID
	if err := e.store.InTx(e.ctx, func(r directory.Repos) error {
		u, err := r.Users().GetUserForUpdate(e.ctx, e.org.ID, id)
		if err != nil {
			return err
		}
		change(u)
		return r.Users().UpdateUser(e.ctx, u, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
}

// drifted reports whether the connector's link of user shows a write by
// someone else since the connector's last.
func (e *env) drifted(connectorID, userID string) bool {
	e.t.Helper()
	found := false
	if err := e.dir.ListSyncUserLinks(e.ctx, e.org.ID, connectorID, func(l *directory.SyncLink) error {
		if l.ObjectID == userID {
			found = l.Drifted()
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return found
}
