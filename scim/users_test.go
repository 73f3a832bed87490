package scim_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestETagsAndPreconditions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		created := e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"etag@acme.example"}`)
		user := e.must(created, http.StatusCreated)
		id, v1 := user["id"].(string), created.header.Get("ETag")
		if v1 != `W/"1"` || user["meta"].(map[string]any)["version"] != v1 {
			t.Fatalf("ETag = %q, meta.version = %v; want W/\"1\" in both", v1, user["meta"].(map[string]any)["version"])
		}

		get := e.call("GET", "/Users/"+id, "")
		if get.header.Get("ETag") != v1 {
			t.Errorf("GET ETag = %q, want %q", get.header.Get("ETag"), v1)
		}
		if res := e.call("GET", "/Users/"+id, "", "If-None-Match", v1); res.status != http.StatusNotModified || len(res.body) != 0 {
			t.Errorf("GET with a current If-None-Match = %d %s, want 304 without a body", res.status, res.body)
		}
		e.must(e.call("GET", "/Users/"+id, "", "If-None-Match", `W/"7"`), http.StatusOK)

		patch := patchOp(`{"op":"replace","path":"title","value":"Engineer"}`)
		scimError(t, e.call("PATCH", "/Users/"+id, patch, "If-Match", `W/"7"`), http.StatusPreconditionFailed, "")
		res := e.call("PATCH", "/Users/"+id, patch, "If-Match", v1)
		e.must(res, http.StatusOK)
		v2 := res.header.Get("ETag")
		if v2 == v1 {
			t.Fatalf("the version did not change: %s", v2)
		}
		put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"etag@acme.example","title":"Lead"}`
		scimError(t, e.call("PUT", "/Users/"+id, put, "If-Match", v1), http.StatusPreconditionFailed, "")
		scimError(t, e.call("PUT", "/Users/"+id, put, "If-None-Match", "*"), http.StatusPreconditionFailed, "")
		scimError(t, e.call("PUT", "/Users/"+id, put, "If-None-Match", v2), http.StatusPreconditionFailed, "")
		e.must(e.call("PUT", "/Users/"+id, put, "If-Match", `W/"99", `+v2), http.StatusOK)
		scimError(t, e.call("DELETE", "/Users/"+id, "", "If-Match", v2), http.StatusPreconditionFailed, "")
		e.must(e.call("DELETE", "/Users/"+id, "", "If-Match", "*"), http.StatusNoContent)

		group := e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tagged"}`)
		gid, g1 := e.must(group, http.StatusCreated)["id"].(string), group.header.Get("ETag")
		scimError(t, e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"replace","path":"displayName","value":"X"}`), "If-Match", `W/"5"`), http.StatusPreconditionFailed, "")
		renamed := e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"replace","path":"displayName","value":"X"}`), "If-Match", g1)
		e.must(renamed, http.StatusNoContent)
		if renamed.header.Get("ETag") == g1 || renamed.header.Get("ETag") == "" {
			t.Errorf("group PATCH ETag = %q after %q, want a new version", renamed.header.Get("ETag"), g1)
		}
		if res := e.call("GET", "/Groups/"+gid, "", "If-None-Match", renamed.header.Get("ETag")); res.status != http.StatusNotModified {
			t.Errorf("GET group with a current If-None-Match = %d, want 304", res.status)
		}
		scimError(t, e.call("DELETE", "/Groups/"+gid, "", "If-Match", g1), http.StatusPreconditionFailed, "")
	})
}

func TestUserLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))

		t.Run("POST with active false creates a user suspended by SCIM", func(t *testing.T) {
			id := e.createUser("disabled@acme.example", `,"active":false`)
			u, err := e.svc.GetUser(t.Context(), e.org.ID, id)
			if err != nil || u.Status != directory.StatusSuspended || u.StatusSetBy != directory.AuthoritySCIM || u.StatusReason != "SCIM" {
				t.Fatalf("user = %+v, %v; want suspended by SCIM", u, err)
			}
			e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"active","value":true}`)), http.StatusOK)
			if u, _ = e.svc.GetUser(t.Context(), e.org.ID, id); u.Status != directory.StatusActive {
				t.Errorf("status after active=true = %s, want active", u.Status)
			}
		})

		t.Run("active true never lifts an admin's ban", func(t *testing.T) {
			id := e.createUser("banned@acme.example")
			if _, err := e.svc.SetStatus(t.Context(), operator, e.org.ID, id, directory.StatusSuspended, "policy"); err != nil {
				t.Fatal(err)
			}
			res := e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"active","value":"True"}`)), http.StatusOK)
			if res["active"] != false {
				t.Errorf("active = %v, want false: the ban stays", res["active"])
			}
			e.must(e.call("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"banned@acme.example","active":true}`), http.StatusOK)
			if u, _ := e.svc.GetUser(t.Context(), e.org.ID, id); u.Status != directory.StatusSuspended || u.StatusReason != "policy" {
				t.Errorf("status = %s (%s), want the admin's suspension kept", u.Status, u.StatusReason)
			}
		})

		t.Run("POST of a deleted userName creates a new user and leaves the deleted one alone", func(t *testing.T) {
			id := e.createUser("returning@acme.example", `,"title":"Old","urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"costCode":"CC-1"}`)
			e.must(e.call("DELETE", "/Users/"+id, ""), http.StatusNoContent)
			list := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "returning@acme.example"`), ""), http.StatusOK)
			if list["totalResults"] != 0.0 {
				t.Errorf("a deleted user is listed")
			}
			back := e.must(e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Returning@acme.example","displayName":"Back"}`), http.StatusCreated)
			if back["id"] == id || back["displayName"] != "Back" || back["title"] != nil || back["active"] != true {
				t.Errorf("new user = %v, want a new id with the posted attributes", back)
			}
			// Nothing of the deleted user comes back: not its extension.
			if ext := back["urn:ietf:params:scim:schemas:extension:roster:2.0:User"]; ext != nil {
				t.Errorf("new user has the deleted user's properties %v", ext)
			}
			if old, err := e.svc.GetUser(t.Context(), e.org.ID, id); err != nil || !old.Deleted() {
				t.Errorf("deleted user = %v, %v; want it still deleted", old, err)
			}
			page, err := e.svc.ListAudit(t.Context(), e.org.ID, directory.AuditQuery{TargetID: id, Action: "user.restore"})
			if err != nil || len(page.Events) != 0 {
				t.Errorf("restore audit events: %v, %v; want none", page, err)
			}
			// The deleted user cannot come back while the name is taken.
			_, err = e.svc.RestoreUser(t.Context(), directory.Actor{Kind: directory.ActorAdmin, ID: "admin"}, e.org.ID, id)
			if !directory.IsCode(err, directory.CodeConflict) {
				t.Errorf("restore while the userName is taken: %v, want a conflict", err)
			}
			if old, _ := e.svc.GetUser(t.Context(), e.org.ID, id); !old.Deleted() {
				t.Errorf("a refused restore changed the user: %s", old.Status)
			}
		})

		t.Run("renaming a user to a deleted user's userName succeeds", func(t *testing.T) {
			gone := e.createUser("renamed.onto@acme.example")
			e.must(e.call("DELETE", "/Users/"+gone, ""), http.StatusNoContent)
			id := e.createUser("renamer@acme.example")
			res := e.must(e.call("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"renamed.onto@acme.example"}]}`), http.StatusOK)
			if res["userName"] != "renamed.onto@acme.example" {
				t.Errorf("userName = %v", res["userName"])
			}
		})

		t.Run("a POST that cannot succeed leaves the deleted user deleted", func(t *testing.T) {
			id := e.createUser("stays.gone@acme.example")
			e.must(e.call("DELETE", "/Users/"+id, ""), http.StatusNoContent)
			scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"stays.gone@acme.example","emails":[{"value":"not an email"}]}`), http.StatusBadRequest, "invalidValue")
			if u, _ := e.svc.GetUser(t.Context(), e.org.ID, id); !u.Deleted() {
				t.Errorf("status = %s, want still deleted", u.Status)
			}
		})

		t.Run("PUT replaces core attributes and keeps extensions it does not send", func(t *testing.T) {
			id := e.createUser("put@acme.example", `,"title":"T","nickName":"N",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops"},
				"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"floor":3}`)
			res := e.must(e.call("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"put@acme.example","title":"U"}`), http.StatusOK)
			if res["title"] != "U" || res["nickName"] != nil {
				t.Errorf("title = %v, nickName = %v; want U and none", res["title"], res["nickName"])
			}
			checkContains(t, res, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops"},
				"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"floor":3}}`)
			res = e.must(e.call("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"put@acme.example",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{}}`), http.StatusOK)
			if _, ok := res["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]; ok {
				t.Error("an empty enterprise extension in a PUT did not clear it")
			}
		})

		t.Run("custom properties are typed by the organization", func(t *testing.T) {
			id := e.createUser("props@acme.example", `,"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"costCode":"CC-9","floor":"4"}`)
			got := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
			checkContains(t, got, `{"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"costCode":"CC-9","floor":4}}`)
			scimError(t, e.call("PATCH", "/Users/"+id, patchOp(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:roster:2.0:User:floor","value":"high"}`)), http.StatusBadRequest, "invalidValue")
			scimError(t, e.call("PATCH", "/Users/"+id, patchOp(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:roster:2.0:User:unknown","value":"x"}`)), http.StatusBadRequest, "invalidPath")
		})

		t.Run("attributes and excludedAttributes trim responses", func(t *testing.T) {
			id := e.createUser("trim@acme.example", `,"displayName":"Trim","title":"T"`)
			got := e.must(e.call("GET", "/Users/"+id+"?attributes=userName,meta.version", ""), http.StatusOK)
			if len(got) != 4 || got["userName"] != "trim@acme.example" || got["id"] != id {
				t.Errorf("attributes=userName,meta.version returned %v", got)
			}
			got = e.must(e.call("GET", "/Users/"+id+"?excludedAttributes=title,emails,meta", ""), http.StatusOK)
			if got["title"] != nil || got["meta"] != nil || got["displayName"] != "Trim" {
				t.Errorf("excludedAttributes=title,emails,meta returned %v", got)
			}
			list := e.must(e.call("GET", "/Users?attributes=displayName&filter="+url.QueryEscape(`id eq "`+id+`"`), ""), http.StatusOK)
			checkContains(t, list, `{"Resources":[{"displayName":"Trim"}]}`)
			if r := list["Resources"].([]any)[0].(map[string]any); r["userName"] != nil {
				t.Errorf("list with attributes=displayName returned userName")
			}
			res := e.must(e.call("PUT", "/Users/"+id+"?attributes=title", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"trim@acme.example","title":"New"}`), http.StatusOK)
			if res["title"] != "New" || res["userName"] != nil {
				t.Errorf("PUT ?attributes=title returned %v", res)
			}
		})

		t.Run("malformed requests", func(t *testing.T) {
			scimError(t, e.call("POST", "/Users", `{"userName":"noschemas@acme.example"}`), http.StatusBadRequest, "invalidSyntax")
			scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`), http.StatusBadRequest, "invalidValue")
			scimError(t, e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bad\u0000name"}`), http.StatusBadRequest, "invalidValue")
			scimError(t, e.call("POST", "/Users", `not json`), http.StatusBadRequest, "invalidSyntax")
			scimError(t, e.call("PATCH", "/Users/not-a-uuid", patchOp(`{"op":"add","path":"title","value":"x"}`)), http.StatusNotFound, "")
			scimError(t, e.call("GET", "/Users/01900000-0000-7000-8000-000000000000", ""), http.StatusNotFound, "")
			scimError(t, e.call("GET", "/Nothing", ""), http.StatusNotFound, "")
			for _, path := range []string{"/Users/", "/Users/a/b", "/Groups/", "/Groups/01900000-0000-7000-8000-000000000000/x"} {
				scimError(t, e.call("GET", path, ""), http.StatusNotFound, "")
				scimError(t, e.call("PATCH", path, patchOp(`{"op":"add","path":"externalId","value":"x"}`)), http.StatusNotFound, "")
			}
		})
	})
}
