package scim

import (
	"testing"

	"github.com/roster/roster/internal/directory"
)

// FuzzPatchEngine feeds arbitrary PATCH bodies to the patch engine, and
// arbitrary filters to the compiler, without a store, so that long fuzzing
// runs are fast. Every failure must be a client error.
func FuzzPatchEngine(f *testing.F) {
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"a@b.c"}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":["m"]}}}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"x\" or value eq \"y\"]"}]}`)
	f.Add(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"addresses[type eq \"work\"].postalCode","value":1}]}`)
	users, groups := userSchema(testOrg, false), groupSchema()
	f.Fuzz(func(t *testing.T, body string) {
		ops, err := parsePatch([]byte(body))
		if err != nil {
			clientError(t, err)
			return
		}
		u := baseUser()
		clientError(t, patchUser(u, users, ops, map[string]string{}))
		clientError(t, patchGroup(&directory.Group{DisplayName: "G"}, groups, ops, &memberChange{}))
		_, err = compileFilter(body, &userQueries)
		clientError(t, err)
	})
}

func clientError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if se := errorFor(err); se.Status < 400 || se.Status >= 500 {
		t.Errorf("error %v maps to %d, want a 4xx", err, se.Status)
	}
}
