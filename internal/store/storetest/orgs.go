package storetest

import (
	"testing"

	"github.com/roster/roster/internal/directory"
)

func testOrgRoundTrip(t *testing.T, f *fixture) {
	o := &directory.Org{
		ID:   newID(),
		Slug: "acme",
		Name: "Acme Corp",
		Domains: []directory.Domain{
			{Name: "acme.example", Primary: true, Token: "t1", Verified: true, VerifiedBy: directory.VerifiedByDNS, VerifiedAt: ptr(micro(f.base))},
			{Name: "acme-corp.example", Token: "t2", Verified: true, VerifiedBy: directory.VerifiedByOperator, VerifiedAt: ptr(micro(f.at(1)))},
			{Name: "acme-pending.example", Token: "t3"},
		},
		Settings: directory.OrgSettings{
			MFAPolicy:            directory.MFARequired,
			MFAFactors:           []directory.MFAFactor{directory.FactorSMS, directory.FactorTOTP},
			PhoneRegion:          "DE",
			PasswordlessPasskeys: true,
			LockoutThreshold:     5,
			InactivityDays:       30,
			PasswordPolicy:       directory.PasswordPolicy{MinLength: 14, RequireUpper: true, RequireDigit: true},
			RoleMappings: []directory.RoleMapping{
				{Value: "Admin", Role: directory.RoleOrgAdmin}, {Value: "Auditor", Role: directory.RoleOrgViewer},
			},
		},
		UserProperties: []directory.PropertyDef{
			{Key: "badge", Label: "Badge number", Type: directory.PropertyNumber, Required: true},
			{Key: "hired", Label: "Hired on", Type: directory.PropertyDate},
		},
		CreatedAt: f.base,
		UpdatedAt: f.at(1),
		Version:   1,
	}
	must(t, "CreateOrg", f.s.Orgs().CreateOrg(f.ctx, o))
	want := *o
	want.CreatedAt, want.UpdatedAt = micro(f.base), micro(f.at(1))
	diff(t, "CreateOrg rounds the times it was given", &want, o)

	got, err := f.s.Orgs().GetOrg(f.ctx, o.ID)
	must(t, "GetOrg", err)
	diff(t, "GetOrg", o, got)

	got, err = f.s.Orgs().GetOrgBySlug(f.ctx, "acme")
	must(t, "GetOrgBySlug", err)
	diff(t, "GetOrgBySlug", o, got)

	for _, domain := range []string{"acme-corp.example", "ACME.example", " acme.example. "} {
		got, err = f.s.Orgs().FindOrgByDomain(f.ctx, domain)
		must(t, "FindOrgByDomain("+domain+")", err)
		if got.ID != o.ID {
			t.Errorf("FindOrgByDomain(%q) = %s, want %s", domain, got.ID, o.ID)
		}
	}
	for _, domain := range []string{"acme-pending.example"} {
		_, err = f.s.Orgs().FindOrgByDomain(f.ctx, domain)
		wantCode(t, "FindOrgByDomain(unverified)", err, directory.CodeNotFound, "")
	}

	other := f.org("other")
	list, err := f.s.Orgs().ListOrgs(f.ctx)
	must(t, "ListOrgs", err)
	diff(t, "ListOrgs (by slug)", []*directory.Org{o, other}, list)
	n, err := f.s.Orgs().CountOrgs(f.ctx)
	must(t, "CountOrgs", err)
	if n != 2 {
		t.Errorf("CountOrgs = %d, want 2", n)
	}

	_, err = f.s.Orgs().GetOrg(f.ctx, newID())
	wantCode(t, "GetOrg(unknown)", err, directory.CodeNotFound, "")
	_, err = f.s.Orgs().GetOrgBySlug(f.ctx, "nope")
	wantCode(t, "GetOrgBySlug(unknown)", err, directory.CodeNotFound, "")
	_, err = f.s.Orgs().FindOrgByDomain(f.ctx, "nope.example")
	wantCode(t, "FindOrgByDomain(unknown)", err, directory.CodeNotFound, "")
}

func testOrgUniqueness(t *testing.T, f *fixture) {
	a := f.org("a")
	sameSlug := &directory.Org{ID: newID(), Slug: a.Slug, Name: "A again", Settings: directory.DefaultOrgSettings(), Version: 1}
	wantCode(t, "CreateOrg with a taken slug", f.s.Orgs().CreateOrg(f.ctx, sameSlug), directory.CodeConflict, "slug")

	sameDomain := &directory.Org{
		ID: newID(), Slug: "b", Name: "B", Settings: directory.DefaultOrgSettings(), Version: 1,
		Domains: []directory.Domain{{Name: "b.example", Primary: true}, {Name: a.Domains[0].Name, Verified: true, VerifiedBy: directory.VerifiedByDNS}},
	}
	wantCode(t, "CreateOrg with a domain another organization verified", f.s.Orgs().CreateOrg(f.ctx, sameDomain), directory.CodeConflict, "domain")
	// Nothing of the failed organization remains.
	_, err := f.s.Orgs().GetOrgBySlug(f.ctx, "b")
	wantCode(t, "GetOrgBySlug after a failed create", err, directory.CodeNotFound, "")
	_, err = f.s.Orgs().FindOrgByDomain(f.ctx, "b.example")
	wantCode(t, "FindOrgByDomain after a failed create", err, directory.CodeNotFound, "")

	sameID := &directory.Org{ID: a.ID, Slug: "c", Name: "C", Settings: directory.DefaultOrgSettings(), Version: 1}
	wantCode(t, "CreateOrg with a taken id", f.s.Orgs().CreateOrg(f.ctx, sameID), directory.CodeConflict, "id")

	twice := &directory.Org{
		ID: newID(), Slug: "d", Name: "D", Settings: directory.DefaultOrgSettings(), Version: 1,
		Domains: []directory.Domain{{Name: "d.example", Primary: true}, {Name: "d.example"}},
	}
	wantCode(t, "CreateOrg listing a domain twice", f.s.Orgs().CreateOrg(f.ctx, twice), directory.CodeInvalid, "domains")
}

func testOrgUpdate(t *testing.T, f *fixture) {
	o := f.org("acme")
	other := f.org("other")
	stale := *o

	o.Name = "Acme Renamed"
	o.Settings.MFAPolicy = directory.MFAOff
	o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorPasskey}
	o.Settings.PhoneRegion = ""
	o.Settings.PasswordPolicy.RequireSymbol = true
	o.Domains = []directory.Domain{{Name: "new.example"}, {Name: "newer.example", Primary: true}}
	o.UserProperties = []directory.PropertyDef{{Key: "floor", Label: "Floor", Type: directory.PropertyString}}
	must(t, "UpdateOrg", f.s.Orgs().UpdateOrg(f.ctx, o))
	if o.Version != 2 {
		t.Errorf("UpdateOrg left Version = %d, want 2", o.Version)
	}
	if o.UpdatedAt.IsZero() || !o.UpdatedAt.Equal(micro(o.UpdatedAt)) {
		t.Errorf("UpdateOrg set UpdatedAt = %v, want the store's clock in microseconds", o.UpdatedAt)
	}
	got, err := f.s.Orgs().GetOrg(f.ctx, o.ID)
	must(t, "GetOrg", err)
	diff(t, "GetOrg after UpdateOrg", o, got)
	if _, err := f.s.Orgs().FindOrgByDomain(f.ctx, stale.Domains[0].Name); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("FindOrgByDomain(removed domain) error = %v, want not found", err)
	}

	wantStale(t, "UpdateOrg with a stale version", f.s.Orgs().UpdateOrg(f.ctx, &stale))

	missing := *o
	missing.ID = newID()
	wantCode(t, "UpdateOrg(unknown)", f.s.Orgs().UpdateOrg(f.ctx, &missing), directory.CodeNotFound, "")

	// Verifying a domain another organization verified fails and changes
	// nothing.
	before := *got
	got.Domains = append(got.Domains, directory.Domain{Name: other.Domains[0].Name, Verified: true, VerifiedBy: directory.VerifiedByDNS})
	wantCode(t, "UpdateOrg taking a domain", f.s.Orgs().UpdateOrg(f.ctx, got), directory.CodeConflict, "domain")
	after, err := f.s.Orgs().GetOrg(f.ctx, o.ID)
	must(t, "GetOrg", err)
	diff(t, "organization after a failed update", &before, after)

	// A taken slug is a conflict too.
	after.Slug = other.Slug
	wantCode(t, "UpdateOrg taking a slug", f.s.Orgs().UpdateOrg(f.ctx, after), directory.CodeConflict, "slug")
}
