package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// testUserGrants: roles and entitlements are stored in order, rewritten by
// every kind of update, and queried through Has, each list on its own.
func testUserGrants(t *testing.T, f *fixture) {
	org, other := f.org("acme"), f.org("other")
	ada := f.user(org, "ada@acme.example", func(u *directory.User) {
		u.Roles = []directory.Grant{{Value: "Admin", Type: "app", Primary: true}, {Value: "Reader"}}
	})
	bob := f.user(org, "bob@acme.example", func(u *directory.User) {
		u.Entitlements = []directory.Grant{{Value: "Admin"}}
	})
	f.user(other, "ada@other.example", func(u *directory.User) { u.Roles = []directory.Grant{{Value: "Admin"}} })

	find := func(what string, attr directory.Attr, where directory.Expr, want ...*directory.User) {
		t.Helper()
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Filter: directory.Has{Attr: attr, Where: where}})
		must(t, "ListUsers "+what, err)
		got, w := ids(page.Users), ids(want)
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s: found %v, want %v", what, got, w)
		}
	}
	find("roles value", directory.UserRoles, directory.Eq(directory.EmailValue, "ADMIN"), ada)
	find("entitlements value", directory.UserEntitlements, directory.Eq(directory.EmailValue, "admin"), bob)
	find("roles type", directory.UserRoles, directory.Eq(directory.EmailType, "APP"), ada)
	find("roles primary", directory.UserRoles, directory.Eq(directory.EmailPrimary, true), ada)
	find("roles and", directory.UserRoles, directory.And{
		directory.Eq(directory.EmailValue, "Reader"), directory.Eq(directory.EmailType, "app"),
	})

	// A plain update that changes neither list keeps them.
	got, err := f.s.Users().GetUser(f.ctx, org.ID, ada.ID)
	must(t, "GetUser", err)
	diff(t, "roles as created", ada.Roles, got.Roles)
	got.Title = "Boss"
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, got, f.at(time.Hour)))
	again, err := f.s.Users().GetUser(f.ctx, org.ID, ada.ID)
	must(t, "GetUser", err)
	diff(t, "user after an update of its title", got, again)

	// An update rewrites the lists that changed.
	again.Roles = []directory.Grant{{Value: "Reader", Display: "Reads"}}
	again.Entitlements = []directory.Grant{{Value: "crm"}}
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, again, f.at(2*time.Hour)))
	got, err = f.s.Users().GetUser(f.ctx, org.ID, ada.ID)
	must(t, "GetUser", err)
	diff(t, "user after rewriting its grants", again, got)
	find("old role gone", directory.UserRoles, directory.Eq(directory.EmailValue, "Admin"))
	find("new entitlement", directory.UserEntitlements, directory.Eq(directory.EmailValue, "crm"), ada)

	// Updates of a user locked or assumed in a transaction.
	var want *directory.User
	must(t, "InTx locked", f.s.InTx(f.ctx, func(r directory.Repos) error {
		cur, err := r.Users().GetUserForUpdate(f.ctx, org.ID, bob.ID)
		if err != nil {
			return err
		}
		cur.Roles = []directory.Grant{{Value: "Writer"}}
		if err := r.Users().UpdateUser(f.ctx, cur, f.at(3*time.Hour)); err != nil {
			return err
		}
		cur.Entitlements = nil
		want = cur
		return r.Users().UpdateUser(f.ctx, cur, f.at(4*time.Hour))
	}))
	got, err = f.s.Users().GetUser(f.ctx, org.ID, bob.ID)
	must(t, "GetUser", err)
	diff(t, "user after locked updates of its grants", want, got)

	must(t, "InTx assumed", f.s.InTx(f.ctx, func(r directory.Repos) error {
		cur := got.Clone()
		r.Users().AssumeUser(cur)
		cur.Roles = append(cur.Roles, directory.Grant{Value: "Auditor"})
		want = cur
		return r.Users().UpdateUser(f.ctx, cur, f.at(5*time.Hour))
	}))
	got, err = f.s.Users().GetUser(f.ctx, org.ID, bob.ID)
	must(t, "GetUser", err)
	diff(t, "user after an assumed update of its grants", want, got)
	find("writer", directory.UserRoles, directory.Eq(directory.EmailValue, "writer"), bob)
	find("auditor", directory.UserRoles, directory.Eq(directory.EmailValue, "auditor"), bob)
	find("no entitlements left", directory.UserEntitlements, directory.Eq(directory.EmailValue, "admin"))

	// A user losing its last grants, outside a transaction, keeps none.
	last, err := f.s.Users().GetUser(f.ctx, org.ID, bob.ID)
	must(t, "GetUser", err)
	last.Roles, last.Entitlements = nil, nil
	must(t, "UpdateUser without grants", f.s.Users().UpdateUser(f.ctx, last, f.at(6*time.Hour)))
	find("no roles left", directory.UserRoles, directory.Eq(directory.EmailValue, "writer"))
}
