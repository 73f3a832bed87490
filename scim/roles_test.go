package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// roleValues lists the values of a user's roles or entitlements, in order.
func roleValues(m map[string]any, key string) []string {
	list, _ := m[key].([]any)
	out := []string{}
	for _, el := range list {
		out = append(out, el.(map[string]any)["value"].(string))
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Roles and entitlements are stored and returned as sent, written by POST,
// PUT and every kind of PATCH, and filterable, on every store.
func TestRolesAndEntitlementsRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ada := e.createUser("ada@acme.example", `,"roles":[{"value":"Admin","display":"Administrator","type":"WindowsAzureActiveDirectoryRole","primary":true},{"value":"Reader"}],
			"entitlements":[{"value":"crm","display":"CRM seat"}]`)
		bob := e.createUser("bob@acme.example", `,"roles":[{"value":"Reader","type":"app"}]`)
		e.createUser("cyd@acme.example")

		check := func(id string, roles, entitlements []string) map[string]any {
			t.Helper()
			m := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
			if got := roleValues(m, "roles"); !sameStrings(got, roles) {
				t.Errorf("roles = %v, want %v", got, roles)
			}
			if got := roleValues(m, "entitlements"); !sameStrings(got, entitlements) {
				t.Errorf("entitlements = %v, want %v", got, entitlements)
			}
			return m
		}
		m := check(ada, []string{"Admin", "Reader"}, []string{"crm"})
		checkContains(t, m, `{"roles":[{"value":"Admin","display":"Administrator","type":"WindowsAzureActiveDirectoryRole","primary":true},{"value":"Reader"}],
			"entitlements":[{"value":"crm","display":"CRM seat"}]}`)

		filter := func(f string, want ...string) {
			t.Helper()
			m := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(f), ""), http.StatusOK)
			var got []string
			for _, r := range m["Resources"].([]any) {
				got = append(got, r.(map[string]any)["id"].(string))
			}
			slices.Sort(got)
			want = slices.Clone(want)
			slices.Sort(want)
			if !sameStrings(got, want) {
				t.Errorf("%s: %v, want %v", f, got, want)
			}
		}
		filter(`roles.value eq "Admin"`, ada)
		filter(`roles.value eq "admin"`, ada) // roles compare regardless of case
		filter(`roles.value eq "Reader"`, ada, bob)
		filter(`roles[value eq "Reader" and type eq "app"]`, bob)
		filter(`roles.type eq "WindowsAzureActiveDirectoryRole"`, ada)
		filter(`roles.primary eq true`, ada)
		filter(`entitlements.value eq "crm"`, ada)
		filter(`entitlements.value eq "Admin"`) // roles are not entitlements
		filter(`roles pr`, ada, bob)

		// PATCH add, Entra's capitalised ops, filtered remove and replace.
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Add","path":"roles","value":[{"value":"Writer"}]}`)), http.StatusOK)
		check(bob, []string{"Reader", "Writer"}, []string{})
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Remove","path":"roles[value eq \"Reader\"]"}`)), http.StatusOK)
		check(bob, []string{"Writer"}, []string{})
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Replace","path":"roles[value eq \"Writer\"].display","value":"Writes"}`)), http.StatusOK)
		m = check(bob, []string{"Writer"}, []string{})
		checkContains(t, m, `{"roles":[{"value":"Writer","display":"Writes"}]}`)
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"add","path":"entitlements","value":[{"value":"erp"}]}`)), http.StatusOK)
		check(bob, []string{"Writer"}, []string{"erp"})
		filter(`entitlements.value eq "erp"`, bob)
		filter(`roles.value eq "Reader"`, ada)

		// A pathless replace sets the lists it names and leaves the others.
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Replace","value":{"roles":[{"value":"Owner"}]}}`)), http.StatusOK)
		check(bob, []string{"Owner"}, []string{"erp"})
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"remove","path":"roles"}`)), http.StatusOK)
		check(bob, []string{}, []string{"erp"})
		filter(`roles.value eq "Owner"`)

		// PUT replaces the whole user: lists it lacks are cleared.
		e.must(e.call("PUT", "/Users/"+ada, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example",
			"roles":[{"value":"Auditor"}]}`), http.StatusOK)
		check(ada, []string{"Auditor"}, []string{})
		filter(`roles.value eq "Admin"`)
		filter(`roles.value eq "Auditor"`, ada)
		filter(`entitlements.value eq "crm"`)

		// A role needs a value.
		res := e.call("PATCH", "/Users/"+ada, patchOp(`{"op":"add","path":"roles","value":[{"display":"no value"}]}`))
		if res.status != http.StatusBadRequest {
			t.Errorf("a role without a value: status %d, want 400\n%s", res.status, res.body)
		}
	})
}

// With role mappings, the SCIM roles an identity provider writes set the
// user's Roster role: the highest mapped role wins, a role the mappings set
// falls back to user when no mapped role is left, and a role an admin set
// by hand is never taken back by roles the mappings do not cover. Every
// change is audited with the SCIM token as actor.
func TestRoleMappingSetsRosterRoles(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ctx := t.Context()
		// The organization has an admin of its own, so that the mapped
		// admins below are never its last (SCIM may not demote that one;
		// see TestSCIMKeepsTheLastOrgAdmin).
		e.localUser("owner@acme.example", directory.RoleOrgAdmin)
		_, err := e.svc.UpdateOrg(ctx, operator, e.org.ID, 0, func(o *directory.Org) error {
			o.Settings.RoleMappings = []directory.RoleMapping{
				{Value: "Admin", Role: directory.RoleOrgAdmin}, {Value: "auditor", Role: directory.RoleOrgViewer},
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		role := func(id string, want directory.Role, fromMapping bool) {
			t.Helper()
			u, err := e.svc.GetUser(ctx, e.org.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != want || u.RoleFromMapping != fromMapping {
				t.Errorf("role = %s (from mapping: %v), want %s (%v)", u.Role, u.RoleFromMapping, want, fromMapping)
			}
		}
		patch := func(id, op string) {
			t.Helper()
			e.must(e.call("PATCH", "/Users/"+id, patchOp(op)), http.StatusOK)
		}

		// Grant: the highest mapped role wins, values compare regardless of case.
		ada := e.createUser("ada@acme.example", `,"roles":[{"value":"Auditor"},{"value":"Admin"},{"value":"Unmapped"}]`)
		role(ada, directory.RoleOrgAdmin, true)
		patch(ada, `{"op":"Remove","path":"roles[value eq \"Admin\"]"}`)
		role(ada, directory.RoleOrgViewer, true)
		// Revoke: no mapped role left, and the role came from the mappings.
		patch(ada, `{"op":"Remove","path":"roles[value eq \"Auditor\"]"}`)
		role(ada, directory.RoleUser, false)

		// Unmapped roles are plain data.
		bob := e.createUser("bob@acme.example", `,"roles":[{"value":"Reader"}]`)
		role(bob, directory.RoleUser, false)

		// A role set by hand stays when SCIM roles the mappings do not
		// cover change, and gives way to a mapped one.
		cyd := e.createUser("cyd@acme.example", `,"roles":[{"value":"Auditor"}]`)
		role(cyd, directory.RoleOrgViewer, true)
		admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "admin"}
		if _, err := e.svc.UpdateUser(ctx, admin, e.org.ID, cyd, 0, func(u *directory.User) error {
			u.Role = directory.RoleBillingAdmin
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		role(cyd, directory.RoleBillingAdmin, false)
		patch(cyd, `{"op":"Replace","path":"roles","value":[{"value":"Reader"}]}`)
		role(cyd, directory.RoleBillingAdmin, false)
		patch(cyd, `{"op":"remove","path":"roles"}`)
		role(cyd, directory.RoleBillingAdmin, false)
		patch(cyd, `{"op":"Add","path":"roles","value":[{"value":"ADMIN"}]}`)
		role(cyd, directory.RoleOrgAdmin, true)

		// PUT without roles takes a mapped role back.
		e.must(e.call("PUT", "/Users/"+cyd, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cyd@acme.example"}`), http.StatusOK)
		role(cyd, directory.RoleUser, false)

		// Audit: the role changes were made by the SCIM token.
		page, err := e.svc.ListAudit(ctx, e.org.ID, directory.AuditQuery{TargetKind: "user", TargetID: ada})
		if err != nil {
			t.Fatal(err)
		}
		var roleChanges []string
		for _, ev := range page.Events {
			if c, ok := ev.Changes["role"]; ok {
				if ev.ActorKind != directory.ActorToken {
					t.Errorf("%s changed the role as %s, want the SCIM token", ev.Action, ev.ActorKind)
				}
				roleChanges = append(roleChanges, fmt.Sprint(c.After))
			}
		}
		slices.Sort(roleChanges)
		if want := []string{"org_admin", "org_viewer", "user"}; !slices.Equal(roleChanges, want) {
			t.Errorf("audited role changes = %v, want %v", roleChanges, want)
		}
	})
}
