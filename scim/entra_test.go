package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestEntraTutorial replays the requests of Microsoft's "Tutorial: Develop
// and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
// (learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
// and of its companion "Known issues and resolutions with SCIM 2.0 protocol
// compliance" page, in order, and checks Roster's answers against the
// documented responses. Request bodies are the documented ones verbatim,
// except where noted; the documented responses lose their trailing commas
// (which make them invalid JSON) and the values the server assigns (ids,
// timestamps). Each documented exchange is a separate example with its own
// ids, so ids in paths are the ones Roster returned.
func TestEntraTutorial(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		serverAssigned := []string{"id", "meta.created", "meta.lastModified"}

		// Test Connection queries a user that does not exist by a random
		// GUID and expects an empty ListResponse.
		res := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`externalId eq "0b1f5b7e-4d1e-4b8e-9f5e-8f9c2a0d6e11"`), ""), http.StatusOK)
		checkContains(t, res, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"startIndex":1}`)

		// Create User. The documented userName is not an email address, and
		// Roster's userName is the login email (DESIGN.md section 3), so the
		// verbatim body is refused; Entra sends userPrincipalName, which is
		// one. The replay continues with "@testuser.com" appended.
		createUser := `{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}`
		// The tutorial's userName is no email: it is taken as it is. The
		// user is deleted again, which frees its userName and email for
		// the rest of the walk-through.
		plain := e.must(e.call("POST", "/Users", createUser), http.StatusCreated)
		if plain["userName"] != "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee" {
			t.Fatalf("userName = %v", plain["userName"])
		}
		e.must(e.call("DELETE", "/Users/"+plain["id"].(string), ""), http.StatusNoContent)
		const userName = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com"
		createUser = strings.Replace(createUser, `"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`, `"`+userName+`"`, 1)
		created := e.call("POST", "/Users", createUser)
		user := e.must(created, http.StatusCreated)
		checkContains(t, user, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "48af03ac28ad4fb88478",
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "meta": {
        "resourceType": "User",
        "created": "2018-03-27T19:59:26.000Z",
        "lastModified": "2018-03-27T19:59:26.000Z"
    },
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com",
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "active": true,
    "emails": [{
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
        "type": "work",
        "primary": true
    }]
}`, serverAssigned...)
		id := user["id"].(string)
		if loc := created.header.Get("Location"); loc != baseURL+"/Users/"+id || user["meta"].(map[string]any)["location"] != loc {
			t.Errorf("Location = %q, meta.location = %v, want %s/Users/%s in both", loc, user["meta"].(map[string]any)["location"], baseURL, id)
		}

		// Get User, then a user that does not exist.
		got := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
		checkContains(t, got, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com",
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "active": true,
    "emails": [{
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
        "type": "work",
        "primary": true
    }]
}`)
		scimError(t, e.call("GET", "/Users/5171a35d82074e068ce2", ""), http.StatusNotFound, "")

		// Get User by query, and by a query with no result.
		list := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), ""), http.StatusOK)
		checkContains(t, list, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults": 1,
    "Resources": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "meta": {
            "resourceType": "User"
        },
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com",
        "name": {
            "familyName": "familyName",
            "givenName": "givenName"
        },
        "active": true,
        "emails": [{
            "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            "type": "work",
            "primary": true
        }]
    }],
    "startIndex": 1
}`)
		none := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "non-existent user"`), ""), http.StatusOK)
		checkContains(t, none, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults": 0,"Resources": [],"startIndex": 1}`)

		// Users are also found by their work email, in the form Entra
		// filters with.
		byMail := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`emails[type eq "work"].value eq "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"`), ""), http.StatusOK)
		if byMail["totalResults"] != 1.0 {
			t.Errorf("work email lookup: totalResults = %v, want 1", byMail["totalResults"])
		}

		// Update User [Multi-valued properties].
		patched := e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}`), http.StatusOK)
		checkContains(t, patched, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "meta": {
        "resourceType": "User"
    },
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com",
    "name": {
        "formatted": "givenName updatedFamilyName",
        "familyName": "updatedFamilyName",
        "givenName": "givenName"
    },
    "active": true,
    "emails": [{
        "value": "updatedEmail@microsoft.com",
        "type": "work",
        "primary": true
    }]
}`)

		// Update User [Single-valued properties].
		patched = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}`), http.StatusOK)
		checkContains(t, patched, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
    "name": {
        "formatted": "givenName updatedFamilyName",
        "familyName": "updatedFamilyName",
        "givenName": "givenName"
    },
    "active": true
}`)

		// The compatibility page's requests: several attributes replaced,
		// with and without its feature flag; a single-valued add.
		patched = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }`), http.StatusOK)
		checkContains(t, patched, `{"displayName":"Pvlo","externalId":"Eqpj","name":{"givenName":"Gtfd","familyName":"Pkqf"},
			"emails":[{"value":"TestBcwqnm@test.microsoft.com","type":"work"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Eqpj"}}`)
		patched = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }`), http.StatusOK)
		checkContains(t, patched, `{"displayName":"Bjfe","name":{"givenName":"Kkom","familyName":"Unua"},
			"emails":[{"value":"TestMhvaes@test.microsoft.com","type":"work"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Aklq"}}`)
		patched = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }`), http.StatusOK)
		checkContains(t, patched, `{"nickName":"Babs"}`)

		// Example 2 of the tutorial creates a user with nulls, a misspelt
		// extension URN and enterprise attributes outside their extension;
		// example 5 then adds its manager by the bare attribute name.
		manager := e.must(e.call("POST", "/Users", `
{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":"jyoung",
   "userName":"jyoung@testuser.com",
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":"jyoung@Contoso.com",
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}`), http.StatusCreated)
		e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`externalId eq "jyoung"`), ""), http.StatusOK)
		patched = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": 
    [
      "urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":
    [
      {
        "op":"Add",
        "path":"manager",
        "value":
          [
            {
              "$ref":"http://.../scim/Users/`+manager["id"].(string)+`",
              "value":"`+manager["id"].(string)+`"}]}]}`), http.StatusOK)
		checkContains(t, patched, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"`+manager["id"].(string)+`"}}}`)
		reports := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`id eq "`+id+`" and manager eq "`+manager["id"].(string)+`"`), ""), http.StatusOK)
		if reports["totalResults"] != 1.0 {
			t.Errorf("manager check: totalResults = %v, want 1", reports["totalResults"])
		}

		// Disable User, and the older form with the string "False".
		disabled := e.must(e.call("PATCH", "/Users/"+id, `{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}`), http.StatusOK)
		checkContains(t, disabled, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":false}`)
		e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"Replace","path":"active","value":"True"}`)), http.StatusOK)
		disabled = e.must(e.call("PATCH", "/Users/"+id, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }`), http.StatusOK)
		checkContains(t, disabled, `{"active":false}`)
		// A disabled user is still returned by GET and filter.
		e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)

		// Groups: create, get without members, find by displayName, rename,
		// add and remove members (both removal forms), delete.
		createdGroup := e.call("POST", "/Groups", `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}`)
		group := e.must(createdGroup, http.StatusCreated)
		checkContains(t, group, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "meta": {
        "resourceType": "Group"
    },
    "displayName": "displayName",
    "members": []
}`)
		gid := group["id"].(string)
		if createdGroup.header.Get("Location") != baseURL+"/Groups/"+gid {
			t.Errorf("group Location = %q", createdGroup.header.Get("Location"))
		}
		reads := e.store.memberReads.Load()
		got = e.must(e.call("GET", "/Groups/"+gid+"?excludedAttributes=members", ""), http.StatusOK)
		checkContains(t, got, `{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "meta": {
        "resourceType": "Group"
    },
    "displayName": "displayName"
}`)
		if _, ok := got["members"]; ok {
			t.Error("excludedAttributes=members returned members")
		}
		found := e.must(e.call("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "displayName"`), ""), http.StatusOK)
		checkContains(t, found, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults": 1,
    "Resources": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "meta": {
            "resourceType": "Group"
        },
        "displayName": "displayName"
    }],
    "startIndex": 1
}`)
		if n := e.store.memberReads.Load() - reads; n != 0 {
			t.Errorf("reading groups with excludedAttributes=members read members %d times", n)
		}

		e.must(e.call("PATCH", "/Groups/"+gid, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}`), http.StatusNoContent)
		e.must(e.call("PATCH", "/Groups/"+gid, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "`+id+`"
        }]
    }]
}`), http.StatusNoContent)
		members := e.must(e.call("GET", "/Groups/"+gid, ""), http.StatusOK)
		checkContains(t, members, `{"displayName":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName","members":[{"value":"`+id+`"}]}`)
		byMember := e.must(e.call("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`members[value eq "`+id+`"]`), ""), http.StatusOK)
		if byMember["totalResults"] != 1.0 {
			t.Errorf("group by member: totalResults = %v, want 1", byMember["totalResults"])
		}
		e.must(e.call("PATCH", "/Groups/"+gid, `{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Remove",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "`+id+`"
        }]
    }]
}`), http.StatusNoContent)
		checkMembers(t, e, gid)
		e.must(e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"Add","path":"members","value":[{"value":"`+id+`"}]}`)), http.StatusNoContent)
		e.must(e.call("PATCH", "/Groups/"+gid, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members[value eq \"`+id+`\"]"
        }
    ]
  }`), http.StatusNoContent)
		checkMembers(t, e, gid)
		e.must(e.call("DELETE", "/Groups/"+gid, ""), http.StatusNoContent)
		scimError(t, e.call("GET", "/Groups/"+gid, ""), http.StatusNotFound, "")

		// Delete User: soft-deleted, so gone from SCIM but restorable.
		e.must(e.call("DELETE", "/Users/"+id, ""), http.StatusNoContent)
		scimError(t, e.call("GET", "/Users/"+id, ""), http.StatusNotFound, "")

		// Schema discovery.
		schemas := e.must(e.call("GET", "/Schemas", ""), http.StatusOK)
		checkContains(t, schemas, `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    ],
    "startIndex": 1,
    "Resources": [
  {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id" : "urn:ietf:params:scim:schemas:core:2.0:User",
    "name" : "User",
    "description" : "User Account",
    "attributes" : [
      {
        "name" : "userName",
        "type" : "string",
        "multiValued" : false,
        "required" : true,
        "caseExact" : false,
        "mutability" : "readWrite",
        "returned" : "default",
        "uniqueness" : "server"
      }
    ]
  },
  {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id" : "urn:ietf:params:scim:schemas:core:2.0:Group",
    "name" : "Group",
    "description" : "Group",
    "attributes" : [
      {
        "name" : "displayName",
        "type" : "string",
        "multiValued" : false,
        "caseExact" : false,
        "mutability" : "readWrite",
        "returned" : "default"
      }
    ]
  },
  {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id" : "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "name" : "EnterpriseUser",
    "description" : "Enterprise User",
    "attributes" : [
      {
        "name" : "employeeNumber",
        "type" : "string",
        "multiValued" : false,
        "required" : false,
        "caseExact" : false,
        "mutability" : "readWrite",
        "returned" : "default",
        "uniqueness" : "none"
      }
    ]
  }
]
}`)
	})
}

// checkMembers checks that a group has exactly the given members.
func checkMembers(t *testing.T, e *env, gid string, ids ...string) {
	t.Helper()
	g := e.must(e.call("GET", "/Groups/"+gid, ""), http.StatusOK)
	list, _ := g["members"].([]any)
	got := map[string]bool{}
	for _, m := range list {
		got[m.(map[string]any)["value"].(string)] = true
	}
	if len(got) != len(ids) {
		t.Errorf("group has members %v, want %v", got, ids)
		return
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("group has members %v, want %v", got, ids)
		}
	}
}
