package scim_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// FuzzFilterAndPath sends any string as a filter, a sortBy, an attributes
// list, a PATCH path and a PATCH value key, to users and groups, through
// the whole handler and a real store. Whatever it is, the answer is a 2xx
// or a 4xx: never a panic or a 500 (env.call fails the test on a 5xx).
func FuzzFilterAndPath(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen@example.com"`,
		`emails[type eq "work"].value eq "a@b.c"`,
		`emails[type eq "work" and (value co "x" or primary eq true)]`,
		`not (title pr) or meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`members[value eq "01900000-0000-7000-8000-000000000000"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`urn:ietf:params:scim:schemas:extension:roster:2.0:User:floor`,
		`name.givenName`, `emails[type eq "work"].value`, `members`, `password`, `groups[value eq "x"]`,
		`active eq "True"`, `id eq null`, `a[b eq 1].c`, `((((`, "userName eq \"\\u0000\"", `x eq -1e999`,
	} {
		f.Add(s)
	}
	e := newEnv(f, sqliteStore(f))
	user := e.createUser("fuzz@acme.example", `,"emails":[{"value":"fuzz@acme.example","type":"work"}]`)
	group := e.createGroup("Fuzzers")
	f.Fuzz(func(t *testing.T, s string) {
		e := e.with(t)
		q := url.QueryEscape(s)
		e.call("GET", "/Users?filter="+q+"&sortBy="+q, "")
		e.call("GET", "/Groups?filter="+q+"&attributes="+q, "")
		e.call("GET", "/Users/"+user+"?excludedAttributes="+q, "")
		e.call("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":`+quote(s)+`,"cursor":`+quote(s)+`}`)
		for _, op := range []string{
			`{"op":"add","path":` + quote(s) + `,"value":"x"}`,
			`{"op":"replace","path":` + quote(s) + `,"value":{"value":"x","type":"work"}}`,
			`{"op":"remove","path":` + quote(s) + `}`,
			`{"op":"replace","value":{` + quote(s) + `:true}}`,
		} {
			e.call("PATCH", "/Users/"+user, patchOp(op))
			e.call("PATCH", "/Groups/"+group, patchOp(op))
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// FuzzBodies sends any bytes as the body of every SCIM write: create and
// replace of users and groups, PATCH, /Bulk and .search. Whatever they
// are (malformed JSON, keys given twice, wrong types), the answer is a 2xx
// or a 4xx, never a panic or a 500.
func FuzzBodies(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@acme.example","name":{"givenName":"A"}}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","userName":"b"}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"1","data":{"userName":"b"}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName pr","count":1}`,
		`[]`, `null`, `{"a":{"b":[1,{"c":"\u0000"}]}}`, `{"userName":1e999}`, "{\"userName\":\"\xff\"}",
	} {
		f.Add(s)
	}
	e := newEnv(f, sqliteStore(f))
	user := e.createUser("fuzz@acme.example")
	group := e.createGroup("Fuzzers")
	f.Fuzz(func(t *testing.T, body string) {
		e := e.with(t)
		e.call("POST", "/Users", body)
		e.call("PUT", "/Users/"+user, body)
		e.call("PATCH", "/Users/"+user, body)
		e.call("POST", "/Groups", body)
		e.call("PATCH", "/Groups/"+group, body)
		e.call("POST", "/Bulk", body)
		e.call("POST", "/Users/.search", body)
	})
}
