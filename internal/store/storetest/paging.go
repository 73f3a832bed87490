package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func testUserSort(t *testing.T, f *fixture) {
	p := f.people()
	// The expected orders hold under any collation: the sort keys differ in
	// their first letter, or are equal and fall back to id order (creation
	// order, as fixture ids are time-ordered).
	a, b, c, d := "alice@example.com", "bob@example.com", "carol@example.org", "dave@example.com"
	for _, tc := range []struct {
		sort directory.Sort
		want []string
	}{
		{directory.Sort{}, []string{a, b, c, d}},
		{directory.Sort{Desc: true}, []string{d, c, b, a}},
		{directory.Sort{Attr: directory.UserID}, []string{a, b, c, d}},
		{directory.Sort{Attr: directory.UserUserName, Desc: true}, []string{d, c, b, a}},
		{directory.Sort{Attr: directory.UserDisplayName}, []string{a, b, c, d}},
		{directory.Sort{Attr: directory.UserEmail, Desc: true}, []string{d, c, b, a}},
		// Equal keys (carol's and dave's empty titles) keep id order, in
		// the direction of the sort. Empty text is a missing value: last
		// when ascending, first when descending (RFC 7644 §3.4.2.3).
		{directory.Sort{Attr: directory.UserTitle}, []string{a, b, c, d}},
		{directory.Sort{Attr: directory.UserTitle, Desc: true}, []string{d, c, b, a}},
		{directory.Sort{Attr: directory.UserStatus}, []string{a, d, c, b}},
		{directory.Sort{Attr: directory.UserCreated, Desc: true}, []string{d, c, b, a}},
		{directory.Sort{Attr: directory.UserLastModified}, []string{a, b, c, d}},
		// Users who never logged in come last, and first when descending.
		{directory.Sort{Attr: directory.UserLastLogin}, []string{a, d, b, c}},
		{directory.Sort{Attr: directory.UserLastLogin, Desc: true}, []string{c, b, d, a}},
	} {
		name := fmt.Sprintf("by %q desc=%v", tc.sort.Attr, tc.sort.Desc)
		t.Run(name, func(t *testing.T) {
			page, err := f.s.Users().ListUsers(f.ctx, p.org.ID, directory.UserQuery{Sort: tc.sort})
			must(t, "ListUsers", err)
			got := make([]string, len(page.Users))
			for i, u := range page.Users {
				got[i] = strings.ToLower(u.UserName)
			}
			diff(t, "order", tc.want, got)
		})
	}
}

// pagingUsers creates n users whose sort keys repeat and are sometimes
// absent, so that paging must break ties by id and handle NULLs.
func (f *fixture) pagingUsers(org *directory.Org, n int) []*directory.User {
	titles := []string{"", "Analyst", "Engineer", "Manager"}
	var users []*directory.User
	for i := range n {
		users = append(users, f.user(org, fmt.Sprintf("user%02d@paging.example", i), func(u *directory.User) {
			u.Title = titles[i%len(titles)]
			u.DisplayName = fmt.Sprintf("User %d", i%5)
			u.CreatedAt = f.at(time.Duration(i%3) * time.Second)
			if i%4 != 0 {
				u.LastLoginAt = ptr(f.at(time.Duration(i%7) * time.Minute))
			}
			if i%6 == 5 {
				u.Status = directory.StatusSuspended
			}
		}))
	}
	return users
}

func testUserPaging(t *testing.T, f *fixture) {
	org := f.org("paging")
	users := f.pagingUsers(org, 21)
	list := func(q directory.UserQuery) *directory.UserPage {
		t.Helper()
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, q)
		must(t, "ListUsers", err)
		return page
	}
	sorts := []directory.Sort{
		{}, {Desc: true},
		{Attr: directory.UserUserName}, {Attr: directory.UserUserName, Desc: true},
		{Attr: directory.UserTitle}, {Attr: directory.UserTitle, Desc: true},
		{Attr: directory.UserDisplayName, Desc: true},
		{Attr: directory.UserCreated}, {Attr: directory.UserCreated, Desc: true},
		{Attr: directory.UserLastLogin}, {Attr: directory.UserLastLogin, Desc: true},
	}
	filters := map[string]directory.Expr{
		"all":    nil,
		"active": directory.Eq(directory.UserActive, true),
	}
	for _, sort := range sorts {
		for fname, filter := range filters {
			for _, limit := range []int{5, 7} {
				name := fmt.Sprintf("by %q desc=%v, %s, %d a page", sort.Attr, sort.Desc, fname, limit)
				t.Run(name, func(t *testing.T) {
					whole := list(directory.UserQuery{Filter: filter, Sort: sort, Limit: directory.MaxPageSize, CountTotal: true})
					if whole.Next != "" {
						t.Errorf("a page holding everything has Next = %q", whole.Next)
					}
					want := ids(whole.Users)
					if whole.Total != len(want) {
						t.Errorf("Total = %d, want %d", whole.Total, len(want))
					}

					// By cursor: every user once, in order.
					var got []string
					q := directory.UserQuery{Filter: filter, Sort: sort, Limit: limit, CountTotal: true}
					for pages := 0; ; pages++ {
						if pages > len(users) {
							t.Fatal("cursor paging does not end")
						}
						page := list(q)
						if page.Total != len(want) {
							t.Errorf("page %d: Total = %d, want %d", pages, page.Total, len(want))
						}
						if len(page.Users) > limit {
							t.Fatalf("page %d holds %d users, more than the limit %d", pages, len(page.Users), limit)
						}
						got = append(got, ids(page.Users)...)
						if page.Next == "" {
							break
						}
						if len(page.Users) != limit {
							t.Errorf("page %d holds %d users and has a next page", pages, len(page.Users))
						}
						q.After = page.Next
					}
					diff(t, "users paged by cursor", want, got)

					// By offset: the same slices. After wins over Offset.
					got = nil
					for offset := 0; offset < len(want)+limit; offset += limit {
						got = append(got, ids(list(directory.UserQuery{Filter: filter, Sort: sort, Limit: limit, Offset: offset}).Users)...)
					}
					diff(t, "users paged by offset", want, got)
				})
			}
		}
	}

	t.Run("After wins over Offset", func(t *testing.T) {
		first := list(directory.UserQuery{Limit: 3})
		second := list(directory.UserQuery{Limit: 3, After: first.Next, Offset: 10})
		diff(t, "second page", ids(users[3:6]), ids(second.Users))
	})
	t.Run("AfterOffset skips past the cursor", func(t *testing.T) {
		for _, sort := range sorts {
			whole := ids(list(directory.UserQuery{Sort: sort, Limit: directory.MaxPageSize}).Users)
			first := list(directory.UserQuery{Sort: sort, Limit: 4})
			for skip := 0; skip <= len(whole)-4; skip += 5 {
				page := list(directory.UserQuery{Sort: sort, Limit: 3, After: first.Next, AfterOffset: skip})
				diff(t, fmt.Sprintf("by %q desc=%v, 3 users from %d", sort.Attr, sort.Desc, 4+skip), whole[4+skip:min(4+skip+3, len(whole))], ids(page.Users))
				if more := 4+skip+3 < len(whole); more != (page.Next != "") {
					t.Errorf("by %q desc=%v from %d: Next = %q with more = %v", sort.Attr, sort.Desc, 4+skip, page.Next, more)
				}
			}
		}
	})
	t.Run("a cursor-only page ends where the page does, with no users", func(t *testing.T) {
		for _, sort := range sorts {
			first := list(directory.UserQuery{Sort: sort, Limit: 4})
			for skip := 0; skip <= len(users)+1; skip += 4 {
				for _, q := range []directory.UserQuery{
					{Sort: sort, Limit: 3, Offset: skip},
					{Sort: sort, Limit: 1, After: first.Next, AfterOffset: skip},
					{Sort: sort, Limit: 2, Filter: directory.Eq(directory.UserActive, true), Offset: skip},
				} {
					full := list(q)
					q.CursorOnly = true
					only := list(q)
					if only.Next != full.Next || len(only.Users) != 0 {
						t.Errorf("by %q desc=%v, %+v: Next %q with %d users, want %q and none",
							sort.Attr, sort.Desc, q, only.Next, len(only.Users), full.Next)
					}
				}
			}
		}
	})
	t.Run("a page ends when the users do", func(t *testing.T) {
		page := list(directory.UserQuery{Limit: len(users)})
		if len(page.Users) != len(users) || page.Next != "" {
			t.Errorf("a page of exactly all users: %d users, Next = %q", len(page.Users), page.Next)
		}
	})
	t.Run("a limit of 0 means the default page size", func(t *testing.T) {
		page := list(directory.UserQuery{})
		if len(page.Users) != len(users) {
			t.Errorf("got %d users, want %d", len(page.Users), len(users))
		}
	})
	t.Run("bad cursors are refused", func(t *testing.T) {
		first := list(directory.UserQuery{Limit: 3, Sort: directory.Sort{Attr: directory.UserUserName}})
		for name, q := range map[string]directory.UserQuery{
			"garbage":                  {After: "not a cursor!"},
			"base64 garbage":           {After: "bm90IGpzb24"},
			"a cursor of another sort": {After: first.Next, Sort: directory.Sort{Attr: directory.UserTitle}},
			"a cursor of another direction": {
				After: first.Next, Sort: directory.Sort{Attr: directory.UserUserName, Desc: true},
			},
		} {
			_, err := f.s.Users().ListUsers(f.ctx, org.ID, q)
			wantCode(t, "ListUsers after "+name, err, directory.CodeInvalid, "cursor")
		}
	})
	t.Run("cursors survive inserts before them", func(t *testing.T) {
		first := list(directory.UserQuery{Limit: 4, Sort: directory.Sort{Attr: directory.UserUserName}})
		f.user(org, "user00a@paging.example")
		rest := list(directory.UserQuery{Limit: directory.MaxPageSize, After: first.Next, Sort: directory.Sort{Attr: directory.UserUserName}})
		var names []string
		for _, u := range rest.Users {
			names = append(names, u.UserName)
		}
		if !slices.IsSorted(names) || len(names) != len(users)-4 || names[0] != "user04@paging.example" {
			t.Errorf("after the first page: %v", names)
		}
	})
}
