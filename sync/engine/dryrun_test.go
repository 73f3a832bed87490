package engine_test

import (
	"fmt"
	"testing"

	ldapv3 "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// dryThenReal runs the connector dry, then for real, on the same state,
// and checks that the real run applied exactly what the dry run planned:
// the same count of every kind of change, and nothing else.
func dryThenReal(t *testing.T, e *env, connectorID string, want map[string]int) {
	t.Helper()
	dry := e.run(connectorID, func(r *engine.RunRequest) { r.DryRun = true })
	if dry.Plan == nil || dry.Plan.Digest == "" {
		t.Fatalf("dry run = %+v, want a plan with a digest", dry)
	}
	if diff := cmp.Diff(want, dry.Counts); diff != "" {
		t.Errorf("dry run counts (-want +got):\n%s", diff)
	}
	applied := e.run(connectorID)
	if applied.Status != directory.RunSucceeded || len(applied.Errors) > 0 {
		t.Fatalf("real run = %s, errors %+v", applied.Status, applied.Errors)
	}
	if diff := cmp.Diff(dry.Counts, applied.Counts); diff != "" {
		t.Errorf("the real run did not do what the dry run planned (-dry +real):\n%s", diff)
	}
	// Nothing is left to do: the plan was the whole of the change.
	again := e.run(connectorID, func(r *engine.RunRequest) { r.DryRun = true })
	if len(again.Counts) != 0 {
		t.Errorf("after the real run, a dry run still plans %v", again.Counts)
	}
}

// loose lets a test's connector change many things at once without being
// held: these tests are about what runs do, not about the thresholds.
func loose(in engine.ConnectorInput) engine.ConnectorInput {
	in.Threshold, in.GroupThreshold, in.MemberThreshold = ptr(1.0), ptr(1.0), ptr(1.0)
	return in
}

// strict holds runs on the thresholds' shares alone, as in a directory
// large enough to pass the minimum counts.
func strict(in engine.ConnectorInput) engine.ConnectorInput {
	in.ThresholdMin, in.GroupThresholdMin, in.MemberThresholdMin = ptr(0), ptr(0), ptr(0)
	return in
}

func TestARealLDAPRunAppliesWhatItsDryRunPlans(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		seed := slapdSeed() + "dn: cn=legacy,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: legacy\n" +
			"member: uid=u7,ou=people,dc=example,dc=org\n\n"
		srv := ldaptest.StartSlapd(t, seed)
		admin := srv.Admin(t)
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(loose(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets:     map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword},
			Deprovision: ptr(directory.DeprovisionDelete),
			RoleRules:   &[]directory.RoleRule{{Group: "admins", Role: directory.RoleOrgAdmin}}}))

		t.Log("a first run, from nothing")
		dryThenReal(t, e, c.ID, map[string]int{"create": 10, "group_create": 3, "member_add": 4, "role": 1})

		t.Log("then every kind of change at once")
		modify(t, admin, "u1", "title", "Manager")         // update
		modify(t, admin, "u2", "employeeType", "disabled") // suspension
		remove(t, admin, "u3")                             // deletion (policy delete)
		if err := admin.Add(newPerson(10)); err != nil {   // creation
			t.Fatal(err)
		}
		m := ldapv3.NewModifyRequest("cn=engineering,ou=groups,dc=example,dc=org", nil)
		m.Replace("member", []string{"uid=u0,ou=people,dc=example,dc=org", "uid=u10,ou=people,dc=example,dc=org"})
		if err := admin.Modify(m); err != nil { // u1 out, u10 in
			t.Fatal(err)
		}
		m = ldapv3.NewModifyRequest("cn=admins,ou=groups,dc=example,dc=org", nil)
		m.Add("member", []string{"uid=u5,ou=people,dc=example,dc=org"}) // u5 becomes an admin
		if err := admin.Modify(m); err != nil {
			t.Fatal(err)
		}
		if err := admin.Del(ldapv3.NewDelRequest("cn=legacy,ou=groups,dc=example,dc=org", nil)); err != nil {
			t.Fatal(err)
		}
		dryThenReal(t, e, c.ID, map[string]int{"create": 1, "update": 1, "suspend": 1, "delete": 1,
			"member_add": 2, "member_remove": 1, "group_delete": 1, "role": 1})

		if u := e.user("u5@example.org"); u.Role != directory.RoleOrgAdmin {
			t.Errorf("u5 role = %s", u.Role)
		}
		if diff := cmp.Diff([]string{"u0@example.org", "u10@example.org"}, e.members("engineering")); diff != "" {
			t.Errorf("engineering (-want +got):\n%s", diff)
		}
	})
}

func newPerson(i int) *ldapv3.AddRequest {
	a := ldapv3.NewAddRequest(fmt.Sprintf("uid=u%d,ou=people,dc=example,dc=org", i), nil)
	a.Attribute("objectClass", []string{"inetOrgPerson"})
	a.Attribute("uid", []string{fmt.Sprintf("u%d", i)})
	a.Attribute("cn", []string{fmt.Sprintf("User %d", i)})
	a.Attribute("sn", []string{fmt.Sprintf("Number%d", i)})
	a.Attribute("mail", []string{fmt.Sprintf("u%d@example.org", i)})
	return a
}

func TestARealEntraRunAppliesWhatItsDryRunPlans(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 10)
		g.PutGroup(entratest.ID(1001), "Legacy")
		g.AddMembers(entratest.ID(1001), entratest.ID(7))
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		settings := mustJSON(t, entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL})
		c := e.connector(loose(engine.ConnectorInput{Name: ptr("Contoso"), Kind: entra.KindName, Settings: settings,
			Secrets:     map[string]string{entra.SecretClientSecret: g.ClientSecret},
			Deprovision: ptr(directory.DeprovisionDelete),
			RoleRules:   &[]directory.RoleRule{{Group: "Staff", Role: directory.RoleOrgViewer}}}))

		t.Log("a first run, from nothing")
		dryThenReal(t, e, c.ID, map[string]int{"create": 10, "group_create": 2, "member_add": 4, "role": 3})

		t.Log("then every kind of change at once")
		g.UpdateUser(entratest.ID(1), func(u *entratest.User) { u.JobTitle = "Manager" })
		g.UpdateUser(entratest.ID(2), func(u *entratest.User) { u.AccountEnabled = false })
		g.DeleteUser(entratest.ID(3), true)
		g.PutUser(graphUser(10))
		g.RemoveMembers(entratest.ID(1000), entratest.ID(0))
		g.AddMembers(entratest.ID(1000), entratest.ID(10))
		g.DeleteGroup(entratest.ID(1001), true)
		dryThenReal(t, e, c.ID, map[string]int{"create": 1, "update": 1, "suspend": 1, "delete": 1,
			"member_add": 1, "member_remove": 1, "group_delete": 1, "role": 2})
	})
}
