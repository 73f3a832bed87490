package scim_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// answer is what a client is told, for comparing the stores' answers.
type answer struct {
	Status   int
	ScimType string
	Detail   string
}

// TestBadTextIsRefusedAlikeOnEveryStore sends NUL, invalid UTF-8 and
// control characters in every kind of SCIM input to both stores: each is a
// 400 naming the attribute, the two stores answer exactly alike, and
// nothing is stored.
func TestBadTextIsRefusedAlikeOnEveryStore(t *testing.T) {
	const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`
	const enterprise = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	cases := []struct {
		name, method, path, body string
		want                     answer // Detail holds a part of the detail
	}{
		{"NUL in userName", "POST", "/Users", user + `"userName":"ada\u0000@acme.example"}`,
			answer{400, "invalidValue", `field "userName" must not contain NUL characters`}},
		{"NUL in a sub-attribute", "POST", "/Users", user + `"userName":"ada@acme.example","name":{"givenName":"A\u0000da"}}`,
			answer{400, "invalidValue", `field "name.givenName" must not contain NUL characters`}},
		{"invalid UTF-8 in displayName", "POST", "/Users", user + "\"userName\":\"ada@acme.example\",\"displayName\":\"Ad\xffa\"}",
			answer{400, "invalidValue", `field "displayName" is not valid UTF-8`}},
		{"invalid UTF-8 in an attribute name", "POST", "/Users", user + "\"userName\":\"ada@acme.example\",\"ti\xfftle\":\"x\"}",
			answer{400, "invalidValue", "is not valid UTF-8"}},
		{"a line break in a name", "POST", "/Users", user + `"userName":"ada@acme.example","displayName":"Ada\nLovelace"}`,
			answer{400, "invalidValue", "displayName must not contain control characters"}},
		{"a tab in a title", "POST", "/Users", user + `"userName":"ada@acme.example","title":"Chief\tEngineer"}`,
			answer{400, "invalidValue", "title must not contain control characters"}},
		{"an escape character in an enterprise attribute", "POST", "/Users", user + `"userName":"ada@acme.example",` + enterprise + `:{"department":"R\u001bD"}}`,
			answer{400, "invalidValue", "department must not contain control characters"}},
		{"a control character in a phone number", "POST", "/Users", user + `"userName":"ada@acme.example","phoneNumbers":[{"value":"+44\u0007"}]}`,
			answer{400, "invalidValue", "phone must not contain control characters"}},
		{"NUL through PATCH", "PATCH", "/Users/{id}", patchOp(`{"op":"replace","path":"displayName","value":"x\u0000"}`),
			answer{400, "invalidValue", `must not contain NUL characters`}},
		{"a control character through PATCH", "PATCH", "/Users/{id}", patchOp(`{"op":"replace","path":"name.familyName","value":"L\u0001"}`),
			answer{400, "invalidValue", "name.familyName must not contain control characters"}},
		{"NUL through PUT", "PUT", "/Users/{id}", user + `"userName":"grace@acme.example","name":{"familyName":"H\u0000"}}`,
			answer{400, "invalidValue", `field "name.familyName" must not contain NUL characters`}},
		{"NUL in a group name", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g\u0000"}`,
			answer{400, "invalidValue", `field "displayName" must not contain NUL characters`}},
		{"a line break in a group name", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g\r\nh"}`,
			answer{400, "invalidValue", "displayName must not contain control characters"}},
		{"NUL in a filter", "GET", `/Users?filter=userName+eq+%22a%5Cu0000%22`, "",
			answer{400, "invalidFilter", "holds NUL or invalid UTF-8"}},
		{"a NUL byte in a query parameter", "GET", "/Users?filter=userName+eq+%22a%00%22", "",
			answer{400, "invalidValue", "the query parameter filter must be valid UTF-8 without NUL characters"}},
		{"invalid UTF-8 in a query parameter", "GET", "/Users?filter=userName+eq+%22%FF%22", "",
			answer{400, "invalidValue", "the query parameter filter must be valid UTF-8 without NUL characters"}},
		{"NUL in an id", "GET", "/Users/a%00b", "",
			answer{400, "invalidValue", "the path must be valid UTF-8 without NUL characters"}},
		{"NUL inside a bulk operation", "POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` +
			`{"method":"POST","path":"/Users","bulkId":"a","data":` + user + `"userName":"bulk\u0000@acme.example"}}]}`,
			answer{400, "invalidValue", `field "Operations[0].data.userName" must not contain NUL characters`}},
	}

	var mu sync.Mutex
	answers := map[string][]answer{}
	t.Run("stores", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
			e := newEnv(t, newStore(t))
			id := e.createUser("grace@acme.example", `,"displayName":"Grace"`)
			before := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
			var got []answer
			for _, c := range cases {
				res := e.call(c.method, strings.ReplaceAll(c.path, "{id}", id), c.body)
				a := answer{Status: res.status}
				if len(res.body) > 0 {
					m := res.json(t)
					a.ScimType, _ = m["scimType"].(string)
					a.Detail, _ = m["detail"].(string)
				}
				if a.Status != c.want.Status || a.ScimType != c.want.ScimType || !strings.Contains(a.Detail, c.want.Detail) {
					t.Errorf("%s: %+v, want %+v", c.name, a, c.want)
				}
				if strings.Contains(a.Detail, "\x00") {
					t.Errorf("%s: the answer echoes the NUL: %q", c.name, a.Detail)
				}
				got = append(got, a)
			}
			// Nothing was stored: one user, unchanged; no group.
			after := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the user changed (-before +after):\n%s", diff)
			}
			users := e.must(e.call("GET", "/Users", ""), http.StatusOK)
			groups := e.must(e.call("GET", "/Groups", ""), http.StatusOK)
			if users["totalResults"] != 1.0 || groups["totalResults"] != 0.0 {
				t.Errorf("after the refusals: %v users and %v groups, want 1 and 0", users["totalResults"], groups["totalResults"])
			}
			mu.Lock()
			answers[t.Name()] = got
			mu.Unlock()
		})
	})
	sqlite, postgres := answers[t.Name()+"/stores/sqlite"], answers[t.Name()+"/stores/postgres"]
	if sqlite != nil && postgres != nil {
		if diff := cmp.Diff(sqlite, postgres); diff != "" {
			t.Errorf("the stores answer differently (-sqlite +postgres):\n%s", diff)
		}
	}
}
