package engine_test

import (
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// A run keeps its errors with the object each concerns, the attribute
// when known, and the message; listings count them, and a run's errors
// can be paged.
func TestARunKeepsItsErrors(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, slapdSeed())
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		for _, n := range []string{"u8@example.org", "u9@example.org"} {
			if _, err := e.dir.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorToken, ID: "tok-1"}, e.org.ID,
				&directory.User{UserName: n, Source: directory.SourceSCIM, SourceRef: "okta-" + n}); err != nil {
				t.Fatal(err)
			}
		}
		c := e.connector(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}})
		run := e.run(c.ID)
		if run.ErrorCount != 2 || len(run.Errors) != 2 {
			t.Fatalf("errors = %d %+v, want 2", run.ErrorCount, run.Errors)
		}
		got := run.Errors[0]
		if got.Op != directory.SyncConflict || got.UserName != "u8@example.org" || got.Attribute != "userName" ||
			!strings.EqualFold(got.Key, "uid=u8,ou=people,dc=example,dc=org") || got.Ref == "" || !strings.Contains(got.Detail, "u8@example.org") {
			t.Errorf("error = %+v", got)
		}
		for _, it := range run.Errors {
			if strings.Contains(it.Detail, ldaptest.BindPassword) {
				t.Errorf("an error shows the bind password: %q", it.Detail)
			}
		}

		stored, err := e.runner.GetRun(e.ctx, e.org.ID, run.ID)
		if err != nil || stored.ErrorCount != 2 || len(stored.Errors) != 2 || stored.Errors[1].Key == "" {
			t.Fatalf("stored run = %+v, %v", stored, err)
		}
		runs, err := e.runner.Runs(e.ctx, e.org.ID, c.ID, "", 10)
		if err != nil || len(runs) != 1 || runs[0].ErrorCount != 2 || runs[0].Errors != nil {
			t.Errorf("listing = %+v, %v; want the count without the list", runs, err)
		}

		page, err := e.runner.RunErrors(e.ctx, e.org.ID, run.ID, 0, 1)
		if err != nil || len(page.Errors) != 1 || page.Total != 2 || page.Kept != 2 || page.Next != 1 || page.Errors[0].UserName != "u8@example.org" {
			t.Errorf("first page = %+v, %v", page, err)
		}
		page, err = e.runner.RunErrors(e.ctx, e.org.ID, run.ID, 1, 1)
		if err != nil || len(page.Errors) != 1 || page.Next != 0 || page.Errors[0].UserName != "u9@example.org" {
			t.Errorf("second page = %+v, %v", page, err)
		}
		if page, err = e.runner.RunErrors(e.ctx, e.org.ID, run.ID, 5, 1); err != nil || len(page.Errors) != 0 {
			t.Errorf("past the end = %+v, %v", page, err)
		}
		if _, err = e.runner.RunErrors(e.ctx, e.org.ID, run.ID, -1, 1); directory.ErrorCode(err) != directory.CodeInvalid {
			t.Errorf("a negative offset = %v", err)
		}
		if _, err = e.runner.RunErrors(e.ctx, "another-org", run.ID, 0, 1); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Errorf("another organization's run = %v, want not found", err)
		}
	})
}
