package scim_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// A user answered whole is written without its attribute map; a request
// that selects attributes still goes through the map. Asking to exclude
// groups (never returned by default) selects nothing away, so both must be
// the same bytes, for users with every kind of attribute, on each store.
func TestWholeUserAnswersAreTheSelectedOnes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		r := rand.New(rand.NewPCG(7, 18))
		var ids []string
		for i := range 30 {
			manager := ""
			if len(ids) > 0 {
				manager = ids[0]
			}
			ids = append(ids, e.must(e.call("POST", "/Users", variedUser(r, i, "whole", manager)), http.StatusCreated)["id"].(string))
		}
		for _, id := range ids {
			whole := e.call("GET", "/Users/"+id, "")
			selected := e.call("GET", "/Users/"+id+"?excludedAttributes=groups", "")
			if whole.status != http.StatusOK || string(whole.body) != string(selected.body) {
				t.Fatalf("GET %s: %d\n whole    %s\n selected %s", id, whole.status, whole.body, selected.body)
			}
			if whole.header.Get("ETag") != selected.header.Get("ETag") || whole.header.Get("Content-Type") != "application/scim+json" {
				t.Errorf("GET %s: headers %v and %v", id, whole.header, selected.header)
			}
			patch := e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"title","value":"Patched \u00e9"}`))
			after := e.call("GET", "/Users/"+id+"?excludedAttributes=groups", "")
			if patch.status != http.StatusOK || string(patch.body) != string(after.body) {
				t.Fatalf("PATCH %s: %d\n answer %s\n then   %s", id, patch.status, patch.body, after.body)
			}
		}
		filter := url.QueryEscape(`userName sw "whole-"`)
		whole := e.call("GET", "/Users?count=100&filter="+filter, "")
		selected := e.call("GET", "/Users?count=100&excludedAttributes=groups&filter="+filter, "")
		if whole.status != http.StatusOK || string(whole.body) != string(selected.body) {
			t.Fatalf("list: %d\n whole    %s\n selected %s", whole.status, whole.body, selected.body)
		}
		if n := len(whole.json(t)["Resources"].([]any)); n != len(ids) {
			t.Errorf("list: %d users, want %d", n, len(ids))
		}
	})
}

// variedUser is the body of a user with a varied mix of attributes: empty,
// absent, unicode and HTML text, several emails and phone numbers, roles,
// entitlements, the enterprise extension with a manager (when managerID is
// not empty) and custom properties.
func variedUser(r *rand.Rand, i int, prefix, managerID string) string {
	texts := []string{"", "ada", "Zoë Ñúñez", "李小龙", "emoji 🎉", `quote " back \`, "<b>&amp;</b>", "line\u2028sep", "  padded  "}
	s := func() string { return texts[r.IntN(len(texts))] }
	attr := func(name string) string {
		if v := s(); v != "" || r.IntN(2) == 0 {
			return fmt.Sprintf(`,%q:%s`, name, quote(v))
		}
		return "" // absent
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%s`, quote(fmt.Sprintf("%s-%d-%s", prefix, i, strings.TrimSpace(s()))))
	for _, a := range []string{"externalId", "displayName", "title", "nickName", "userType", "locale", "timezone", "preferredLanguage"} {
		b.WriteString(attr(a))
	}
	fmt.Fprintf(&b, `,"name":{"givenName":%s,"familyName":%s,"middleName":%s}`, quote(s()), quote(s()), quote(s()))
	if i%2 == 0 {
		fmt.Fprintf(&b, `,"active":%t`, i%4 == 0)
	}
	var emails, phones, grants []string
	for j := range r.IntN(3) {
		emails = append(emails, fmt.Sprintf(`{"value":"%s%d-%d@acme.example","type":%s,"primary":%t}`, prefix, i, j, quote([]string{"work", "home", ""}[r.IntN(3)]), j == 0))
	}
	for j := range r.IntN(3) {
		phones = append(phones, fmt.Sprintf(`{"value":"+1 555 01%02d","type":"mobile","primary":%t}`, j, j == 1))
	}
	for j := range r.IntN(3) {
		grants = append(grants, fmt.Sprintf(`{"value":"grant-%d","display":%s}`, j, quote(s())))
	}
	fmt.Fprintf(&b, `,"emails":[%s],"phoneNumbers":[%s],"entitlements":[%s],"roles":[%s]`,
		strings.Join(emails, ","), strings.Join(phones, ","), strings.Join(grants, ","), strings.Join(grants, ","))
	if i%3 > 0 {
		manager := ""
		if managerID != "" && i%3 == 1 {
			manager = fmt.Sprintf(`,"manager":{"value":%q}`, managerID)
		}
		fmt.Fprintf(&b, `,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":%s,"employeeNumber":%s%s}`, quote(s()), quote(s()), manager)
	}
	if i%4 > 0 {
		fmt.Fprintf(&b, `,"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"costCode":%s,"floor":%d}`, quote(s()), r.IntN(50))
	}
	if i%5 == 0 {
		fmt.Fprintf(&b, `,"addresses":[{"locality":%s,"country":"NL","primary":true}]`, quote(s()))
	}
	b.WriteString("}")
	return b.String()
}

// POST /Users is served by Roster as the library serves it: the same
// answers, byte for byte but for the new user's id and times, and the same
// errors. The library is still reached at /v2/Users (it trims /v2), which
// is how this test asks it.
func TestCreateAnswersAsTheLibrary(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		manager := e.createUser("the-manager")
		taken := e.createUser("taken@acme.example")
		bodies := []string{
			``, `{`, `[]`, `"text"`, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":42}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","active":"maybe"}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","emails":"a@b"}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"no"}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"floor":"high"}}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"TAKEN@acme.example"}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","emails":[{"value":"not an email"}]}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"trailing"} and more`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"unknown-attrs","shoeSize":44,"name":{"nick":"n"}}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pw","password":"correct horse battery staple"}`,
		}
		r := rand.New(rand.NewPCG(18, 7))
		for i := range 25 {
			bodies = append(bodies, variedUser(r, i, "created", manager))
		}
		for _, query := range []string{"", "?attributes=userName", "?excludedAttributes=emails,meta"} {
			for _, body := range bodies {
				own := e.call("POST", "/Users"+query, body)
				if own.status == http.StatusCreated {
					id := own.json(t)["id"].(string)
					e.must(e.call("DELETE", "/Users/"+id, ""), http.StatusNoContent)
				}
				lib := e.call("POST", "/v2/Users"+query, body)
				if lib.status == http.StatusCreated {
					id := lib.json(t)["id"].(string)
					e.must(e.call("DELETE", "/Users/"+id, ""), http.StatusNoContent)
				}
				if own.status != lib.status || normalized(own) != normalized(lib) {
					t.Fatalf("POST /Users%s %s:\n Roster  %d %s\n library %d %s", query, body, own.status, own.body, lib.status, lib.body)
				}
				for _, h := range []string{"Content-Type", "Location", "Etag"} {
					if (own.header.Get(h) == "") != (lib.header.Get(h) == "") {
						t.Errorf("POST /Users%s %s: %s %q, the library's %q", query, body, h, own.header.Get(h), lib.header.Get(h))
					}
				}
				if own.status == http.StatusCreated && own.header.Get("Location") != own.json(t)["meta"].(map[string]any)["location"] && !strings.Contains(query, "meta") {
					t.Errorf("Location %q is not meta.location in %s", own.header.Get("Location"), own.body)
				}
			}
		}
		if got := e.call("GET", "/Users/"+taken, ""); got.status != http.StatusOK {
			t.Errorf("the taken user: %d", got.status)
		}
	})
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)`)
)

// normalized is a response's body with ids and times blanked.
func normalized(res *response) string {
	s := uuidPattern.ReplaceAllString(string(res.body), "ID")
	return timePattern.ReplaceAllString(s, "TIME")
}
