package scim_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestRootSearchFindsUsersAndGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		e.createUser("ann@acme.example", `,"displayName":"Ann","externalId":"e-ann"`)
		e.createUser("zed@acme.example", `,"displayName":"Zed"`)
		e.createUser("nobody@acme.example")
		g := e.createGroup("Bakers")
		e.createGroup("Yodelers")
		search := func(t *testing.T, body string) ([]string, map[string]any) {
			t.Helper()
			e := e.with(t)
			m := e.must(e.call("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`+body+`}`), http.StatusOK)
			var names []string
			for _, r := range m["Resources"].([]any) {
				res := r.(map[string]any)
				name, _ := res["displayName"].(string)
				if name == "" {
					name, _ = res["userName"].(string)
				}
				names = append(names, name)
			}
			if m["itemsPerPage"] != float64(len(names)) {
				t.Errorf("itemsPerPage = %v with %d resources", m["itemsPerPage"], len(names))
			}
			return names, m
		}
		tests := []struct {
			name, body string
			want       []string
			total      int
		}{
			{"no filter: Users, then Groups", ``, []string{"Ann", "Zed", "nobody@acme.example", "Bakers", "Yodelers"}, 5},
			{"an attribute both have", `,"filter":"displayName sw \"Z\" or displayName sw \"Y\""`, []string{"Zed", "Yodelers"}, 2},
			{"an attribute only Users have", `,"filter":"userName sw \"ann\""`, []string{"Ann"}, 1},
			{"an attribute only Groups have", `,"filter":"members pr or displayName eq \"Bakers\""`, []string{"Bakers"}, 1},
			{"sorted together", `,"sortBy":"displayName"`, []string{"Ann", "Bakers", "Yodelers", "Zed", "nobody@acme.example"}, 5},
			{"sorted together, descending", `,"sortBy":"displayName","sortOrder":"descending"`, []string{"nobody@acme.example", "Zed", "Yodelers", "Bakers", "Ann"}, 5},
			{"sorted by an attribute only Users have: Groups have no value", `,"sortBy":"userName","sortOrder":"descending"`, []string{"Yodelers", "Bakers", "Zed", "nobody@acme.example", "Ann"}, 5},
			{"sorted by an attribute only Users have, paged", `,"sortBy":"userName","sortOrder":"descending","count":1`, []string{"Yodelers"}, 5},
			{"paged", `,"sortBy":"displayName","startIndex":2,"count":2`, []string{"Bakers", "Yodelers"}, 5},
			{"counted only", `,"count":0`, nil, 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, m := search(t, tt.body)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				if m["totalResults"] != float64(tt.total) {
					t.Errorf("totalResults = %v, want %d", m["totalResults"], tt.total)
				}
			})
		}
		_, m := search(t, `,"filter":"id eq \"`+g+`\""`)
		res := m["Resources"].([]any)[0].(map[string]any)
		if meta := res["meta"].(map[string]any); meta["resourceType"] != "Group" {
			t.Errorf("resourceType = %v, want Group", meta["resourceType"])
		}
		scimError(t, e.call("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"nosuch eq \"x\""}`), http.StatusBadRequest, "invalidFilter")
		scimError(t, e.call("POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"nosuch"}`), http.StatusBadRequest, "invalidValue")
	})
}
