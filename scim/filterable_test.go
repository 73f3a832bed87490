package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Every attribute /Schemas lists for Users and Groups is filterable on
// every store, unless the schema marks it "filterable": false; then a
// filter on it is refused as invalidFilter, never a server error.
func TestEveryFilterableAttributeOfTheServedSchemaFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		boss := e.createUser("boss@acme.example", `,"name":{"givenName":"Bo","familyName":"Boss"}`)
		e.createUser("worker@acme.example", `,"name":{"givenName":"Wo","familyName":"Worker"},"externalId":"W-1",
			"emails":[{"value":"worker@mail.example","type":"work","primary":true}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"`+boss+`"}}`)
		e.createGroup("Team")

		endpoints := map[string]string{
			"urn:ietf:params:scim:schemas:core:2.0:User":                 "/Users",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "/Users",
			directory.SchemaRoster:                                       "/Users",
			"urn:ietf:params:scim:schemas:extension:roster:2.0:User":     "/Users",
			"urn:ietf:params:scim:schemas:core:2.0:Group":                "/Groups",
		}
		filterable := map[string]bool{}
		m := e.must(e.call("GET", "/Schemas", ""), http.StatusOK)
		for _, r := range m["Resources"].([]any) {
			s := r.(map[string]any)
			id := s["id"].(string)
			ep, ok := endpoints[id]
			if !ok {
				continue
			}
			for _, a := range s["attributes"].([]any) {
				am := a.(map[string]any)
				leaves := []map[string]any{am}
				prefix := ""
				if subs, ok := am["subAttributes"].([]any); ok {
					leaves, prefix = nil, am["name"].(string)+"."
					for _, sub := range subs {
						leaves = append(leaves, sub.(map[string]any))
					}
				}
				for _, leaf := range leaves {
					path := id + ":" + prefix + leaf["name"].(string)
					value := `"x"`
					switch leaf["type"] {
					case "boolean":
						value = "true"
					case "decimal", "integer":
						value = "1"
					case "dateTime":
						value = `"2020-01-01T00:00:00Z"`
					}
					on := leaf["filterable"] != false
					filterable[path] = on
					for _, f := range []string{path + " pr", path + " eq " + value} {
						t.Run(ep+" "+f, func(t *testing.T) {
							res := e.with(t).call("GET", ep+"?filter="+url.QueryEscape(f), "")
							if on {
								e.with(t).must(res, http.StatusOK)
							} else {
								scimError(t, res, http.StatusBadRequest, "invalidFilter")
							}
						})
					}
				}
			}
		}
		// What clients filter on most is filterable, and finds the right users.
		lastHour := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
		for _, tc := range []struct{ filter, want string }{
			{`name.familyName eq "worker"`, "worker@acme.example"},
			{`emails.value eq "WORKER@mail.example"`, "worker@acme.example"},
			{`externalId eq "W-1"`, "worker@acme.example"},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "` + boss + `"`, "worker@acme.example"},
			{`meta.lastModified gt "` + lastHour + `" and name.givenName eq "bo"`, "boss@acme.example"},
		} {
			t.Run(tc.filter, func(t *testing.T) {
				m := e.with(t).must(e.with(t).call("GET", "/Users?filter="+url.QueryEscape(tc.filter), ""), http.StatusOK)
				got := fmt.Sprint(m["totalResults"])
				if got != "1" || m["Resources"].([]any)[0].(map[string]any)["userName"] != tc.want {
					t.Errorf("found %s: %v, want %s", got, m["Resources"], tc.want)
				}
			})
		}
		// The common attributes belong to no schema (RFC 7643 §3.1), so
		// /Schemas does not list them; Roster filters on these.
		for _, ep := range []string{"/Users", "/Groups"} {
			for _, f := range []string{`id pr`, `externalId eq "x"`, `meta.created gt "2020-01-01T00:00:00Z"`, `meta.lastModified lt "2020-01-01T00:00:00Z"`} {
				t.Run(ep+" "+f, func(t *testing.T) {
					e.with(t).must(e.with(t).call("GET", ep+"?filter="+url.QueryEscape(f), ""), http.StatusOK)
				})
			}
		}
		for _, p := range []string{"userName", "name.familyName", "emails.value"} {
			if !filterable["urn:ietf:params:scim:schemas:core:2.0:User:"+p] {
				t.Errorf("/Schemas does not offer %s as filterable", p)
			}
		}
		if !filterable["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"] {
			t.Errorf("/Schemas does not offer manager.value as filterable")
		}
	})
}
