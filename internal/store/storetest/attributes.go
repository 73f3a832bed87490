package storetest

import (
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// catalogueValues sets every plain text attribute of the catalogue on u to
// a value of its own, tagged; userName and email, which must be addresses,
// keep theirs.
func catalogueValues(u *directory.User, tag string) {
	for _, a := range directory.UserAttributes() {
		if a.Text == nil || a.Name == directory.UserUserName || a.Name == directory.UserEmail {
			continue
		}
		*a.Text(u) = tag + " " + string(a.Name)
	}
}

// Every plain text attribute the catalogue declares is stored, read,
// updated, bulk-created and filtered on, whichever column holds it: a new
// attribute needs its migration and nothing else of the store.
func testCatalogueAttributes(t *testing.T, f *fixture) {
	org := f.org("acme")
	u := f.user(org, "cat@acme.example", func(u *directory.User) { catalogueValues(u, "Created") })
	bulk := f.newUser(org, "bulk@acme.example")
	catalogueValues(bulk, "Bulk")
	must(t, "CreateUsers", f.s.Bulk().CreateUsers(f.ctx, []*directory.User{bulk}))

	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	gotBulk, err := f.s.Users().GetUser(f.ctx, org.ID, bulk.ID)
	must(t, "GetUser(bulk)", err)
	for _, a := range directory.UserAttributes() {
		if a.Text == nil {
			continue
		}
		if *a.Text(got) != *a.Text(u) {
			t.Errorf("%s: read %q, wrote %q", a.Name, *a.Text(got), *a.Text(u))
		}
		if *a.Text(gotBulk) != *a.Text(bulk) {
			t.Errorf("%s: read %q after a bulk create, wrote %q", a.Name, *a.Text(gotBulk), *a.Text(bulk))
		}
		if !a.Filterable || a.Column == "" {
			continue
		}
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{
			Filter: directory.Eq(a.Name, strings.ToUpper(*a.Text(u))), Limit: 10,
		})
		must(t, "ListUsers", err)
		want := 1
		if a.CaseExact {
			want = 0 // the upper-cased value differs
		}
		if len(page.Users) != want {
			t.Errorf("%s eq (upper-cased): %d users, want %d", a.Name, len(page.Users), want)
		}
	}

	catalogueValues(got, "Updated")
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, got, f.at(1)))
	again, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	for _, a := range directory.UserAttributes() {
		if a.Text != nil && *a.Text(again) != *a.Text(got) {
			t.Errorf("%s: read %q after an update, wrote %q", a.Name, *a.Text(again), *a.Text(got))
		}
	}
}
