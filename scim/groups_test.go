package scim_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/racedetect"
)

// TestLargeGroups checks the costs the SCIM endpoint promises: adding and
// removing members never reads the group's members, and reading a group
// with its members pages through all of them.
func TestLargeGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		if racedetect.Enabled && strings.HasSuffix(t.Name(), "/sqlite") {
			t.Skip("1,200 users through FTS5 take minutes under -race; make test runs this without it")
		}
		e := newEnv(t, newStore(t))
		const size = directory.MaxPageSize + 200
		ids := make([]string, size)
		tok, err := e.svc.AuthenticateToken(t.Context(), directory.TokenSCIM, e.token)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < size; i += 8 {
					u, err := e.svc.CreateUser(t.Context(), directory.TokenActor(tok), e.org.ID,
						&directory.User{UserName: fmt.Sprintf("m%04d@acme.example", i), Source: directory.SourceSCIM})
					if err != nil {
						t.Error(err)
						return
					}
					ids[i] = u.ID
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		g, err := e.svc.CreateGroup(t.Context(), directory.TokenActor(tok), e.org.ID, &directory.Group{DisplayName: "Everyone"}, ids[:size-1])
		if err != nil {
			t.Fatal(err)
		}

		reads := e.store.memberReads.Load()
		e.must(e.call("PATCH", "/Groups/"+g.ID, patchOp(`{"op":"add","path":"members","value":[{"value":"`+ids[size-1]+`"}]}`)), http.StatusNoContent)
		e.must(e.call("PATCH", "/Groups/"+g.ID, patchOp(`{"op":"remove","path":"members[value eq \"`+ids[0]+`\"]"}`,
			`{"op":"Remove","path":"members","value":[{"value":"`+ids[1]+`"}]}`,
			`{"op":"replace","value":{"displayName":"Everyone else"}}`)), http.StatusNoContent)
		e.must(e.call("GET", "/Groups/"+g.ID+"?excludedAttributes=members", ""), http.StatusOK)
		e.must(e.call("GET", "/Groups?excludedAttributes=members", ""), http.StatusOK)
		if n := e.store.memberReads.Load() - reads; n != 0 {
			t.Errorf("membership changes and reads without members read the members %d times, want 0", n)
		}

		got := e.must(e.call("GET", "/Groups/"+g.ID, ""), http.StatusOK)
		if members := got["members"].([]any); len(members) != size-2 || got["displayName"] != "Everyone else" {
			t.Errorf("the group has %d members named %v, want %d named Everyone else", len(members), got["displayName"], size-2)
		}
		if n := e.store.memberReads.Load() - reads; n < 2 {
			t.Errorf("reading %d members took %d pages, want them paged", size-2, n)
		}
	})
}

func TestGroupWrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		a, b := e.createUser("a@acme.example"), e.createUser("b@acme.example")

		created := e.must(e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team",
			"members":[{"value":"`+a+`"},{"value":"`+a+`"}]}`), http.StatusCreated)
		gid := created["id"].(string)
		checkContains(t, created, `{"members":[{"value":"`+a+`","type":"User"}]}`)
		checkMembers(t, e, gid, a)

		scimError(t, e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"TEAM"}`), http.StatusConflict, "uniqueness")
		scimError(t, e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`), http.StatusBadRequest, "invalidValue")

		// A PUT without members keeps them; with members it replaces them.
		e.must(e.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team A"}`), http.StatusOK)
		checkMembers(t, e, gid, a)
		put := e.must(e.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team A","members":[{"value":"`+b+`"}]}`), http.StatusOK)
		checkContains(t, put, `{"displayName":"Team A","members":[{"value":"`+b+`"}]}`)
		checkMembers(t, e, gid, b)
		e.must(e.call("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team A","members":[]}`), http.StatusOK)
		checkMembers(t, e, gid)

		// A failing operation undoes the whole PATCH.
		scimError(t, e.call("PATCH", "/Groups/"+gid, patchOp(
			`{"op":"replace","path":"displayName","value":"Renamed"}`,
			`{"op":"add","path":"members","value":[{"value":"`+a+`"}]}`,
			`{"op":"add","path":"members","value":[{"value":"01900000-0000-7000-8000-00000000dead"}]}`)), http.StatusBadRequest, "invalidValue")
		g := e.must(e.call("GET", "/Groups/"+gid, ""), http.StatusOK)
		if g["displayName"] != "Team A" || len(g["members"].([]any)) != 0 {
			t.Errorf("after a failed PATCH the group is %v", g)
		}
		// A deleted user is not a user a group can take.
		e.must(e.call("DELETE", "/Users/"+a, ""), http.StatusNoContent)
		scimError(t, e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+a+`"}]}`)), http.StatusBadRequest, "invalidValue")

		// A member deleted drops out of the group's members; a POST of its
		// userName is a new user, not a member.
		c := e.createUser("c@acme.example")
		e.must(e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+b+`"},{"value":"`+c+`"}]}`)), http.StatusNoContent)
		checkMembers(t, e, gid, b, c)
		e.must(e.call("DELETE", "/Users/"+c, ""), http.StatusNoContent)
		checkMembers(t, e, gid, b)
		fresh := e.must(e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c@acme.example"}`), http.StatusCreated)
		if fresh["id"] == c {
			t.Fatalf("the POST revived the deleted user %s", c)
		}
		checkMembers(t, e, gid, b)
	})
}
