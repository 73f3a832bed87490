package scim_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestItemsPerPageCountsTheResourcesReturned(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		for i := range 3 {
			e.createUser(fmt.Sprintf("u%d@acme.example", i))
		}
		e.createGroup("One")
		for _, path := range []string{
			"/Users", "/Users?count=2", "/Users?count=0", "/Users?startIndex=3", "/Users?startIndex=10",
			"/Users?cursor&count=2", "/Users?attributes=userName&count=1", "/Groups", "/Groups?count=1",
			"/Schemas", "/ResourceTypes",
		} {
			t.Run(path, func(t *testing.T) {
				m := e.with(t).must(e.with(t).call("GET", path, ""), http.StatusOK)
				resources, _ := m["Resources"].([]any)
				if got, _ := m["itemsPerPage"].(float64); int(got) != len(resources) {
					t.Errorf("itemsPerPage = %v, with %d resources", m["itemsPerPage"], len(resources))
				}
			})
		}
		m := e.must(e.call("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":2}`), http.StatusOK)
		if m["itemsPerPage"] != float64(2) {
			t.Errorf(".search: itemsPerPage = %v, want 2", m["itemsPerPage"])
		}
	})
}
