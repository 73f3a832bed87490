package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/scim"
)

// seedUsers creates the users the listing tests query, and returns their
// ids by userName.
func seedUsers(e *env) map[string]string {
	ids := map[string]string{}
	for _, u := range []struct{ userName, extra string }{
		{"alice@acme.example", `,"displayName":"Alice Zed","title":"CEO","name":{"givenName":"Alice","familyName":"Zed"},
			"emails":[{"value":"alice@acme.example","type":"work","primary":true},{"value":"alice@home.example","type":"home"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"100","department":"Board"}`},
		{"bob@acme.example", `,"displayName":"Bob Young","title":"Engineer","name":{"givenName":"Bob","familyName":"Young"},
			"emails":[{"value":"bob@acme.example","type":"work"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"200","department":"R&D"}`},
		{"Carol@Acme.example", `,"displayName":"Carol Xu","name":{"givenName":"Carol","familyName":"Xu"},"active":false,
			"emails":[{"value":"carol@other.example","type":"work"}]`},
		{"dave@globex.example", `,"externalId":"DAVE-1","title":"engineer"`},
	} {
		ids[u.userName] = e.createUser(u.userName, u.extra)
	}
	return ids
}

func TestFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ids := seedUsers(e)
		start := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
		gid := e.createGroup("Engineers")
		e.must(e.call("PATCH", "/Groups/"+gid, patchOp(`{"op":"add","path":"members","value":[{"value":"`+ids["bob@acme.example"]+`"}]}`)), http.StatusNoContent)

		tests := []struct {
			filter string
			want   []string
		}{
			{`userName eq "ALICE@acme.example"`, []string{"alice@acme.example"}},
			{`userName eq "carol@acme.example"`, []string{"Carol@Acme.example"}},
			{`userName ne "alice@acme.example"`, []string{"bob@acme.example", "Carol@Acme.example", "dave@globex.example"}},
			{`userName co "ACME"`, []string{"alice@acme.example", "bob@acme.example", "Carol@Acme.example"}},
			{`userName sw "b"`, []string{"bob@acme.example"}},
			{`userName ew "globex.example"`, []string{"dave@globex.example"}},
			{`userName gt "c"`, []string{"Carol@Acme.example", "dave@globex.example"}},
			{`userName ge "carol@acme.example"`, []string{"Carol@Acme.example", "dave@globex.example"}},
			{`userName lt "b"`, []string{"alice@acme.example"}},
			{`userName le "bob@acme.example"`, []string{"alice@acme.example", "bob@acme.example"}},
			{`title pr`, []string{"alice@acme.example", "bob@acme.example", "dave@globex.example"}},
			{`title eq "ENGINEER"`, []string{"bob@acme.example", "dave@globex.example"}},
			{`externalId eq "DAVE-1"`, []string{"dave@globex.example"}},
			{`externalId eq "dave-1"`, nil},
			{`displayName sw "Bob" or name.familyName eq "xu"`, []string{"bob@acme.example", "Carol@Acme.example"}},
			{`name.givenName eq "alice" and not (title eq "Engineer")`, []string{"alice@acme.example"}},
			{`(title eq "CEO" or title eq "Engineer") and userName ew "acme.example"`, []string{"alice@acme.example", "bob@acme.example"}},
			{`emails[type eq "work"].value eq "BOB@acme.example"`, []string{"bob@acme.example"}},
			{`emails[type eq "home" and value co "home"]`, []string{"alice@acme.example"}},
			{`emails.value ew "other.example"`, []string{"Carol@Acme.example"}},
			{`emails co "alice@home"`, []string{"alice@acme.example"}},
			{`emails pr`, []string{"alice@acme.example", "bob@acme.example", "Carol@Acme.example"}},
			{`active eq false`, []string{"Carol@Acme.example"}},
			{`active eq true`, []string{"alice@acme.example", "bob@acme.example", "dave@globex.example"}},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "200"`, []string{"bob@acme.example"}},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "board"`, []string{"alice@acme.example"}},
			{`meta.created gt "` + start + `"`, []string{"alice@acme.example", "bob@acme.example", "Carol@Acme.example", "dave@globex.example"}},
			{`meta.lastModified lt "` + start + `"`, nil},
			{`groups[value eq "` + gid + `"]`, []string{"bob@acme.example"}},
			{`id eq "` + ids["alice@acme.example"] + `"`, []string{"alice@acme.example"}},
		}
		for _, tt := range tests {
			t.Run(tt.filter, func(t *testing.T) {
				res := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(tt.filter), ""), http.StatusOK)
				got := userNames(res)
				want := append([]string{}, tt.want...)
				sort.Strings(want)
				if !slices.Equal(got, want) || res["totalResults"] != float64(len(want)) {
					t.Errorf("got %v (totalResults %v), want %v", got, res["totalResults"], want)
				}
			})
		}
		for _, bad := range []string{`nickName eq "x"`, `userName eq`, `meta.created gt "soon"`, `emails[type eq "work"`, `active gt true`} {
			scimError(t, e.call("GET", "/Users?filter="+url.QueryEscape(bad), ""), http.StatusBadRequest, "invalidFilter")
		}
	})
}

func userNames(list map[string]any) []string {
	var out []string
	for _, r := range list["Resources"].([]any) {
		out = append(out, r.(map[string]any)["userName"].(string))
	}
	sort.Strings(out)
	return out
}

func TestPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		var all []string
		for i := range 23 {
			all = append(all, e.createUser(fmt.Sprintf("user%02d@acme.example", 22-i)))
		}

		t.Run("startIndex and count page in a stable order", func(t *testing.T) {
			var seen []string
			for start := 1; start <= 23; start += 10 {
				res := e.must(e.call("GET", fmt.Sprintf("/Users?startIndex=%d&count=10", start), ""), http.StatusOK)
				if res["totalResults"] != 23.0 || res["startIndex"] != float64(start) {
					t.Errorf("page %d: totalResults %v, startIndex %v", start, res["totalResults"], res["startIndex"])
				}
				for _, r := range res["Resources"].([]any) {
					seen = append(seen, r.(map[string]any)["id"].(string))
				}
			}
			if !slices.Equal(seen, all) {
				t.Errorf("paged through %v, want creation order %v", seen, all)
			}
			past := e.must(e.call("GET", "/Users?startIndex=40&count=10", ""), http.StatusOK)
			if past["totalResults"] != 23.0 || len(past["Resources"].([]any)) != 0 {
				t.Errorf("past the end: %v", past)
			}
			counted := e.must(e.call("GET", "/Users?count=0", ""), http.StatusOK)
			if counted["totalResults"] != 23.0 || len(counted["Resources"].([]any)) != 0 || counted["itemsPerPage"] != 0.0 {
				t.Errorf("count=0: %v", counted)
			}
		})

		t.Run("sortBy and sortOrder", func(t *testing.T) {
			res := e.must(e.call("GET", "/Users?sortBy=userName&sortOrder=descending&count=3", ""), http.StatusOK)
			got := []string{}
			for _, r := range res["Resources"].([]any) {
				got = append(got, r.(map[string]any)["userName"].(string))
			}
			if want := []string{"user22@acme.example", "user21@acme.example", "user20@acme.example"}; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			scimError(t, e.call("GET", "/Users?sortBy=nickName", ""), http.StatusBadRequest, "invalidValue")
			scimError(t, e.call("GET", "/Users?sortBy=userName&sortOrder=sideways", ""), http.StatusBadRequest, "invalidValue")
			scimError(t, e.call("GET", "/Users?count=ten", ""), http.StatusBadRequest, "invalidValue")
		})

		t.Run("cursors page to the end", func(t *testing.T) {
			var seen []string
			path := "/Users?sortBy=userName&count=10&cursor"
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("the cursor does not end")
				}
				res := e.must(e.call("GET", path, ""), http.StatusOK)
				if res["totalResults"] != 23.0 {
					t.Errorf("totalResults = %v, want 23", res["totalResults"])
				}
				for _, r := range res["Resources"].([]any) {
					seen = append(seen, r.(map[string]any)["userName"].(string))
				}
				next, _ := res["nextCursor"].(string)
				if next == "" {
					break
				}
				if url.QueryEscape(next) != next {
					t.Errorf("cursor %q has characters outside RFC 3986's unreserved set", next)
				}
				path = "/Users?sortBy=userName&count=10&cursor=" + next
			}
			if len(seen) != 23 || !sort.StringsAreSorted(seen) {
				t.Errorf("cursor paging returned %v", seen)
			}
		})

		t.Run("a cursor is bound to its query", func(t *testing.T) {
			first := e.must(e.call("GET", "/Users?count=5&cursor=", ""), http.StatusOK)
			next := first["nextCursor"].(string)
			if _, ok := first["startIndex"]; ok {
				t.Error("a cursor page has a startIndex")
			}
			scimError(t, e.call("GET", "/Users?count=5&sortBy=userName&cursor="+next, ""), http.StatusBadRequest, "invalidCursor")
			scimError(t, e.call("GET", "/Users?count=5&cursor=bm9wZQ", ""), http.StatusBadRequest, "invalidCursor")
			scimError(t, e.call("GET", "/Users?count=5&startIndex=2&cursor="+next, ""), http.StatusBadRequest, "invalidValue")
			e.must(e.call("GET", "/Users?count=5&cursor="+next, ""), http.StatusOK)
		})

		t.Run("POST .search takes the same parameters", func(t *testing.T) {
			res := e.must(e.call("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
				"attributes":["userName"],"filter":"userName sw \"user1\"","sortBy":"userName","sortOrder":"descending","startIndex":2,"count":3}`), http.StatusOK)
			got := userNames(res)
			if want := []string{"user16@acme.example", "user17@acme.example", "user18@acme.example"}; !slices.Equal(got, want) || res["totalResults"] != 10.0 {
				t.Errorf("got %v of %v, want %v of 10", got, res["totalResults"], want)
			}
			cursor := e.must(e.call("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"cursor":"","count":20}`), http.StatusOK)
			if cursor["nextCursor"] == nil {
				t.Error("POST .search with a cursor returned no nextCursor")
			}
			scimError(t, e.call("POST", "/Users/.search", `{"filter":"userName pr"}`), http.StatusBadRequest, "invalidSyntax")
			groups := e.must(e.call("POST", "/Groups/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`), http.StatusOK)
			if groups["totalResults"] != 0.0 {
				t.Errorf("groups search: %v", groups)
			}
		})
	})
}

// A page by startIndex past the first is a seek to where the page before
// it ended, as a keyset cursor is: a client paging through the listing
// while users are deleted behind it skips nobody, which an OFFSET walk
// would.
func TestDeepPagesSeekFromThePageBefore(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		var all []string
		for i := range 23 {
			all = append(all, e.createUser(fmt.Sprintf("user%02d@acme.example", i)))
		}
		page := func(path string) []string {
			t.Helper()
			res := e.must(e.call("GET", path, ""), http.StatusOK)
			var got []string
			for _, r := range res["Resources"].([]any) {
				got = append(got, r.(map[string]any)["id"].(string))
			}
			return got
		}
		var seen []string
		seen = append(seen, page("/Users?startIndex=1&count=5")...)
		seen = append(seen, page("/Users?startIndex=6&count=5")...)
		e.must(e.call("DELETE", "/Users/"+all[2], ""), http.StatusNoContent)
		seen = append(seen, page("/Users?startIndex=11&count=5")...)
		seen = append(seen, page("/Users?startIndex=16&count=5")...)
		res := e.must(e.call("GET", "/Users?startIndex=21&count=5", ""), http.StatusOK)
		for _, r := range res["Resources"].([]any) {
			seen = append(seen, r.(map[string]any)["id"].(string))
		}
		if !slices.Equal(seen, all) {
			t.Errorf("paged through\n%v\nwant every user once, in order\n%v", seen, all)
		}
		// The last page ends the listing as the client has walked it: 23
		// users, one of them deleted since it was served.
		if res["totalResults"] != 23.0 {
			t.Errorf("the last page's totalResults = %v, want 23", res["totalResults"])
		}

		// A jump ahead seeks to the nearest page served before it; other
		// queries (another filter, sort or count) do not share positions.
		if got := page("/Users?startIndex=18&count=2"); !slices.Equal(got, all[17:19]) {
			t.Errorf("a jump ahead of the positions served: %v, want %v", got, all[17:19])
		}
		if got := page("/Users?startIndex=6&count=5&sortBy=userName"); !slices.Equal(got, all[6:11]) {
			t.Errorf("another sort, paged by offset afresh: %v, want %v", got, all[6:11])
		}
		if got := page("/Users?startIndex=3&count=2&filter=" + url.QueryEscape(`userName sw "user0"`)); !slices.Equal(got, all[3:5]) {
			t.Errorf("a filtered listing: %v, want %v", got, all[3:5])
		}
	})
}

// A page that ends the listing gives totalResults without a count, even
// when it is full; a page with more after it counts.
func TestLastPageNeedsNoCount(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	for i := range 6 {
		e.createUser(fmt.Sprintf("user%02d@acme.example", i))
	}
	for _, c := range []struct {
		path   string
		total  float64
		counts int64
	}{
		{"/Users?count=6", 6, 0},
		{"/Users?startIndex=4&count=3", 6, 0},
		{"/Users?startIndex=2&count=5", 6, 0},
		{"/Users?count=5", 6, 1},
		{"/Users?startIndex=9&count=5", 6, 1}, // past the end: nothing to go by
	} {
		before := e.store.userCounts.Load()
		res := e.must(e.call("GET", c.path, ""), http.StatusOK)
		if res["totalResults"] != c.total {
			t.Errorf("%s: totalResults = %v, want %v", c.path, res["totalResults"], c.total)
		}
		if n := e.store.userCounts.Load() - before; n != c.counts {
			t.Errorf("%s: %d counts, want %d", c.path, n, c.counts)
		}
	}
}

// A deep startIndex that no page served before is near walks there by
// strides and keeps where each ended: a later jump anywhere before it
// walks less than a stride, and lands where an OFFSET walk would.
func TestDeepJumpsLayAnchors(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		const stride = 100
		e := newEnv(t, newStore(t), scim.WithAnchorStride(stride))
		const n = 2*stride + 50
		users := make([]*directory.User, n)
		for i := range users {
			users[i] = &directory.User{UserName: fmt.Sprintf("user%04d@acme.example", i)}
		}
		results, err := e.svc.CreateUsers(context.Background(), operator, e.org.ID, users)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		// Every id in the listing's order (by id), read by cursor.
		var all []string
		for cursor := ""; ; {
			res := e.must(e.call("GET", "/Users?attributes=id&count=100&cursor="+cursor, ""), http.StatusOK)
			for _, r := range res["Resources"].([]any) {
				all = append(all, r.(map[string]any)["id"].(string))
			}
			next, _ := res["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(all) != n {
			t.Fatalf("%d users listed, want %d", len(all), n)
		}
		jump := func(path string, start int) (skipped int64) {
			t.Helper()
			before := e.store.usersSkipped.Load()
			res := e.must(e.call("GET", path, ""), http.StatusOK)
			var got []string
			for _, r := range res["Resources"].([]any) {
				got = append(got, r.(map[string]any)["id"].(string))
			}
			want := all[min(start-1, n):min(start-1+3, n)]
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
			if res["totalResults"] != float64(n) {
				t.Errorf("%s: totalResults %v, want %d", path, res["totalResults"], n)
			}
			return e.store.usersSkipped.Load() - before
		}
		deep := 2*stride + 21
		if skipped := jump(fmt.Sprintf("/Users?attributes=id&count=3&startIndex=%d", deep), deep); skipped < int64(deep-3) || skipped > int64(deep) {
			t.Errorf("the first deep jump skipped %d users, want about the %d a walk from the start does", skipped, deep-1)
		}
		for _, start := range []int{stride + 51, stride*2 + 1, 2*stride + 18, 90} {
			if skipped := jump(fmt.Sprintf("/Users?attributes=id&count=3&startIndex=%d", start), start); skipped >= stride {
				t.Errorf("a jump to %d after a deeper one skipped %d users, want fewer than a stride", start, skipped)
			}
		}
		// Past the end: the walk stops where the listing does.
		e.must(e.call("GET", fmt.Sprintf("/Users?count=3&startIndex=%d", 5*stride), ""), http.StatusOK)
		// Another query (a filter) has anchors of its own, and a page
		// with none to read (count=0) walks nowhere.
		filtered := fmt.Sprintf("/Users?attributes=id&count=3&startIndex=%d&filter=%s", deep, url.QueryEscape(`userName sw "user"`))
		if skipped := jump(filtered, deep); skipped < int64(deep-3) {
			t.Errorf("a filtered jump used another query's anchors: skipped %d", skipped)
		}
		before := e.store.usersSkipped.Load()
		e.must(e.call("GET", fmt.Sprintf("/Users?count=0&startIndex=%d&filter=%s", deep, url.QueryEscape(`userName sw "user0"`)), ""), http.StatusOK)
		if skipped := e.store.usersSkipped.Load() - before; skipped != 0 {
			t.Errorf("count=0 skipped %d users", skipped)
		}
	})
}
