package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

const userSchema = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`

// strongPassword satisfies the default password policy.
const strongPassword = "Correct-Horse-42"

// localUser creates a local user with a password, as an admin would.
func (e *env) localUser(userName string, role directory.Role) *directory.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(context.Background(), operator, e.org.ID, &directory.User{
		UserName: userName, Role: role, AuthMethod: directory.AuthLocal, PasswordHash: "admin-set-hash",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) stored(id string) *directory.User {
	e.t.Helper()
	u, err := e.svc.GetUser(context.Background(), e.org.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// refusedAudited fails t unless the user's audit log holds a refusal of
// what, made by the SCIM token.
func refusedAudited(t *testing.T, e *env, userID, what string) {
	t.Helper()
	page, err := e.svc.ListAudit(t.Context(), e.org.ID, directory.AuditQuery{Action: "user.write.refused"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range page.Events {
		if ev.TargetID == userID && ev.ActorKind == directory.ActorToken && ev.Changes["refused"].After == what {
			return
		}
	}
	t.Errorf("no user.write.refused event of the SCIM token refusing %q for user %q: %+v", what, userID, page.Events)
}

// A SCIM client cannot take over an account that holds an admin role: it
// cannot set its password, login email or userName (403 with the Error
// schema, audited, nothing changed), whatever the method, /Bulk included;
// it still manages the rest of the profile.
func TestSCIMCannotTakeOverAdmins(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		admin := e.localUser("boss@acme.example", directory.RoleOrgAdmin)
		e.localUser("second@acme.example", directory.RoleOrgAdmin)
		viewer := e.localUser("viewer@acme.example", directory.RoleOrgViewer)
		billing := e.localUser("billing@acme.example", directory.RoleBillingAdmin)

		refused := func(t *testing.T, u *directory.User, what string, res *response) {
			t.Helper()
			scimError(t, res, http.StatusForbidden, "")
			after := e.stored(u.ID)
			if after.Version != u.Version || after.PasswordHash != u.PasswordHash || after.Email != u.Email || after.UserName != u.UserName {
				t.Errorf("the refused write changed the user: %+v", after)
			}
			refusedAudited(t, e, u.ID, what)
		}
		for _, tc := range []struct {
			name   string
			target *directory.User
			what   string
			call   func(id string) *response
		}{
			{"PATCH of the password", admin, "password", func(id string) *response {
				return e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"password","value":"`+strongPassword+`"}`))
			}},
			{"pathless PATCH of the password", viewer, "password", func(id string) *response {
				return e.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","value":{"password":"`+strongPassword+`"}}`))
			}},
			{"PUT with a password", billing, "password", func(id string) *response {
				return e.call("PUT", "/Users/"+id, `{`+userSchema+`,"userName":"billing@acme.example","password":"`+strongPassword+`"}`)
			}},
			{"PATCH of the login email", admin, "email", func(id string) *response {
				return e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"emails","value":[{"value":"evil@acme.example","primary":true}]}`))
			}},
			{"PUT of the userName", admin, "userName", func(id string) *response {
				return e.call("PUT", "/Users/"+id, `{`+userSchema+`,"userName":"evil"}`)
			}},
			{"PATCH of the userName in /Bulk", viewer, "userName", func(id string) *response {
				res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
					{"method":"PATCH","path":"/Users/`+id+`","data":`+patchOp(`{"op":"replace","path":"userName","value":"evil"}`)+`}]}`), http.StatusOK)
				op := res["Operations"].([]any)[0].(map[string]any)
				if op["status"] != "403" {
					t.Errorf("bulk result %v, want 403", op)
				}
				checkContains(t, op, `{"response":{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403"}}`)
				// The same PATCH alone, to check the error as a response.
				return e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"userName","value":"evil"}`))
			}},
		} {
			t.Run(tc.name+" of a "+string(tc.target.Role)+" is refused", func(t *testing.T) {
				u := e.stored(tc.target.ID)
				refused(t, u, tc.what, tc.call(u.ID))
			})
		}

		t.Run("the rest of an admin's profile is still the provider's", func(t *testing.T) {
			m := e.must(e.call("PATCH", "/Users/"+admin.ID, patchOp(`{"op":"replace","path":"title","value":"Chief"}`)), http.StatusOK)
			checkContains(t, m, `{"title":"Chief"}`)
			// Its own userName and email, sent again unchanged, are no change.
			e.must(e.call("PUT", "/Users/"+admin.ID, `{`+userSchema+`,"userName":"BOSS@acme.example","emails":[{"value":"boss@acme.example","primary":true}],"title":"Chief"}`), http.StatusOK)
		})

		t.Run("a plain user's password and email are still the provider's", func(t *testing.T) {
			id := e.createUser("plain@acme.example")
			e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"password","value":"`+strongPassword+`"}`)), http.StatusOK)
			e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"userName","value":"plain2@acme.example"}`)), http.StatusOK)
			if u := e.stored(id); u.PasswordHash != "hashed:"+strongPassword || u.UserName != "plain2@acme.example" {
				t.Errorf("plain user: hash %q, userName %q", u.PasswordHash, u.UserName)
			}
		})

		t.Run("another organization's admin is not found", func(t *testing.T) {
			_, otherToken := e.newOrg("globex")
			scimError(t, e.callAs(otherToken, "PATCH", "/Users/"+admin.ID, patchOp(`{"op":"replace","path":"password","value":"`+strongPassword+`"}`)), http.StatusNotFound, "")
		})
	})
}

// SCIM cannot suspend, delete or demote the organization's last active
// org_admin; with another active org_admin it can.
func TestSCIMKeepsTheLastOrgAdmin(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ctx := t.Context()
		first := e.localUser("first@acme.example", directory.RoleOrgAdmin)
		second := e.localUser("second@acme.example", directory.RoleOrgAdmin)
		suspend := patchOp(`{"op":"replace","value":{"active":false}}`)

		// Two active admins: one may go.
		e.must(e.call("PATCH", "/Users/"+second.ID, suspend), http.StatusOK)
		if got := e.stored(second.ID).Status; got != directory.StatusSuspended {
			t.Fatalf("second admin is %s, want suspended", got)
		}
		// The last one may not, whatever the method.
		before := e.stored(first.ID)
		scimError(t, e.call("PATCH", "/Users/"+first.ID, suspend), http.StatusForbidden, "")
		scimError(t, e.call("PATCH", "/Users/"+first.ID, patchOp(`{"op":"Replace","path":"active","value":"False"}`)), http.StatusForbidden, "")
		scimError(t, e.call("PUT", "/Users/"+first.ID, `{`+userSchema+`,"userName":"first@acme.example","active":false}`), http.StatusForbidden, "")
		scimError(t, e.call("DELETE", "/Users/"+first.ID, ""), http.StatusForbidden, "")
		res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"DELETE","path":"/Users/`+first.ID+`"}]}`), http.StatusOK)
		if st := res["Operations"].([]any)[0].(map[string]any)["status"]; st != "403" {
			t.Errorf("bulk DELETE of the last admin: status %v, want 403", st)
		}
		if after := e.stored(first.ID); after.Version != before.Version || after.Status != directory.StatusActive {
			t.Errorf("the last admin changed: %s, version %d → %d", after.Status, before.Version, after.Version)
		}
		refusedAudited(t, e, first.ID, "last org_admin")

		// Demotion by a role mapping is refused too.
		if _, err := e.svc.UpdateOrg(ctx, operator, e.org.ID, 0, func(o *directory.Org) error {
			o.Settings.RoleMappings = []directory.RoleMapping{{Value: "Admin", Role: directory.RoleOrgAdmin}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		mapped := e.createUser("mapped@acme.example", `,"roles":[{"value":"Admin"}]`)
		if u := e.stored(mapped); u.Role != directory.RoleOrgAdmin || u.Status != directory.StatusActive {
			t.Fatalf("mapped user: %s %s, want an active org_admin", u.Role, u.Status)
		}
		// With the mapped admin active, the first one may be suspended ...
		e.must(e.call("PATCH", "/Users/"+first.ID, suspend), http.StatusOK)
		// ... and the mapped admin, now the last, keeps its role.
		scimError(t, e.call("PATCH", "/Users/"+mapped, patchOp(`{"op":"remove","path":"roles"}`)), http.StatusForbidden, "")
		if u := e.stored(mapped); u.Role != directory.RoleOrgAdmin {
			t.Errorf("the last admin was demoted to %s", u.Role)
		}
		refusedAudited(t, e, mapped, "last org_admin")
	})
}

// Role mappings cannot be used to escalate a SCIM-controlled account: a
// mapping does not give an admin role to a user who signs in with a
// password (which the client may have set), nor can a user be created with
// a password and a mapped admin role. Users without a password are mapped
// as before (see TestRoleMappingSetsRosterRoles).
func TestSCIMRoleMappingsDoNotEscalate(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		if _, err := e.svc.UpdateOrg(t.Context(), operator, e.org.ID, 0, func(o *directory.Org) error {
			o.Settings.RoleMappings = []directory.RoleMapping{{Value: "Admin", Role: directory.RoleOrgAdmin}, {Value: "Billing", Role: directory.RoleBillingAdmin}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		withPassword := e.createUser("pw@acme.example", `,"password":"`+strongPassword+`"`)
		for _, role := range []string{"Admin", "Billing"} {
			scimError(t, e.call("PATCH", "/Users/"+withPassword, patchOp(`{"op":"add","path":"roles","value":[{"value":"`+role+`"}]}`)), http.StatusForbidden, "")
		}
		if u := e.stored(withPassword); u.Role != directory.RoleUser || len(u.Roles) != 0 {
			t.Errorf("user with a password: role %s, roles %v; want user and no roles", u.Role, u.Roles)
		}
		refusedAudited(t, e, withPassword, "role")

		res := e.call("POST", "/Users", `{`+userSchema+`,"userName":"new-admin@acme.example","password":"`+strongPassword+`","roles":[{"value":"Admin"}]}`)
		scimError(t, res, http.StatusForbidden, "")
		list := e.must(e.call("GET", `/Users?filter=userName%20eq%20%22new-admin@acme.example%22`, ""), http.StatusOK)
		if list["totalResults"] != 0.0 {
			t.Errorf("the refused create left a user: %v", list)
		}
		refusedAudited(t, e, "", "password")
	})
}

// Passwords set over SCIM follow the organization's password policy: a
// 400 invalidValue naming the rule, and nothing written, on every method.
func TestSCIMPasswordsFollowThePolicy(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		if _, err := e.svc.UpdateOrg(t.Context(), operator, e.org.ID, 0, func(o *directory.Org) error {
			o.Settings.PasswordPolicy = directory.PasswordPolicy{MinLength: 14, RequireDigit: true}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		id := e.createUser("ada@acme.example")
		before := e.stored(id)
		weak := func(t *testing.T, res *response, rules ...string) {
			t.Helper()
			scimError(t, res, http.StatusBadRequest, "invalidValue")
			detail, _ := res.json(t)["detail"].(string)
			for _, rule := range rules {
				if !strings.Contains(detail, rule) {
					t.Errorf("detail %q does not name %q", detail, rule)
				}
			}
			if strings.Contains(detail, "Horse") {
				t.Errorf("the detail repeats the password: %q", detail)
			}
		}
		weak(t, e.call("POST", "/Users", `{`+userSchema+`,"userName":"weak@acme.example","password":"Horse"}`), "at least 14 characters", "a digit")
		weak(t, e.call("PUT", "/Users/"+id, `{`+userSchema+`,"userName":"ada@acme.example","password":"Correct-Horse"}`), "at least 14 characters", "a digit")
		weak(t, e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"password","value":"Correct-Horse-Battery"}`)), "a digit")
		weak(t, e.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","value":{"password":"Horse-1"}}`)), "at least 14 characters")
		res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","path":"/Users","bulkId":"w","data":{`+userSchema+`,"userName":"bulk-weak@acme.example","password":"Horse"}}]}`), http.StatusOK)
		op := res["Operations"].([]any)[0].(map[string]any)
		checkContains(t, op, `{"status":"400","response":{"scimType":"invalidValue","status":"400"}}`)

		if after := e.stored(id); after.Version != before.Version || after.PasswordHash != "" {
			t.Errorf("a refused password changed the user: version %d → %d, hash %q", before.Version, after.Version, after.PasswordHash)
		}
		list := e.must(e.call("GET", `/Users?filter=userName%20sw%20%22weak%22%20or%20userName%20sw%20%22bulk-weak%22`, ""), http.StatusOK)
		if list["totalResults"] != 0.0 {
			t.Errorf("a user with a weak password was created: %v", list)
		}
		// A password that follows the policy is taken.
		e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"password","value":"Correct-Horse-42"}`)), http.StatusOK)
		if got := e.stored(id).PasswordHash; got != "hashed:Correct-Horse-42" {
			t.Errorf("hash = %q", got)
		}
	})
}

// A directory that suspends or removes a user ends its sessions and
// revokes its personal tokens, for good, as SCIM active=false does.
func TestDeprovisioningEndsSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ctx := t.Context()
		conn, err := e.svc.CreateConnector(ctx, operator, e.org.ID, &directory.Connector{Name: "corp", Kind: "ldap", Deprovision: directory.DeprovisionSuspend})
		if err != nil {
			t.Fatal(err)
		}
		scope := directory.SyncScope{OrgID: e.org.ID, ConnectorID: conn.ID,
			Actor:  directory.Actor{Kind: directory.ActorConnector, ID: conn.ID, Name: "corp", Source: directory.SourceLDAP},
			Fields: []directory.Attr{directory.UserUserName}}
		apply := func(c directory.SyncUserChange) string {
			t.Helper()
			res, err := e.svc.ApplySyncUsers(ctx, scope, []directory.SyncUserChange{c})
			if err != nil || res[0].Err != nil {
				t.Fatalf("ApplySyncUsers(%s): %v %v", c.Action, err, res)
			}
			return res[0].UserID
		}
		token := func(userID string) string {
			t.Helper()
			hash := directory.NewID()
			if err := e.svc.StartSession(ctx, &directory.Session{OrgID: e.org.ID, UserID: userID, Kind: directory.SessionAPIToken,
				Stage: directory.StageFull, Name: "automation", SecretHash: hash, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			return hash
		}
		works := func(hash string) bool {
			t.Helper()
			_, _, err := e.svc.AuthenticateSession(ctx, hash)
			if err != nil && !directory.IsCode(err, directory.CodeUnauthorized) {
				t.Fatal(err)
			}
			return err == nil
		}
		attrs := map[directory.Attr]string{directory.UserUserName: "ldap@acme.example"}
		id := apply(directory.SyncUserChange{Action: directory.SyncCreate, Ref: "uid=ldap", Active: true, Attrs: attrs})
		bystander := token(e.localUser("bystander@acme.example", directory.RoleUser).ID)
		for _, action := range []directory.SyncAction{directory.SyncSuspend, directory.SyncDelete} {
			hash := token(id)
			apply(directory.SyncUserChange{Action: action, Ref: "uid=ldap", UserID: id, Reason: "gone from the directory"})
			// Back in the directory, enabled: the directory lifts what it set.
			apply(directory.SyncUserChange{Action: directory.SyncUpdate, Ref: "uid=ldap", UserID: id, Active: true, Attrs: attrs})
			if u := e.stored(id); u.Status != directory.StatusActive {
				t.Fatalf("after %s and its return the user is %s", action, u.Status)
			}
			if works(hash) {
				t.Errorf("a personal token outlived the directory's %s", action)
			}
		}
		if !works(bystander) {
			t.Error("another user's token was revoked")
		}
	})
}

// Two SCIM requests that each suspend one of an organization's two
// admins, at the same time, never both succeed.
func TestSCIMKeepsTheLastOrgAdminUnderRaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		suspend := patchOp(`{"op":"replace","value":{"active":false}}`)
		for round := range 8 {
			org, token := e.newOrg(fmt.Sprintf("race%d", round))
			var ids []string
			for _, name := range []string{"a", "b"} {
				u, err := e.svc.CreateUser(t.Context(), operator, org.ID, &directory.User{
					UserName: name + "@" + org.Slug + ".example", Role: directory.RoleOrgAdmin, PasswordHash: "admin-set-hash"})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = e.callAs(token, "PATCH", "/Users/"+id, suspend).status
				}()
			}
			wg.Wait()
			slices.Sort(statuses)
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusForbidden {
				t.Fatalf("round %d: statuses %v, want one 200 and one 403", round, statuses)
			}
			active := 0
			for _, id := range ids {
				u, err := e.svc.GetUser(t.Context(), org.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				if u.Status == directory.StatusActive {
					active++
				}
			}
			if active != 1 {
				t.Fatalf("round %d: %d admins active, want 1", round, active)
			}
		}
	})
}
