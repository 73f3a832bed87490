package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestEachOrganizationHasItsOwnUserNames provisions the same userNames,
// as the clients people use send them, in two organizations.
func TestEachOrganizationHasItsOwnUserNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		_, theirToken := e.newOrg("globex")
		them := &env{t: t, store: e.store, svc: e.svc, h: e.h, token: theirToken}

		for _, userName := range []string{"jdoe", "bjensen", "john.doe@contoso.onmicrosoft.com", "E012345"} {
			t.Run(userName+" is provisioned in both organizations", func(t *testing.T) {
				body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `"}`
				mine := e.must(e.call("POST", "/Users", body), http.StatusCreated)
				theirs := them.must(them.call("POST", "/Users", body), http.StatusCreated)
				if mine["id"] == theirs["id"] || mine["userName"] != userName || theirs["userName"] != userName {
					t.Fatalf("mine %v, theirs %v", mine, theirs)
				}
				// Within one organization the name is taken, in any case.
				scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+
					strings.ToUpper(userName)+`"}`), http.StatusConflict, "uniqueness")
				// Each finds its own.
				for _, x := range []*env{e, them} {
					list := x.must(x.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), ""), http.StatusOK)
					if list["totalResults"] != 1.0 {
						t.Fatalf("filter found %v", list["totalResults"])
					}
				}
			})
		}

		t.Run("a login email on the other organization's verified domain is a uniqueness conflict", func(t *testing.T) {
			scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ceo",
				"emails":[{"value":"ceo@globex.example","primary":true}]}`), http.StatusConflict, "uniqueness")
			id := e.createUser("ceo")
			scimError(t, e.call("PATCH", "/Users/"+id, patchOp(`{"op":"add","path":"emails","value":[{"value":"ceo@globex.example","primary":true}]}`)),
				http.StatusConflict, "uniqueness")
			them.must(them.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ceo",
				"emails":[{"value":"ceo@globex.example","primary":true}]}`), http.StatusCreated)
		})
	})
}
