package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestOrganizationsAreIsolated points every endpoint of one organization's
// token at another organization's users and groups: nothing is seen,
// changed or deleted, and the other organization's data is untouched.
func TestOrganizationsAreIsolated(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		_, theirToken := e.newOrg("globex")
		them := &env{t: t, store: e.store, svc: e.svc, h: e.h, token: theirToken}

		theirUser := them.createUser("hank@globex.example", `,"externalId":"hank","emails":[{"value":"hank@globex.example","type":"work"}]`)
		theirGroup := them.createGroup("Globex staff")
		them.must(them.call("PATCH", "/Groups/"+theirGroup, patchOp(`{"op":"add","path":"members","value":[{"value":"`+theirUser+`"}]}`)), http.StatusNoContent)
		theirDeleted := them.createUser("gone@globex.example")
		them.must(them.call("DELETE", "/Users/"+theirDeleted, ""), http.StatusNoContent)
		snapshot := func() string {
			u := them.must(them.call("GET", "/Users/"+theirUser, ""), http.StatusOK)
			g := them.must(them.call("GET", "/Groups/"+theirGroup, ""), http.StatusOK)
			return fmt.Sprint(u["meta"], g["meta"], g["members"])
		}
		before := snapshot()

		mine := e.createUser("wile@acme.example")
		myGroup := e.createGroup("Acme staff")

		notFound := []struct{ method, path, body string }{
			{"GET", "/Users/" + theirUser, ""},
			{"PUT", "/Users/" + theirUser, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hank@globex.example","active":false}`},
			{"PATCH", "/Users/" + theirUser, patchOp(`{"op":"replace","path":"active","value":false}`)},
			{"DELETE", "/Users/" + theirUser, ""},
			{"GET", "/Groups/" + theirGroup, ""},
			{"PUT", "/Groups/" + theirGroup, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Taken over","members":[]}`},
			{"PATCH", "/Groups/" + theirGroup, patchOp(`{"op":"remove","path":"members"}`)},
			{"DELETE", "/Groups/" + theirGroup, ""},
		}
		for _, c := range notFound {
			t.Run(c.method+" "+c.path[:7]+" of another organization", func(t *testing.T) {
				scimError(t, e.call(c.method, c.path, c.body), http.StatusNotFound, "")
			})
		}

		empty := []string{
			`/Users?filter=` + url.QueryEscape(`id eq "`+theirUser+`"`),
			`/Users?filter=` + url.QueryEscape(`userName eq "hank@globex.example"`),
			`/Users?filter=` + url.QueryEscape(`externalId eq "hank"`),
			`/Users?filter=` + url.QueryEscape(`emails[type eq "work"].value eq "hank@globex.example"`),
			`/Users?filter=` + url.QueryEscape(`groups[value eq "`+theirGroup+`"]`),
			`/Groups?filter=` + url.QueryEscape(`id eq "`+theirGroup+`"`),
			`/Groups?filter=` + url.QueryEscape(`members[value eq "`+theirUser+`"]`),
			`/Groups?filter=` + url.QueryEscape(`displayName eq "Globex staff"`),
		}
		for _, path := range empty {
			res := e.must(e.call("GET", path, ""), http.StatusOK)
			if res["totalResults"] != 0.0 {
				t.Errorf("GET %s: totalResults = %v, want 0", path, res["totalResults"])
			}
		}
		for _, path := range []string{"/Users", "/Groups"} {
			res := e.must(e.call("GET", path, ""), http.StatusOK)
			if res["totalResults"] != 1.0 {
				t.Errorf("GET %s lists %v resources, want only this organization's one", path, res["totalResults"])
			}
		}
		search := e.must(e.call("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"hank\""}`), http.StatusOK)
		if search["totalResults"] != 0.0 {
			t.Errorf("POST /Users/.search found another organization's user")
		}

		// Their users cannot join our groups, and our group filter on them
		// finds nothing.
		scimError(t, e.call("PATCH", "/Groups/"+myGroup, patchOp(`{"op":"add","path":"members","value":[{"value":"`+theirUser+`"}]}`)), http.StatusBadRequest, "invalidValue")
		scimError(t, e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Poach","members":[{"value":"`+theirUser+`"}]}`), http.StatusBadRequest, "invalidValue")
		scimError(t, e.call("PUT", "/Groups/"+myGroup, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Acme staff","members":[{"value":"`+theirUser+`"}]}`), http.StatusBadRequest, "invalidValue")

		// Their verified domain stays theirs: a login email on it is
		// refused, whether or not they have such a user, deleted or not.
		scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"HANK@globex.example"}`), http.StatusConflict, "uniqueness")
		scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"gone@globex.example"}`), http.StatusConflict, "uniqueness")
		scimError(t, e.call("PATCH", "/Users/"+mine, patchOp(`{"op":"replace","path":"userName","value":"hank@globex.example"}`)), http.StatusConflict, "uniqueness")

		// Bulk operations are scoped the same way.
		bulk := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"PATCH","path":"/Users/`+theirUser+`","data":`+patchOp(`{"op":"replace","path":"active","value":false}`)+`},
			{"method":"DELETE","path":"/Groups/`+theirGroup+`"},
			{"method":"PUT","path":"/Users/`+theirUser+`","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hank@globex.example"}}]}`), http.StatusOK)
		for _, op := range bulk["Operations"].([]any) {
			if status := op.(map[string]any)["status"]; status != "404" {
				t.Errorf("bulk %v on another organization: status %v, want 404", op.(map[string]any)["method"], status)
			}
		}

		if after := snapshot(); after != before {
			t.Errorf("the other organization's data changed:\nbefore %s\nafter  %s", before, after)
		}
		u, err := e.svc.GetUser(t.Context(), them.orgOf(t), theirDeleted)
		if err != nil || !u.Deleted() {
			t.Errorf("their deleted user: %v, %v; want it still deleted", u, err)
		}
	})
}

// orgOf returns the organization of the environment's token.
func (e *env) orgOf(t *testing.T) string {
	tok, err := e.svc.AuthenticateToken(t.Context(), directory.TokenSCIM, e.token)
	if err != nil {
		t.Fatal(err)
	}
	return tok.OrgID
}
