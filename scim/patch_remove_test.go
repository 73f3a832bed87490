package scim_test

import (
	"net/http"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestPatchRemoveOptionalAttributes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		id := e.createUser("remove@acme.example", `,"title":"CEO","displayName":"Rem Ove","name":{"givenName":"Rem","familyName":"Ove"},
			"phoneNumbers":[{"value":"+1 555 0100","type":"work"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Board","costCenter":"C1","employeeNumber":"7"}`)
		tests := []struct {
			path string
			gone func(m map[string]any) bool
		}{
			{"title", func(m map[string]any) bool { return m["title"] == nil }},
			{"Remove displayName", func(m map[string]any) bool { return m["displayName"] == nil }},
			{"name.givenName", func(m map[string]any) bool { n, _ := m["name"].(map[string]any); return n["givenName"] == nil }},
			{`phoneNumbers[type eq "work"]`, func(m map[string]any) bool { return m["phoneNumbers"] == nil }},
			{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", func(m map[string]any) bool {
				ent, _ := m[enterpriseURN].(map[string]any)
				return ent["department"] == nil && ent["costCenter"] == "C1"
			}},
			{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", func(m map[string]any) bool {
				ent, _ := m[enterpriseURN].(map[string]any)
				return ent["employeeNumber"] == nil
			}},
		}
		for _, tt := range tests {
			t.Run("remove "+tt.path+" removes it", func(t *testing.T) {
				op, path := "remove", tt.path
				if len(path) > 7 && path[:7] == "Remove " {
					op, path = "Remove", path[7:] // Entra capitalises ops
				}
				body := patchOp(`{"op":"` + op + `","path":` + quote(path) + `}`)
				e.with(t).must(e.with(t).call("PATCH", "/Users/"+id, body), http.StatusOK)
				got := e.with(t).must(e.with(t).call("GET", "/Users/"+id, ""), http.StatusOK)
				if !tt.gone(got) {
					t.Errorf("after removing %s, GET shows %v", tt.path, got)
				}
			})
		}
		before := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
		for _, op := range []string{
			`{"op":"remove","path":"active"}`,
			`{"op":"Remove","path":"active"}`,
			`{"op":"replace","path":"active","value":null}`,
			`{"op":"remove","path":"userName"}`,
			`{"op":"remove","path":"name.formatted"}`,
		} {
			t.Run(op+" is refused", func(t *testing.T) {
				scimError(t, e.with(t).call("PATCH", "/Users/"+id, patchOp(op)), http.StatusBadRequest, "mutability")
			})
		}
		after := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
		if after["meta"].(map[string]any)["version"] != before["meta"].(map[string]any)["version"] || after["active"] != true {
			t.Errorf("a refused removal changed the user: %v, was %v", after, before)
		}
	})
}

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
