package scim_test

import (
	"net/http"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestDeletingAUserChangesItsGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		uid := e.createUser("leaver@acme.example")
		stay := e.createUser("stayer@acme.example")
		g1, g2, g3 := e.createGroup("One"), e.createGroup("Two"), e.createGroup("Not hers")
		for _, g := range []string{g1, g2} {
			e.must(e.call("PATCH", "/Groups/"+g, patchOp(`{"op":"add","path":"members","value":[{"value":"`+uid+`"},{"value":"`+stay+`"}]}`)), http.StatusNoContent)
		}
		e.must(e.call("PATCH", "/Groups/"+g3, patchOp(`{"op":"add","path":"members","value":[{"value":"`+stay+`"}]}`)), http.StatusNoContent)
		type seen struct{ etag, version, lastModified string }
		read := func(id string) seen {
			res := e.call("GET", "/Groups/"+id, "")
			meta := e.must(res, http.StatusOK)["meta"].(map[string]any)
			return seen{res.header.Get("ETag"), meta["version"].(string), meta["lastModified"].(string)}
		}
		before := map[string]seen{g1: read(g1), g2: read(g2), g3: read(g3)}

		e.must(e.call("DELETE", "/Users/"+uid, ""), http.StatusNoContent)

		for _, g := range []string{g1, g2} {
			got := read(g)
			if got.version == before[g].version || got.etag == before[g].etag {
				t.Errorf("group %s: version %s, ETag %s did not change when a member was deleted", g, got.version, got.etag)
			}
			if got.etag != got.version {
				t.Errorf("group %s: ETag %s, meta.version %s", g, got.etag, got.version)
			}
			if got.lastModified < before[g].lastModified {
				t.Errorf("group %s: lastModified went back from %s to %s", g, before[g].lastModified, got.lastModified)
			}
			// A client holding the old ETag must not overwrite the group.
			res := e.call("PATCH", "/Groups/"+g, patchOp(`{"op":"replace","path":"displayName","value":"Renamed"}`), "If-Match", before[g].etag)
			scimError(t, res, http.StatusPreconditionFailed, "")
		}
		if got := read(g3); got != before[g3] {
			t.Errorf("a group the deleted user was not in changed: %+v, was %+v", got, before[g3])
		}
	})
}
