package storetest

import (
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// searchFor is the users list's search (q=): a case-insensitive substring
// of first name, last name, email or userName, as the admin API asks for
// it. Both stores serve it from an index (trigrams), which must not change
// what it finds.
func searchFor(s string) directory.Expr {
	return directory.Or{
		directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: s},
		directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: s},
		directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: s},
		directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: s},
	}
}

func testUserSearch(t *testing.T, f *fixture) {
	org := f.org("acme")
	named := func(given, family, email string) func(*directory.User) {
		return func(u *directory.User) { u.GivenName, u.FamilyName, u.Email = given, family, email }
	}
	const (
		grace = "grace.h@acme.test"
		jan   = "jan@acme.test"
		promo = "promo@acme.test"
		promx = "promx@acme.test"
		quote = "quote@acme.test"
	)
	f.user(org, grace, named("Grace", "Hopper", "grace.hopper@navy.test"))
	f.user(org, jan, named("Jan", "Müller", "jm@acme.test"))
	f.user(org, promo, named("50%_Off", "Sale", ""))
	f.user(org, promx, named("50abOff", "Sale", ""))
	f.user(org, quote, named(`Say "Cheese"`, "Smith", ""))
	f.user(org, "gone@acme.test", named("Grace", "Hopper", ""), func(u *directory.User) { u.Status = directory.StatusDeleted })
	other := f.org("other")
	f.user(other, "grace.h@other.test", named("Grace", "Hopper", "grace.hopper@navy.test"))
	f.user(other, "promo@other.test", named("50%_Off", "Müller", `Say "Cheese"`))

	search := func(t *testing.T, q string, want ...string) {
		t.Helper()
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Filter: searchFor(q), CountTotal: true})
		must(t, "ListUsers", err)
		if want == nil {
			want = []string{}
		}
		got := userNames(page.Users)
		if got == nil {
			got = []string{}
		}
		diff(t, "users found by "+q, want, got)
		if page.Total != len(want) {
			t.Errorf("q=%s: Total = %d, want %d", q, page.Total, len(want))
		}
	}
	for _, tc := range []struct {
		name, q string
		want    []string
	}{
		{"a substring in the middle of a name", "opp", []string{grace}},
		{"regardless of case", "hOpPeR", []string{grace}},
		{"in the email", "HOPPER@NAVY", []string{grace}},
		{"in the userName", ".h@acm", []string{grace}},
		{"across the organization's users", "acme.test", []string{grace, jan, promo, promx, quote}},
		{"non-ASCII case folds as in eq", "ÜLLER", []string{jan}},
		{"accents are not stripped", "Muller", nil},
		{"% is a character", "0%_o", []string{promo}},
		{"_ is a character", "%_o", []string{promo}},
		{"a lone % and _ are characters", "%_", []string{promo}},
		{"double quotes are characters", `"Chee`, []string{quote}},
		{"a backslash is a character", `\ch`, nil},
		{"two characters", "op", []string{grace}},
		{"one character", "Ü", []string{jan}},
		{"no match", "zzzz", nil},
		{"a whole name with spaces", `Say "Cheese"`, []string{quote}},
	} {
		t.Run(tc.name, func(t *testing.T) { search(t, tc.q, tc.want...) })
	}

	t.Run("the search follows renames", func(t *testing.T) {
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Filter: directory.Eq(directory.UserUserName, grace)})
		must(t, "ListUsers", err)
		if len(page.Users) != 1 {
			t.Fatalf("found %d users named %s, want 1", len(page.Users), grace)
		}
		u := page.Users[0]
		u.FamilyName, u.Email, u.UserName = "Brewster", "grace.brewster@navy.test", "gb@acme.test"
		must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, u, f.at(time.Hour)))
		search(t, "hopper")
		search(t, "brewster", "gb@acme.test")
		search(t, "gb@acme", "gb@acme.test")
		search(t, "grace.h@", nil...)
	})
}
