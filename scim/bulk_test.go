package scim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/scim"
)

func TestBulk(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))

		t.Run("bulkIds link operations, in any order", func(t *testing.T) {
			// The group comes first but refers to users created after it,
			// as RFC 7644 section 3.7.2 allows.
			res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
				{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
					"displayName":"Bulk team","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}},
				{"method":"POST","path":"/Users","bulkId":"u1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk1@acme.example"}},
				{"method":"POST","path":"/Users","bulkId":"u2","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk2@acme.example"}},
				{"method":"PATCH","path":"/Users/bulkId:u1","data":`+patchOp(`{"op":"replace","path":"title","value":"Lead"}`)+`},
				{"method":"DELETE","path":"/Users/bulkId:u3"},
				{"method":"POST","path":"/Users","bulkId":"u3","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk3@acme.example"}}]}`), http.StatusOK)
			ops := res["Operations"].([]any)
			if len(ops) != 6 {
				t.Fatalf("got %d results, want 6: %v", len(ops), ops)
			}
			statuses := []string{}
			for _, op := range ops {
				statuses = append(statuses, op.(map[string]any)["status"].(string))
			}
			if want := "201 201 201 200 204 201"; strings.Join(statuses, " ") != want {
				t.Fatalf("statuses %v, want %s: %v", statuses, want, ops)
			}
			group := ops[0].(map[string]any)
			if group["bulkId"] != "g1" || !strings.HasPrefix(group["location"].(string), baseURL+"/Groups/") || group["version"] != `W/"1"` {
				t.Errorf("group result = %v", group)
			}
			u1 := ops[1].(map[string]any)["location"].(string)
			u1 = u1[strings.LastIndex(u1, "/")+1:]
			gid := group["location"].(string)[len(baseURL+"/Groups/"):]
			u2 := ops[2].(map[string]any)["location"].(string)
			checkMembers(t, e, gid, u1, u2[strings.LastIndex(u2, "/")+1:])
			checkContains(t, e.must(e.call("GET", "/Users/"+u1, ""), http.StatusOK), `{"title":"Lead"}`)
		})

		t.Run("failOnErrors stops the run", func(t *testing.T) {
			res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[
				{"method":"POST","path":"/Users","bulkId":"x","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk1@acme.example"}},
				{"method":"POST","path":"/Users","bulkId":"y","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"never@acme.example"}}]}`), http.StatusOK)
			ops := res["Operations"].([]any)
			if len(ops) != 1 || ops[0].(map[string]any)["status"] != "409" {
				t.Fatalf("results = %v, want only the conflict", ops)
			}
			checkContains(t, ops[0].(map[string]any), `{"response":{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"uniqueness","status":"409"}}`)
			list := e.must(e.call("GET", `/Users?filter=userName%20eq%20%22never@acme.example%22`, ""), http.StatusOK)
			if list["totalResults"] != 0.0 {
				t.Error("an operation after failOnErrors ran")
			}
		})

		t.Run("operations whose bulkIds cannot resolve fail", func(t *testing.T) {
			res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
				{"method":"POST","path":"/Groups","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A","members":[{"value":"bulkId:b"}]}},
				{"method":"POST","path":"/Groups","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"B","members":[{"value":"bulkId:a"}]}},
				{"method":"PATCH","path":"/Users/bulkId:nobody","data":`+patchOp(`{"op":"replace","path":"title","value":"x"}`)+`},
				{"method":"GET","path":"/Users"},
				{"method":"POST","path":"/Bulk","data":{}}]}`), http.StatusOK)
			want := map[string]string{"POST": "409", "PATCH": "409", "GET": "400"}
			for _, op := range res["Operations"].([]any) {
				m := op.(map[string]any)
				if w := want[m["method"].(string)]; m["method"] != "POST" && m["status"] != w {
					t.Errorf("%v: status %v, want %s", m["method"], m["status"], w)
				}
			}
			if n := len(res["Operations"].([]any)); n != 5 {
				t.Errorf("got %d results, want 5", n)
			}
		})

		t.Run("the limits it advertises", func(t *testing.T) {
			var ops []string
			for i := range 1001 {
				ops = append(ops, fmt.Sprintf(`{"method":"DELETE","path":"/Users/%d"}`, i))
			}
			scimError(t, e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(ops, ",")+`]}`),
				http.StatusRequestEntityTooLarge, "")
			scimError(t, e.call("POST", "/Bulk", `{"Operations":[]}`), http.StatusBadRequest, "invalidSyntax")
			scimError(t, e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
				{"method":"POST","path":"/Users","bulkId":"same","data":{}},{"method":"POST","path":"/Users","bulkId":"same","data":{}}]}`),
				http.StatusBadRequest, "invalidValue")
		})
	})
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t, sqliteStore(t))

	spc := e.must(e.call("GET", "/ServiceProviderConfig", ""), http.StatusOK)
	checkContains(t, spc, `{
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
		"patch":{"supported":true},
		"bulk":{"supported":true,"maxOperations":1000,"maxPayloadSize":1048576},
		"filter":{"supported":true,"maxResults":1000},
		"changePassword":{"supported":true},
		"sort":{"supported":true},
		"etag":{"supported":true},
		"pagination":{"cursor":true,"index":true,"defaultPaginationMethod":"index","defaultPageSize":100,"maxPageSize":1000},
		"authenticationSchemes":[{"type":"oauthbearertoken","primary":true}]}`)

	types := e.must(e.call("GET", "/ResourceTypes", ""), http.StatusOK)
	checkContains(t, types, `{"totalResults":2,"Resources":[
		{"name":"User","endpoint":"/Users","schema":"urn:ietf:params:scim:schemas:core:2.0:User","schemaExtensions":[
			{"schema":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","required":false},
			{"schema":"urn:ietf:params:scim:schemas:extension:roster:2.0:User","required":false}]},
		{"name":"Group","endpoint":"/Groups","schema":"urn:ietf:params:scim:schemas:core:2.0:Group"}]}`)

	custom := e.must(e.call("GET", "/Schemas/urn:ietf:params:scim:schemas:extension:roster:2.0:User", ""), http.StatusOK)
	checkContains(t, custom, `{"id":"urn:ietf:params:scim:schemas:extension:roster:2.0:User","attributes":[
		{"name":"costCode","type":"string","description":"Cost code"},
		{"name":"floor","type":"decimal","description":"Floor"}]}`)
	user := e.must(e.call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", ""), http.StatusOK)
	checkContains(t, user, `{"attributes":[
		{"name":"password","mutability":"writeOnly","returned":"never"},
		{"name":"groups","mutability":"readOnly","returned":"request"},
		{"name":"active","type":"boolean"}]}`)
	for _, a := range user["attributes"].([]any) {
		if name := a.(map[string]any)["name"]; name == "x509Certificates" {
			t.Errorf("the User schema offers %v, which Roster does not store", name)
		}
	}

	// Without a password hasher, the schema does not offer passwords.
	plain := newEnv(t, sqliteStore(t), func(c *scim.Config) { c.HashPassword = nil })
	user = plain.must(plain.call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", ""), http.StatusOK)
	for _, a := range user["attributes"].([]any) {
		if a.(map[string]any)["name"] == "password" {
			t.Error("the User schema offers password without a hasher")
		}
	}
	checkContains(t, plain.must(plain.call("GET", "/ServiceProviderConfig", ""), http.StatusOK), `{"changePassword":{"supported":false}}`)
}
