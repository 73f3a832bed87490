package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// An identity provider that writes to a user a directory connector
// sourced may not change what the connector maps; resending the same
// values works.
func TestAttributesAConnectorOwnsAreConflicts(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ctx := context.Background()
		conn, err := e.svc.CreateConnector(ctx, operator, e.org.ID, &directory.Connector{Name: "corp", Kind: "ldap", Deprovision: directory.DeprovisionSuspend})
		if err != nil {
			t.Fatal(err)
		}
		scope := directory.SyncScope{OrgID: e.org.ID, ConnectorID: conn.ID,
			Actor:  directory.Actor{Kind: directory.ActorConnector, ID: conn.ID, Name: "corp", Source: directory.SourceLDAP},
			Fields: directory.ConnectorFields(conn)}
		res, err := e.svc.ApplySyncUsers(ctx, scope, []directory.SyncUserChange{{Action: directory.SyncCreate, Ref: "uuid-1", Active: true,
			Role: directory.RoleUser, Attrs: map[directory.Attr]string{directory.UserUserName: "ldap@acme.example",
				directory.UserGivenName: "Lou", directory.UserFamilyName: "Dap", directory.UserTitle: "Engineer"}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("ApplySyncUsers: %v %v", err, res)
		}
		id := res[0].UserID
		before, err := e.svc.GetUser(ctx, e.org.ID, id)
		if err != nil {
			t.Fatal(err)
		}

		t.Log("PATCH of an owned attribute: 409 naming the connector and the attribute")
		r := e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"title","value":"Boss"}`))
		scimError(t, r, http.StatusConflict, "mutability")
		if detail, _ := r.json(t)["detail"].(string); !strings.Contains(detail, "corp") || !strings.Contains(detail, "title") {
			t.Errorf("detail = %q, want the connector and the attribute named", detail)
		}
		t.Log("PUT changing the name: the same")
		got := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
		got["name"] = map[string]any{"givenName": "Louise", "familyName": "Dap"}
		body, _ := json.Marshal(got)
		scimError(t, e.call("PUT", "/Users/"+id, string(body)), http.StatusConflict, "mutability")
		if after, _ := e.svc.GetUser(ctx, e.org.ID, id); after.Version != before.Version || after.GivenName != "Lou" || after.Title != "Engineer" {
			t.Errorf("a refused write changed the user: %+v", after)
		}

		t.Log("PUT resending the same values, and PATCH of what the connector does not map, pass")
		got = e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
		body, _ = json.Marshal(got)
		e.must(e.call("PUT", "/Users/"+id, string(body)), http.StatusOK)
		e.must(e.call("PATCH", "/Users/"+id, patchOp(
			`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC-1"}`)), http.StatusOK)
		if after, _ := e.svc.GetUser(ctx, e.org.ID, id); after.Enterprise.CostCenter != "CC-1" || after.Title != "Engineer" {
			t.Errorf("after the allowed writes: costCenter %q, title %q", after.Enterprise.CostCenter, after.Title)
		}
	})
}
