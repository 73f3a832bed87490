package engine_test

import (
	"fmt"
	"slices"
	"strings"
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

// nestedSeed is six people, u0 … u5, and groupOfNames nested three deep
// with a cycle: staff ∋ team-a, team-b, u5; team-a ∋ u0, u1, loop;
// loop ∋ team-a, u3; team-b ∋ u1, u2. Staff's effective members are u0,
// u1, u2, u3 and u5; u4 is in no group.
func nestedSeed() string {
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "dn: uid=u%d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: u%d\ncn: User %d\n"+
			"sn: Number%d\ngivenName: User\nmail: u%d@example.org\ntitle: Engineer\n"+
			"entryUUID: 0d0d0d0d-0000-4000-8000-%012d\nmodifyTimestamp: 20200101000000Z\n\n", i, i, i, i, i, i)
	}
	group := func(cn string, members ...string) {
		fmt.Fprintf(&b, "dn: cn=%s,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: %s\n", cn, cn)
		for _, m := range members {
			fmt.Fprintf(&b, "member: %s\n", nestedDN(m))
		}
		b.WriteString("\n")
	}
	group("staff", "team-a", "team-b", "u5")
	group("team-a", "u0", "u1", "loop")
	group("loop", "team-a", "u3")
	group("team-b", "u1", "u2")
	return b.String()
}

// nestedDN is the DN of a user (u…) or a group of nestedSeed.
func nestedDN(name string) string {
	if strings.HasPrefix(name, "u") && len(name) == 2 {
		return "uid=" + name + ",ou=people,dc=example,dc=org"
	}
	return "cn=" + name + ",ou=groups,dc=example,dc=org"
}

func setMembers(t *testing.T, c *ldapv3.Conn, group string, members ...string) {
	t.Helper()
	m := ldapv3.NewModifyRequest(nestedDN(group), nil)
	dns := make([]string, len(members))
	for i, n := range members {
		dns[i] = nestedDN(n)
	}
	m.Replace("member", dns)
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
}

// groupID finds a group of the organization by name.
func (e *env) groupID(name string) string {
	e.t.Helper()
	page, err := e.dir.ListGroups(e.ctx, e.org.ID, directory.GroupQuery{Filter: directory.Eq(directory.GroupDisplayName, name)})
	if err != nil || len(page.Groups) != 1 {
		e.t.Fatalf("group %s: %v (%d found)", name, err, len(page.Groups))
	}
	return page.Groups[0].ID
}

// holds reports whether a user holds a service.
func (e *env) holds(userName, key string) bool {
	e.t.Helper()
	held, err := e.dir.ServicesOfUser(e.ctx, e.user(userName))
	if err != nil {
		e.t.Fatal(err)
	}
	return slices.ContainsFunc(held, func(sv *directory.OrgService) bool { return sv.Key == key })
}

// seats returns the seats a service uses.
func (e *env) seats(id string) int {
	e.t.Helper()
	sv, err := e.dir.GetService(e.ctx, e.org.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sv.Used
}

func roles(e *env, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + " " + string(e.user(n+"@example.org").Role)
	}
	return out
}

// Users of groups nested in a role-mapped or service-mapped group hold its
// role and its service, each counted once; leaving the inner group takes
// them away on the next run (unless the run is held); a run that would
// overfill the service applies its removals and refuses the additions.
func TestNestedGroupsGiveRolesAndServicesOverSlapd(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, nestedSeed())
		admin := srv.Admin(t)
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		settings := mustJSON(t, map[string]any{
			"url": srv.URL, "allowInsecure": true, "bindDn": ldaptest.BindDN,
			"userBaseDn": "ou=people," + ldaptest.BaseDN, "groupBaseDn": "ou=groups," + ldaptest.BaseDN,
			"pageSize": 3, "clockSkewSeconds": 0, "nestedGroups": true,
		})
		c := e.connector(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: settings,
			Secrets:   map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword},
			RoleRules: &[]directory.RoleRule{{Group: "staff", Role: directory.RoleBillingAdmin}}})

		first := e.run(c.ID)
		if first.Status != directory.RunSucceeded || len(first.Errors) != 0 {
			t.Fatalf("first run = %s, errors %+v", first.Status, first.Errors)
		}
		staff := []string{"u0@example.org", "u1@example.org", "u2@example.org", "u3@example.org", "u5@example.org"}
		if diff := cmp.Diff(staff, e.members("staff")); diff != "" {
			t.Errorf("staff (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"u0@example.org", "u1@example.org", "u3@example.org"}, e.members("loop")); diff != "" {
			t.Errorf("loop, in a cycle with team-a (-want +got):\n%s", diff)
		}
		wantRoles := []string{"u0 billing_admin", "u1 billing_admin", "u2 billing_admin", "u3 billing_admin", "u4 user", "u5 billing_admin"}
		if diff := cmp.Diff(wantRoles, roles(e, "u0", "u1", "u2", "u3", "u4", "u5")); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}

		t.Log("a service mapped to the outer group counts each inner user once")
		limit := 5
		sv, err := e.dir.CreateService(e.ctx, e.admin, e.org.ID, &directory.OrgService{Key: "crm", Name: "CRM",
			SeatLimit: &limit, GroupIDs: []string{e.groupID("staff")}})
		if err != nil {
			t.Fatal(err)
		}
		if sv.Used != 5 || !e.holds("u2@example.org", "crm") || e.holds("u4@example.org", "crm") {
			t.Errorf("seats %d (want 5: u1 once), u2 holds %v, u4 holds %v", sv.Used, e.holds("u2@example.org", "crm"), e.holds("u4@example.org", "crm"))
		}

		t.Log("a held run takes nothing away")
		if _, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{MemberThreshold: ptr(0.01), MemberThresholdMin: ptr(0)}); err != nil {
			t.Fatal(err)
		}
		setMembers(t, admin, "team-b", "u1") // u2 leaves the inner group
		held := e.run(c.ID)
		if held.Status != directory.RunHeld || !e.holds("u2@example.org", "crm") || e.user("u2@example.org").Role != directory.RoleBillingAdmin {
			t.Fatalf("run = %s (%s); u2 must keep role and service while it is held", held.Status, held.Message)
		}
		if held.Plan.Counts["member_remove"] != 2 || held.Plan.Counts["role"] != 1 {
			t.Errorf("held plan %v, want u2 out of team-b and staff, and its role", held.Plan.Counts)
		}

		t.Log("the next run, under the threshold, takes role and service away")
		if _, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{MemberThreshold: ptr(0.5)}); err != nil {
			t.Fatal(err)
		}
		left := e.run(c.ID)
		wantCounts(t, "u2 left", left, map[string]int{"member_remove": 2, "role": 1})
		if e.holds("u2@example.org", "crm") || e.user("u2@example.org").Role != directory.RoleUser || e.seats(sv.ID) != 4 {
			t.Errorf("u2 holds crm %v, role %s, seats %d; want neither and 4 seats", e.holds("u2@example.org", "crm"),
				e.user("u2@example.org").Role, e.seats(sv.ID))
		}

		t.Log("a run that would overfill the service applies its removals and refuses the additions")
		if _, err := e.dir.UpdateService(e.ctx, e.admin, e.org.ID, sv.ID, 0, func(s *directory.OrgService) error {
			four := 4
			s.SeatLimit = &four
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		setMembers(t, admin, "team-b", "u1", "u2", "u4")  // two more for staff …
		setMembers(t, admin, "staff", "team-a", "team-b") // … and u5 leaves it
		modify(t, admin, "u0", "title", "Lead")           // other changes go on
		full := e.run(c.ID)
		if full.Status != directory.RunSucceeded || len(full.Errors) != 1 || full.Errors[0].Op != directory.SyncConflict ||
			!strings.Contains(full.Errors[0].Detail, "2 members not added") || !strings.Contains(full.Errors[0].Detail, `service "crm" (CRM) is full`) {
			t.Fatalf("run = %s, errors %+v; want one conflict naming crm", full.Status, full.Errors)
		}
		if diff := cmp.Diff([]string{"u0@example.org", "u1@example.org", "u3@example.org"}, e.members("staff")); diff != "" {
			t.Errorf("staff after the refusal (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"u1@example.org", "u2@example.org", "u4@example.org"}, e.members("team-b")); diff != "" {
			t.Errorf("team-b, mapped to nothing, takes its members (-want +got):\n%s", diff)
		}
		if e.holds("u4@example.org", "crm") || e.holds("u5@example.org", "crm") || e.seats(sv.ID) != 3 || e.user("u0@example.org").Title != "Lead" {
			t.Errorf("u4 holds crm %v, u5 %v, seats %d, u0's title %q", e.holds("u4@example.org", "crm"), e.holds("u5@example.org", "crm"),
				e.seats(sv.ID), e.user("u0@example.org").Title)
		}
		if full.Counts["member_remove"] != 1 || full.Counts["member_add"] != 2 {
			t.Errorf("counts %v: want u5's removal from staff and the two additions to team-b", full.Counts)
		}
	})
}

// The same over Graph: a group in a group gives its users the outer
// group's role and service; leaving the inner group takes them away.
func TestNestedGroupsGiveRolesAndServicesOverGraph(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 4)
		outer, inner := entratest.ID(900), entratest.ID(901)
		g.PutGroup(outer, "Outer")
		g.PutGroup(inner, "Inner")
		g.AddMembers(outer, graphUser(0).ID, inner)
		g.AddMembers(inner, graphUser(1).ID, graphUser(2).ID, outer) // a cycle
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		c := e.connector(engine.ConnectorInput{Name: ptr("Tenant"), Kind: entra.KindName,
			Settings: mustJSON(t, map[string]any{"tenantId": g.TenantID, "clientId": g.ClientID,
				"authorityUrl": g.URL, "graphUrl": g.URL, "nestedGroups": true}),
			Secrets:         map[string]string{entra.SecretClientSecret: g.ClientSecret},
			RoleRules:       &[]directory.RoleRule{{Group: "Outer", Role: directory.RoleOrgViewer}},
			MemberThreshold: ptr(0.9)})
		if run := e.run(c.ID); run.Status != directory.RunSucceeded || len(run.Errors) != 0 {
			t.Fatalf("first run = %s, errors %+v", run.Status, run.Errors)
		}
		name := func(i int) string { return graphUser(i).UserPrincipalName }
		if diff := cmp.Diff([]string{name(0), name(1), name(2)}, e.members("Outer")); diff != "" {
			t.Errorf("Outer (-want +got):\n%s", diff)
		}
		sv, err := e.dir.CreateService(e.ctx, e.admin, e.org.ID, &directory.OrgService{Key: "wiki", GroupIDs: []string{e.groupID("Outer")}})
		if err != nil {
			t.Fatal(err)
		}
		if sv.Used != 3 || e.user(name(2)).Role != directory.RoleOrgViewer || e.user(name(3)).Role != directory.RoleUser {
			t.Errorf("seats %d, roles %s and %s", sv.Used, e.user(name(2)).Role, e.user(name(3)).Role)
		}

		g.RemoveMembers(inner, graphUser(2).ID)
		run := e.run(c.ID)
		wantCounts(t, "a user leaves the inner group", run, map[string]int{"member_remove": 2, "role": 1})
		if e.holds(name(2), "wiki") || e.user(name(2)).Role != directory.RoleUser || !e.holds(name(1), "wiki") {
			t.Errorf("after leaving: user 2 holds wiki %v with role %s; user 1 holds wiki %v", e.holds(name(2), "wiki"),
				e.user(name(2)).Role, e.holds(name(1), "wiki"))
		}
	})
}

// On Active Directory the domain controller resolves the chain (the
// in-chain matching rule), through groups outside the connector's group
// base DN too.
func TestNestedGroupsGiveRolesAndServicesOverActiveDirectory(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		dc := ldaptest.StartFakeAD(t)
		userDN := func(n string) string { return "CN=" + n + ",OU=Staff,DC=corp,DC=test" }
		for _, n := range []string{"alice", "bruno", "chen"} {
			dc.Add(userDN(n), map[string][]string{
				"objectClass": {"top", "person", "organizationalPerson", "user"}, "objectCategory": {"person"},
				"sAMAccountName": {n}, "userPrincipalName": {n + "@corp.test"}, "mail": {n + "@corp.test"},
				"givenName": {n}, "sn": {"Staff"}, "userAccountControl": {"512"},
			})
		}
		const ops = "CN=Ops,OU=Elsewhere,DC=corp,DC=test" // outside the group base DN
		dc.Add(ops, map[string][]string{"objectClass": {"top", "group"}, "cn": {"Ops"}, "member": {userDN("chen")}})
		dc.Add("CN=Admins,OU=Groups,DC=corp,DC=test", map[string][]string{"objectClass": {"top", "group"}, "cn": {"Admins"}, "member": {ops}})
		dc.Add("CN=Staff,OU=Groups,DC=corp,DC=test", map[string][]string{"objectClass": {"top", "group"}, "cn": {"Staff"},
			"member": {userDN("alice"), "CN=Admins,OU=Groups,DC=corp,DC=test"}})
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(engine.ConnectorInput{Name: ptr("Corp AD"), Kind: ldap.KindAD,
			Settings: mustJSON(t, map[string]any{"url": dc.URL, "allowInsecure": true, "bindDn": dc.BindDN,
				"userBaseDn": "OU=Staff,DC=corp,DC=test", "groupBaseDn": "OU=Groups,DC=corp,DC=test", "nestedGroups": true}),
			Secrets:         map[string]string{ldap.SecretBindPassword: dc.BindPassword},
			RoleRules:       &[]directory.RoleRule{{Group: "Admins", Role: directory.RoleOrgAdmin}},
			MemberThreshold: ptr(0.9)})
		if run := e.run(c.ID); run.Status != directory.RunSucceeded || len(run.Errors) != 0 {
			t.Fatalf("first run = %s, errors %+v", run.Status, run.Errors)
		}
		if diff := cmp.Diff([]string{"alice@corp.test", "chen@corp.test"}, e.members("Staff")); diff != "" {
			t.Errorf("Staff (-want +got):\n%s", diff)
		}
		if _, err := e.dir.CreateService(e.ctx, e.admin, e.org.ID, &directory.OrgService{Key: "vpn", GroupIDs: []string{e.groupID("Staff")}}); err != nil {
			t.Fatal(err)
		}
		if e.user("chen@corp.test").Role != directory.RoleOrgAdmin || !e.holds("chen@corp.test", "vpn") || e.holds("bruno@corp.test", "vpn") {
			t.Errorf("chen: role %s, vpn %v; bruno vpn %v", e.user("chen@corp.test").Role, e.holds("chen@corp.test", "vpn"), e.holds("bruno@corp.test", "vpn"))
		}

		dc.Modify(ops, map[string][]string{"member": {userDN("bruno")}}) // chen leaves, bruno joins
		run := e.run(c.ID)
		wantCounts(t, "Ops changed", run, map[string]int{"member_add": 2, "member_remove": 2, "role": 2})
		if e.user("chen@corp.test").Role != directory.RoleUser || e.holds("chen@corp.test", "vpn") ||
			e.user("bruno@corp.test").Role != directory.RoleOrgAdmin || !e.holds("bruno@corp.test", "vpn") {
			t.Errorf("after the change: chen %s, vpn %v; bruno %s, vpn %v", e.user("chen@corp.test").Role, e.holds("chen@corp.test", "vpn"),
				e.user("bruno@corp.test").Role, e.holds("bruno@corp.test", "vpn"))
		}
	})
}
