package scim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestPutReplacesMembers checks a PUT's member list against what it leaves:
// members it lists stay, those it leaves out go, new ones come, and a list
// naming anyone but a live user of the organization changes nothing. The
// difference is the store's: the service reads no members to work it out.
func TestPutReplacesMembers(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		_, theirToken := e.newOrg("globex")
		them := &env{t: t, store: e.store, svc: e.svc, h: e.h, token: theirToken}
		theirs := them.createUser("hank@globex.example")

		a, b, c, d := e.createUser("a@acme.example"), e.createUser("b@acme.example"), e.createUser("c@acme.example"), e.createUser("d@acme.example")
		gone := e.createUser("gone@acme.example")
		gid := e.createGroup("Team")
		e.must(e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+a+`"},{"value":"`+b+`"},{"value":"`+c+`"},{"value":"`+gone+`"}]}`)), http.StatusNoContent)
		// A soft-deleted member is no one's member, and a replacement
		// that does not name it keeps its membership for a restore.
		e.must(e.call("DELETE", "/Users/"+gone, ""), http.StatusNoContent)

		put := func(ids ...string) *response {
			var list []string
			for _, id := range ids {
				list = append(list, `{"value":"`+id+`"}`)
			}
			return e.call("PUT", "/Groups/"+gid+"?excludedAttributes=members",
				`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[`+strings.Join(list, ",")+`]}`)
		}
		reads := e.store.memberReads.Load()
		before := e.must(e.call("GET", "/Groups/"+gid+"?excludedAttributes=members", ""), http.StatusOK)
		got := e.must(put(b, c, d, d), http.StatusOK)
		if n := e.store.memberReads.Load() - reads; n != 0 {
			t.Errorf("the PUT read the members %d times, want the store to work out the difference", n)
		}
		if _, ok := got["members"]; ok {
			t.Errorf("excludedAttributes=members returned members: %v", got["members"])
		}
		if got["meta"].(map[string]any)["version"] == before["meta"].(map[string]any)["version"] {
			t.Errorf("the version did not move: %v", got["meta"])
		}
		checkMembers(t, e, gid, b, c, d)

		// The audit names exactly the members added and removed.
		page, err := e.svc.ListAudit(t.Context(), e.org.ID, directory.AuditQuery{TargetID: gid})
		if err != nil {
			t.Fatal(err)
		}
		if ev := page.Events[0]; ev.Action != "group.update" || fmt.Sprint(ev.Changes["members"].After) != fmt.Sprint(map[string]any{"added": []string{d}, "removed": []string{a}}) {
			t.Errorf("newest event %s changes %v, want %s added and %s removed", ev.Action, ev.Changes["members"].After, d, a)
		}

		// The same list again changes nothing, not even the version.
		same := e.must(put(d, c, b), http.StatusOK)
		if same["meta"].(map[string]any)["version"] != got["meta"].(map[string]any)["version"] {
			t.Errorf("an unchanged list moved the version from %v to %v", got["meta"], same["meta"])
		}

		// Anyone but a live user of the organization: nothing changes.
		for name, id := range map[string]string{
			"another organization's user": theirs,
			"a deleted user":              gone,
			"no user":                     "01900000-0000-7000-8000-00000000dead",
		} {
			t.Run(name, func(t *testing.T) {
				scimError(t, put(a, id), http.StatusBadRequest, "invalidValue")
				checkMembers(t, e, gid, b, c, d)
			})
		}
		scimError(t, put(a, "not-an-id"), http.StatusBadRequest, "invalidValue")
		scimError(t, e.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[{"value":`), http.StatusBadRequest, "invalidSyntax")
		checkMembers(t, e, gid, b, c, d)

		// Another organization's group is not found, and keeps its members.
		theirGroup := them.createGroup("Globex staff")
		them.must(them.call("PATCH", "/Groups/"+theirGroup, patchOp(`{"op":"add","path":"members","value":[{"value":"`+theirs+`"}]}`)), http.StatusNoContent)
		scimError(t, e.call("PUT", "/Groups/"+theirGroup, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Globex staff","members":[]}`), http.StatusNotFound, "")
		checkMembers(t, them, theirGroup, theirs)

		// An empty list empties the group; the deleted member comes back
		// with its user, as nothing named it.
		e.must(put(), http.StatusOK)
		checkMembers(t, e, gid)
		if _, err := e.svc.RestoreUser(t.Context(), operator, e.org.ID, gone); err != nil {
			t.Fatal(err)
		}
		checkMembers(t, e, gid, gone)
	})
}
