package scim_test

import (
	"net/http"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestDiscoveryEndpointsRefuseWrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		paths := []string{
			"/ServiceProviderConfig", "/Schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
			"/ResourceTypes", "/ResourceTypes/User",
		}
		for _, p := range paths {
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				t.Run(m+" "+p+" answers 405", func(t *testing.T) {
					res := e.with(t).call(m, p, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`)
					scimError(t, res, http.StatusMethodNotAllowed, "")
					if got := res.header.Get("Allow"); got != "GET, HEAD" {
						t.Errorf("Allow = %q, want GET, HEAD", got)
					}
				})
			}
			t.Run("GET "+p+" still answers 200", func(t *testing.T) {
				e.with(t).must(e.with(t).call("GET", p, ""), http.StatusOK)
			})
		}
	})
}
