package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// testUserNamesPerOrganization: a userName is unique within its
// organization among users that are not deleted; a deleted user frees it,
// and cannot come back while another user holds it.
func testUserNamesPerOrganization(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	jdoeA := f.user(a, "jdoe", func(u *directory.User) { u.Email = "" })
	f.user(b, "jdoe", func(u *directory.User) { u.Email = "" })
	wantCode(t, "CreateUser of JDOE next to jdoe", f.s.Users().CreateUser(f.ctx, f.newUser(a, "JDOE")), directory.CodeConflict, "userName")

	for _, org := range []*directory.Org{a, b} {
		got, err := f.s.Users().FindUserByUserName(f.ctx, org.ID, "JDoe")
		must(t, "FindUserByUserName(JDoe)", err)
		if got.OrgID != org.ID {
			t.Errorf("FindUserByUserName in %s found a user of %s", org.Slug, got.OrgID)
		}
	}

	// Deleting jdoe frees the name: a new jdoe is a new user.
	gone := jdoeA.Clone()
	gone.Status, gone.DeletedAt = directory.StatusDeleted, ptr(f.at(time.Hour))
	must(t, "UpdateUser deleting jdoe", f.s.Users().UpdateUser(f.ctx, gone, f.at(time.Hour)))
	again := f.user(a, "Jdoe", func(u *directory.User) { u.Email = "" })
	got, err := f.s.Users().FindUserByUserName(f.ctx, a.ID, "jdoe")
	must(t, "FindUserByUserName(jdoe) after the delete", err)
	if got.ID != again.ID {
		t.Errorf("FindUserByUserName found %s, want the new user %s", got.ID, again.ID)
	}

	// The deleted jdoe cannot come back while the name is held.
	back := gone.Clone()
	back.Status, back.DeletedAt = directory.StatusActive, nil
	wantCode(t, "UpdateUser restoring onto a held name", f.s.Users().UpdateUser(f.ctx, back, f.at(2*time.Hour)), directory.CodeConflict, "userName")
	stored, err := f.s.Users().GetUser(f.ctx, a.ID, gone.ID)
	must(t, "GetUser", err)
	if !stored.Deleted() {
		t.Errorf("a refused restore left the user %s", stored.Status)
	}

	// Renaming onto a deleted user's name succeeds; so does a name that is
	// no email, with any text.
	f.user(a, "left@a.example", func(u *directory.User) { u.Status = directory.StatusDeleted })
	other := f.user(a, "other@a.example")
	renamed := other.Clone()
	renamed.UserName = "LEFT@a.example"
	must(t, "UpdateUser onto a deleted user's name", f.s.Users().UpdateUser(f.ctx, renamed, f.at(time.Hour)))
	for _, name := range []string{"E12345", "john.doe@contoso.onmicrosoft.com", "Zoë Ünïcode", "bjensen"} {
		f.user(a, name, func(u *directory.User) { u.Email = "" })
	}
}

// testLoginEmailUnique: the login email is unique within the organization
// among users that are not deleted.
func testLoginEmailUnique(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	f.user(a, "ann", func(u *directory.User) { u.Email = "Ann@corp.example" })
	dup := f.newUser(a, "ann2")
	dup.Email = "ann@CORP.example"
	wantCode(t, "CreateUser with another user's login email", f.s.Users().CreateUser(f.ctx, dup), directory.CodeConflict, "email")
	f.user(b, "ann", func(u *directory.User) { u.Email = "ann@corp.example" })
	// Users without an email do not clash.
	f.user(a, "nomail1", func(u *directory.User) { u.Email = "" })
	f.user(a, "nomail2", func(u *directory.User) { u.Email = "" })
	// A deleted user's login email is free.
	f.user(a, "old", func(u *directory.User) { u.Email, u.Status = "old@corp.example", directory.StatusDeleted })
	f.user(a, "new", func(u *directory.User) { u.Email = "old@corp.example" })
}

// testDomainVerification: several organizations may list a domain, one
// only may have verified it, and only a verified domain finds its
// organization.
func testDomainVerification(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	shared := directory.Domain{Name: "shared.example", Token: "tok-a"}
	a.Domains = append(a.Domains, shared)
	must(t, "UpdateOrg listing shared.example", f.s.Orgs().UpdateOrg(f.ctx, a))
	b.Domains = append(b.Domains, directory.Domain{Name: "shared.example", Token: "tok-b"})
	must(t, "UpdateOrg listing shared.example in another organization", f.s.Orgs().UpdateOrg(f.ctx, b))
	_, err := f.s.Orgs().FindOrgByDomain(f.ctx, "shared.example")
	wantCode(t, "FindOrgByDomain(unverified)", err, directory.CodeNotFound, "")

	at := micro(f.at(time.Hour))
	a.Domains[1].Verified, a.Domains[1].VerifiedBy, a.Domains[1].VerifiedAt = true, directory.VerifiedByDNS, &at
	must(t, "UpdateOrg verifying shared.example", f.s.Orgs().UpdateOrg(f.ctx, a))
	got, err := f.s.Orgs().GetOrg(f.ctx, a.ID)
	must(t, "GetOrg", err)
	diff(t, "the verified domain", a.Domains, got.Domains)
	found, err := f.s.Orgs().FindOrgByDomain(f.ctx, "SHARED.example")
	must(t, "FindOrgByDomain(verified)", err)
	if found.ID != a.ID {
		t.Errorf("FindOrgByDomain found %s, want %s", found.Slug, a.Slug)
	}

	b.Domains[1].Verified, b.Domains[1].VerifiedBy, b.Domains[1].VerifiedAt = true, directory.VerifiedByOperator, &at
	wantCode(t, "UpdateOrg verifying a domain verified elsewhere", f.s.Orgs().UpdateOrg(f.ctx, b), directory.CodeConflict, "domain")
	got, err = f.s.Orgs().GetOrg(f.ctx, b.ID)
	must(t, "GetOrg", err)
	if d, _ := got.Domain("shared.example"); d.Verified || d.Token != "tok-b" {
		t.Errorf("a refused verification left %+v", d)
	}

	// A login email on shared.example: a's own, b's refused, outside a
	// transaction and inside one, where the refusal may come from the
	// statement after or from the commit, and nothing is written.
	must(t, "CheckLoginDomain of the owner", f.s.Orgs().CheckLoginDomain(f.ctx, a.ID, "Shared.example"))
	must(t, "CheckLoginDomain of an unverified domain", f.s.Orgs().CheckLoginDomain(f.ctx, b.ID, "b.example"))
	wantCode(t, "CheckLoginDomain of another organization's domain", f.s.Orgs().CheckLoginDomain(f.ctx, b.ID, "shared.example"), directory.CodeConflict, "email")
	must(t, "CheckLoginDomain in a transaction", f.s.InTx(f.ctx, func(r directory.Repos) error {
		return r.Orgs().CheckLoginDomain(f.ctx, a.ID, "shared.example")
	}))
	held := f.newUser(b, "held@shared.example")
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		if err := r.Orgs().CheckLoginDomain(f.ctx, b.ID, "shared.example"); err != nil {
			return err
		}
		return r.Users().CreateUser(f.ctx, held)
	})
	wantCode(t, "CheckLoginDomain before a create in a transaction", err, directory.CodeConflict, "email")
	if de := (*directory.Error)(nil); errors.As(err, &de) && !strings.Contains(de.Message, "shared.example") {
		t.Errorf("the refusal %q does not name the domain", de.Message)
	}
	_, err = f.s.Users().GetUser(f.ctx, b.ID, held.ID)
	wantCode(t, "GetUser of the refused user", err, directory.CodeNotFound, "")
}
