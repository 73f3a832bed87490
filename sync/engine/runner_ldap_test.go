package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	ldapv3 "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// slapdSeed is ten people, u0 … u9, and two groups.
func slapdSeed() string {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "dn: uid=u%d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: u%d\ncn: User %d\n"+
			"sn: Number%d\ngivenName: User\nmail: u%d@example.org\ntitle: Engineer\nemployeeNumber: %d\n"+
			"entryUUID: 0c0c0c0c-0000-4000-8000-%012d\nmodifyTimestamp: 20200101000000Z\n\n", i, i, i, i, i, 100+i, i)
	}
	b.WriteString("dn: cn=engineering,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: engineering\n" +
		"member: uid=u0,ou=people,dc=example,dc=org\nmember: uid=u1,ou=people,dc=example,dc=org\n\n")
	b.WriteString("dn: cn=admins,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: admins\n" +
		"member: uid=u0,ou=people,dc=example,dc=org\n\n")
	return b.String()
}

func ldapSettings(srv *ldaptest.Slapd) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"url": srv.URL, "allowInsecure": true, "bindDn": ldaptest.BindDN,
		"userBaseDn": "ou=people," + ldaptest.BaseDN, "groupBaseDn": "ou=groups," + ldaptest.BaseDN,
		"disabledAttribute": "employeeType", "disabledValues": []string{"disabled"},
		"pageSize": 3, "clockSkewSeconds": 0,
	})
	return b
}

func modify(t *testing.T, c *ldapv3.Conn, uid, attr, value string) {
	t.Helper()
	m := ldapv3.NewModifyRequest(fmt.Sprintf("uid=%s,ou=people,dc=example,dc=org", uid), nil)
	m.Replace(attr, []string{value})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, c *ldapv3.Conn, uids ...string) {
	t.Helper()
	for _, uid := range uids {
		if err := c.Del(ldapv3.NewDelRequest(fmt.Sprintf("uid=%s,ou=people,dc=example,dc=org", uid), nil)); err != nil {
			t.Fatal(err)
		}
	}
}

func wantCounts(t *testing.T, what string, run *engine.Run, want map[string]int) {
	t.Helper()
	if diff := cmp.Diff(want, run.Counts, cmp.Comparer(func(a, b map[string]int) bool {
		return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b)
	})); diff != "" {
		t.Errorf("%s: counts (-want +got):\n%s", what, diff)
	}
}

func TestRunnerSyncsSlapd(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, slapdSeed())
		admin := srv.Admin(t)
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		scimUser, err := e.dir.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorToken, ID: "tok-1"}, e.org.ID,
			&directory.User{UserName: "u9@example.org", Source: directory.SourceSCIM, SourceRef: "okta-9"})
		if err != nil {
			t.Fatal(err)
		}
		c := e.connector(strict(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets:   map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword},
			Mapping:   map[string]string{"properties.badge": "employeeNumber"},
			RoleRules: &[]directory.RoleRule{{Group: "admins", Role: directory.RoleOrgAdmin}}}))

		t.Log("a dry run plans and writes nothing")
		dry := e.run(c.ID, func(r *engine.RunRequest) { r.DryRun = true })
		if dry.Status != directory.RunSucceeded || dry.Plan == nil || dry.Counts["create"] != 10 || dry.Counts["group_create"] != 2 {
			t.Fatalf("dry run = %s, counts %v, plan %v", dry.Status, dry.Counts, dry.Plan)
		}
		if got := e.users(); len(got) != 1 || e.auditCount(c.ID, "") != 0 {
			t.Fatalf("a dry run wrote: users %v, %d audit events", got, e.auditCount(c.ID, ""))
		}
		if stored, _ := e.dir.GetConnector(e.ctx, e.org.ID, c.ID); stored.Cursor != "" {
			t.Errorf("a dry run saved the cursor %q", stored.Cursor)
		}

		t.Log("the first run creates users, groups and roles; a SCIM user is a conflict")
		first := e.run(c.ID)
		wantCounts(t, "first run", first, map[string]int{"create": 9, "conflict": 1, "group_create": 2, "member_add": 3, "role": 1})
		if len(first.Errors) != 1 || !strings.Contains(first.Errors[0].Detail, "does not manage") {
			t.Errorf("errors = %+v, want the SCIM user's conflict", first.Errors)
		}
		if u := e.user("u9@example.org"); u.Source != directory.SourceSCIM || u.ID != scimUser.ID {
			t.Errorf("the SCIM user was taken over: %+v", u)
		}
		u0 := e.user("u0@example.org")
		if u0.Source != directory.SourceLDAP || u0.SourceRef != "0c0c0c0c-0000-4000-8000-000000000000" || u0.Role != directory.RoleOrgAdmin ||
			u0.Title != "Engineer" || u0.Properties["badge"] != float64(100) || u0.Status != directory.StatusActive {
			t.Errorf("u0 = %+v", u0)
		}
		if diff := cmp.Diff([]string{"u0@example.org", "u1@example.org"}, e.members("engineering")); diff != "" {
			t.Errorf("engineering (-want +got):\n%s", diff)
		}
		if n := e.auditCount(c.ID, "user.create"); n != 9 {
			t.Errorf("%d user.create events by the connector, want 9", n)
		}

		t.Log("runs with no directory change change nothing")
		wantCounts(t, "incremental re-run", e.run(c.ID), nil)
		// A full read meets the SCIM user's conflict again; it is reported,
		// not resolved.
		wantCounts(t, "full re-run", e.run(c.ID, func(r *engine.RunRequest) { r.Full = true }), map[string]int{"conflict": 1})

		t.Log("an attribute change is an update")
		modify(t, admin, "u1", "title", "Manager")
		wantCounts(t, "after a title change", e.run(c.ID), map[string]int{"update": 1})
		if got := e.user("u1@example.org").Title; got != "Manager" {
			t.Errorf("u1 title = %q", got)
		}

		t.Log("a disabled account is suspended, and comes back when enabled")
		modify(t, admin, "u2", "employeeType", "disabled")
		wantCounts(t, "after disabling u2", e.run(c.ID), map[string]int{"suspend": 1})
		if u := e.user("u2@example.org"); u.Status != directory.StatusSuspended || u.StatusSetBy != directory.AuthorityLDAP {
			t.Errorf("u2 = %s set by %s", u.Status, u.StatusSetBy)
		}
		modify(t, admin, "u2", "employeeType", "staff")
		wantCounts(t, "after enabling u2", e.run(c.ID), map[string]int{"reactivate": 1})

		t.Log("the directory never lifts an admin's ban")
		if _, err := e.dir.SetStatus(e.ctx, e.admin, e.org.ID, e.user("u5@example.org").ID, directory.StatusSuspended, "banned"); err != nil {
			t.Fatal(err)
		}
		modify(t, admin, "u5", "title", "Still active in LDAP")
		wantCounts(t, "after banning u5", e.run(c.ID), map[string]int{"update": 1})
		if u := e.user("u5@example.org"); u.Status != directory.StatusSuspended || u.StatusSetBy != directory.AuthorityAdmin {
			t.Errorf("u5 = %s set by %s, want the admin's ban kept", u.Status, u.StatusSetBy)
		}

		t.Log("a user deleted from the directory is deprovisioned by a full run")
		remove(t, admin, "u3")
		wantCounts(t, "after deleting u3", e.run(c.ID, func(r *engine.RunRequest) { r.Full = true }), map[string]int{"suspend": 1, "conflict": 1})
		if u := e.user("u3@example.org"); u.Status != directory.StatusSuspended || u.StatusReason != "no longer in the directory" {
			t.Errorf("u3 = %s (%s)", u.Status, u.StatusReason)
		}

		t.Log("deprovisioning a third of the users waits for approval")
		remove(t, admin, "u4", "u6", "u7")
		before, _ := e.dir.GetConnector(e.ctx, e.org.ID, c.ID)
		held := e.run(c.ID, func(r *engine.RunRequest) { r.Full = true })
		if held.Status != directory.RunHeld || held.Plan == nil || len(held.Plan.Held) != 3 || held.Counts["suspend"] != 0 {
			t.Fatalf("run = %s, counts %v, plan %+v; want 3 suspensions held", held.Status, held.Counts, held.Plan)
		}
		if u := e.user("u4@example.org"); u.Status != directory.StatusActive {
			t.Errorf("a held run suspended u4")
		}
		if after, _ := e.dir.GetConnector(e.ctx, e.org.ID, c.ID); after.Cursor != before.Cursor {
			t.Errorf("a held run saved its cursor")
		}
		approved := e.run("", func(r *engine.RunRequest) { r.Trigger, r.Approves = directory.TriggerApproval, held.ID })
		wantCounts(t, "approval run", approved, map[string]int{"suspend": 3, "conflict": 1})
		if approved.ApprovalOf != held.ID || approved.Trigger != directory.TriggerApproval {
			t.Errorf("approval run = %+v", approved)
		}
		if got, _ := e.runner.GetRun(e.ctx, e.org.ID, held.ID); got.Status != directory.RunApproved || got.DecidedBy == "" {
			t.Errorf("held run after approval = %s, decided by %q", got.Status, got.DecidedBy)
		}
		want := []string{"u0@example.org active", "u1@example.org active", "u2@example.org active", "u3@example.org suspended",
			"u4@example.org suspended", "u5@example.org suspended", "u6@example.org suspended", "u7@example.org suspended",
			"u8@example.org active", "u9@example.org active"}
		if diff := cmp.Diff(want, e.users()); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		runs, err := e.runner.Runs(e.ctx, e.org.ID, c.ID, "", 100)
		if err != nil || len(runs) != 11 {
			t.Errorf("history has %d runs (%v), want 11", len(runs), err)
		}
	})
}

func TestScheduledRunsDeprovisionWithinOneCycle(t *testing.T) {
	ldaptest.RequireSlapd(t)
	t.Run("by a scan of entryUUIDs", func(t *testing.T) { scheduledRunsDeprovision(t, ldaptest.StartSlapd) })
	t.Run("by content synchronisation (syncprov)", func(t *testing.T) { scheduledRunsDeprovision(t, ldaptest.StartSlapdSyncprov) })
}

func scheduledRunsDeprovision(t *testing.T, start func(testing.TB, string) *ldaptest.Slapd) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := start(t, slapdSeed())
		admin := srv.Admin(t)
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(strict(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}, Schedule: ptr("*/15 * * * *")}))
		if c.Reconcile != directory.DefaultReconcile || c.ReconciledAt != nil {
			t.Errorf("a new connector reconciles %q, last at %v; want @daily, never", c.Reconcile, c.ReconciledAt)
		}
		scheduled := func(r *engine.RunRequest) { r.Trigger = directory.TriggerSchedule }

		t.Log("the first scheduled run reconciles: it reads the whole directory")
		first := e.run(c.ID, scheduled)
		if !first.Full || first.Counts["create"] != 10 {
			t.Fatalf("first scheduled run: full %t, counts %v", first.Full, first.Counts)
		}
		if got, _ := e.runner.GetConnector(e.ctx, e.org.ID, c.ID); got.ReconciledAt == nil {
			t.Error("a full run applied did not mark the connector reconciled")
		}

		t.Log("a deletion and a move out of the base DN reach Roster in the next scheduled (incremental) run")
		remove(t, admin, "u3")
		if err := admin.ModifyDN(ldapv3.NewModifyDNRequest("uid=u4,ou=people,dc=example,dc=org", "uid=u4", true, "ou=services,dc=example,dc=org")); err != nil {
			t.Fatal(err)
		}
		next := e.run(c.ID, scheduled)
		if next.Full {
			t.Error("the scheduled run after a reconcile read the whole directory again")
		}
		wantCounts(t, "incremental run after a deletion and a move", next, map[string]int{"suspend": 2})
		for _, name := range []string{"u3@example.org", "u4@example.org"} {
			if u := e.user(name); u.Status != directory.StatusSuspended || u.StatusReason != "no longer in the directory" {
				t.Errorf("%s = %s (%s), want suspended", name, u.Status, u.StatusReason)
			}
		}
		wantCounts(t, "a run with no change", e.run(c.ID, scheduled), nil)

		t.Log("the reconcile schedule is validated")
		if _, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{Reconcile: ptr("every day")}); !directory.IsCode(err, directory.CodeInvalid) {
			t.Errorf("reconcile %q: err = %v, want invalid", "every day", err)
		}
		if _, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{Reconcile: ptr("@every 10s")}); !directory.IsCode(err, directory.CodeInvalid) {
			t.Errorf("reconcile every 10s: err = %v, want invalid", err)
		}
		v, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{Reconcile: ptr("0 3 * * 0")})
		if err != nil || v.Reconcile != "0 3 * * 0" {
			t.Errorf("reconcile weekly: %+v, %v", v, err)
		}
	})
}

func TestAMassMembershipRemovalIsHeldAndAppliesNothing(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		seed := slapdSeed()
		var all strings.Builder
		for i := range 10 {
			fmt.Fprintf(&all, "member: uid=u%d,ou=people,dc=example,dc=org\n", i)
		}
		seed = strings.Replace(seed, "member: uid=u0,ou=people,dc=example,dc=org\nmember: uid=u1,ou=people,dc=example,dc=org\n", all.String(), 1)
		srv := ldaptest.StartSlapd(t, seed)
		admin := srv.Admin(t)
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(strict(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}}))
		wantCounts(t, "first run", e.run(c.ID), map[string]int{"create": 10, "group_create": 2, "member_add": 11})

		m := ldapv3.NewModifyRequest("cn=engineering,ou=groups,dc=example,dc=org", nil)
		m.Replace("member", []string{"uid=u0,ou=people,dc=example,dc=org", "uid=u1,ou=people,dc=example,dc=org"})
		if err := admin.Modify(m); err != nil {
			t.Fatal(err)
		}
		modify(t, admin, "u2", "title", "Manager") // an update comes with it
		// (The incremental read may include admins, read in the second the
		// last run began: 8 of 10 or of 11 memberships compared.)
		auditBefore := e.auditCount(c.ID, "")

		held := e.run(c.ID)
		if held.Status != directory.RunHeld || held.Plan == nil || len(held.Plan.Reasons) != 1 ||
			!strings.HasPrefix(held.Plan.Reasons[0], "8 of ") || !strings.Contains(held.Plan.Reasons[0], "memberships removed") || !strings.Contains(held.Message, "memberships") {
			t.Fatalf("run = %s (%s), plan %+v; want held for the memberships", held.Status, held.Message, held.Plan)
		}
		if len(held.Counts) != 0 || held.Plan.Counts["member_remove"] != 8 || held.Plan.Counts["update"] != 1 {
			t.Errorf("counts %v, planned %v; want nothing applied, 8 removals and an update planned", held.Counts, held.Plan.Counts)
		}
		if got := e.members("engineering"); len(got) != 10 {
			t.Errorf("engineering has %d members after a held run, want 10", len(got))
		}
		if e.user("u2@example.org").Title != "Engineer" || e.auditCount(c.ID, "") != auditBefore {
			t.Error("a held run wrote")
		}

		approved := e.run("", func(r *engine.RunRequest) { r.Trigger, r.Approves = directory.TriggerApproval, held.ID })
		wantCounts(t, "approval", approved, map[string]int{"member_remove": 8, "update": 1})
		if diff := cmp.Diff([]string{"u0@example.org", "u1@example.org"}, e.members("engineering")); diff != "" {
			t.Errorf("engineering after approval (-want +got):\n%s", diff)
		}
	})
}

func TestAMappingTypoIsHeldBeforeItBlanksAnything(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, slapdSeed())
		e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
		c := e.connector(strict(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}}))
		e.run(c.ID)

		if _, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{Mapping: map[string]string{"title": "titel"}}); err != nil {
			t.Fatal(err)
		}
		if err := e.runner.CheckConnector(e.ctx, e.org.ID, c.ID); !directory.IsCode(err, directory.CodeInvalid) || !strings.Contains(err.Error(), "titel") {
			t.Errorf("the connection test of a typo: %v, want it named", err)
		}
		held := e.run(c.ID, func(r *engine.RunRequest) { r.Full = true })
		if held.Status != directory.RunHeld || !strings.Contains(held.Message, "users whose title would be emptied") {
			t.Fatalf("run = %s (%s), want held for the titles", held.Status, held.Message)
		}
		if u := e.user("u1@example.org"); u.Title != "Engineer" {
			t.Errorf("u1's title = %q after a held run", u.Title)
		}
	})
}
