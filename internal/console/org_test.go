package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// fakeDNS answers TXT lookups from a map, as a DNS server would.
type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	return f[name], nil
}

// expect fails the test unless r has status and, when want is set, a body
// that holds each of want.
func expect(t *testing.T, what string, r *consoletest.Response, status int, want ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, status, r.Body)
	}
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Errorf("%s: the page lacks %q\n%s", what, w, r.Body)
		}
	}
}

func TestOrgPagesFollowTheRoles(t *testing.T) {
	e := consoletest.New(t)
	for _, path := range []string{"/org", "/org/security", "/org/scim-tokens", "/audit", "/audit.csv"} {
		for role, status := range map[string]int{"org_admin": 200, "org_viewer": 200, "billing_admin": 403, "user": 403} {
			r := e.SignIn(role).Get(path)
			if r.Status != status {
				t.Errorf("GET %s as %s: %d, want %d", path, role, r.Status, status)
			}
		}
		if r := e.Anonymous().Get(path); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login?next=") {
			t.Errorf("GET %s anonymous: %d to %q", path, r.Status, r.Location())
		}
	}
	admin := e.SignIn("org_admin").Get("/org")
	viewer := e.SignIn("org_viewer").Get("/org")
	for _, form := range []string{`action="/org/domains"`, `action="/org/properties"`} {
		if !strings.Contains(admin.Body, form) {
			t.Errorf("the admin's page lacks the form %s", form)
		}
		if strings.Contains(viewer.Body, form) {
			t.Errorf("the view-only admin's page shows the form %s", form)
		}
	}
	if !strings.Contains(admin.Body, e.URL+"/o/acme/login") {
		t.Errorf("the org page does not show its sign-in URL")
	}
}

func TestOrgWritesRefuseViewersAndFormsWithoutCSRF(t *testing.T) {
	e := consoletest.New(t)
	writes := map[string]url.Values{
		"/org/domains":                     {"domain": {"new.example"}},
		"/org/domains/acme.example/verify": nil,
		"/org/properties":                  {"key": {"costCenter"}, "type": {"string"}},
		"/org/security":                    {"mfaPolicy": {"required"}, "mfaFactors": {"totp"}, "lockoutThreshold": {"5"}, "inactivityDays": {"30"}, "passwordPolicy.minLength": {"12"}},
		"/org/sso":                         {"issuer": {"https://login.example.com"}, "clientId": {"x"}, "clientSecret": {"s"}},
		"/org/scim-tokens":                 {"name": {"idp"}},
	}
	for path, form := range writes {
		if r := e.SignIn("org_viewer").Post(path, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s as viewer: %d", path, r.Status)
		}
		if r := e.SignIn("billing_admin").Post(path, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s as billing admin: %d", path, r.Status)
		}
		if r := e.SignIn("org_admin").PostRaw(path, form); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "reload the page") {
			t.Errorf("POST %s without the CSRF token: %d", path, r.Status)
		}
	}
	org, err := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(org.Domains) != 1 || len(org.UserProperties) != 0 || org.Settings.MFAPolicy == directory.MFARequired {
		t.Errorf("a refused write changed the org: %+v", org)
	}
	if tokens, _ := e.Svc.ListTokens(e.Ctx, e.Acme.ID); len(tokens) != 0 {
		t.Errorf("a refused write made %d tokens", len(tokens))
	}
}

func TestDomainsAddVerifyMakePrimaryRemove(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	expect(t, "bad domain", c.Post("/org/domains", url.Values{"domain": {"not a domain"}}), 422, "is not a domain name", `value="not a domain"`)
	r := c.Post("/org/domains", url.Values{"domain": {"Sales.Acme.example"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/org" {
		t.Fatalf("add: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	org, _ := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	d, ok := org.Domain("sales.acme.example")
	if !ok || d.Verified {
		t.Fatalf("domain after add: %+v %v", d, ok)
	}
	expect(t, "org page", c.Get("/org"), 200, "sales.acme.example", d.VerificationRecord(), "Domain sales.acme.example added")

	// No TXT record yet: the check fails and says so on the page.
	e.Svc.UseResolver(fakeDNS{})
	r = c.Post("/org/domains/sales.acme.example/verify", nil)
	if r.Status != 422 || !strings.Contains(r.Body, "sales.acme.example:") {
		t.Fatalf("verify without the record: %d\n%s", r.Status, r.Body)
	}

	e.Svc.UseResolver(fakeDNS{"sales.acme.example": {"v=spf1 -all", d.VerificationRecord()}})
	if r := c.Post("/org/domains/sales.acme.example/verify", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("verify: %d\n%s", r.Status, r.Body)
	}
	if r := c.Post("/org/domains/sales.acme.example/primary", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("primary: %d\n%s", r.Status, r.Body)
	}
	org, _ = e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if d, _ := org.Domain("sales.acme.example"); !d.Verified || !d.Primary || d.VerifiedBy != directory.VerifiedByDNS {
		t.Fatalf("domain after verify and primary: %+v", d)
	}
	if r := c.Post("/org/domains/acme.example/remove", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", r.Status, r.Body)
	}
	org, _ = e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if len(org.Domains) != 1 || org.Domains[0].Name != "sales.acme.example" {
		t.Fatalf("domains after remove: %+v", org.Domains)
	}

	// Another organization's domain is not acme's to touch.
	for _, action := range []string{"verify", "primary", "remove"} {
		if r := c.Post("/org/domains/globex.example/"+action, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s globex's domain: %d\n%s", action, r.Status, r.Body)
		}
	}
	page, err := e.Svc.ListAudit(e.Ctx, e.Acme.ID, directory.AuditQuery{Action: "org.", Limit: 50})
	if err != nil || len(page.Events) < 4 {
		t.Fatalf("audit of the domain changes: %v, %d events", err, len(page.Events))
	}
	if page.Events[0].ActorID != e.Users["org_admin"].ID {
		t.Errorf("the audit names %q, not the admin", page.Events[0].ActorID)
	}
}

func TestCustomPropertiesDefineAndRemove(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	r := c.Post("/org/properties", url.Values{"key": {"costCenter"}, "label": {"Cost center"}, "type": {"number"}, "required": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("define: %d\n%s", r.Status, r.Body)
	}
	org, _ := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if len(org.UserProperties) != 1 || org.UserProperties[0] != (directory.PropertyDef{Key: "costCenter", Label: "Cost center", Type: directory.PropertyNumber, Required: true}) {
		t.Fatalf("properties: %+v", org.UserProperties)
	}
	expect(t, "list", c.Get("/org"), 200, "<code>costCenter</code>", "Cost center")
	expect(t, "twice", c.Post("/org/properties", url.Values{"key": {"COSTCENTER"}, "type": {"string"}}), 422, "exists already")
	expect(t, "bad key", c.Post("/org/properties", url.Values{"key": {"9lives"}, "type": {"string"}}), 422, "must start with a letter")
	expect(t, "bad type", c.Post("/org/properties", url.Values{"key": {"shoe"}, "type": {"colour"}}), 422, "unknown type")
	expect(t, "remove unknown", c.Post("/org/properties/nope/remove", nil), 404)
	if r := c.Post("/org/properties/costCenter/remove", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", r.Status, r.Body)
	}
	org, _ = e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if len(org.UserProperties) != 0 {
		t.Fatalf("properties after remove: %+v", org.UserProperties)
	}
	globex, _ := e.Svc.GetOrg(e.Ctx, e.Globex.ID)
	if len(globex.UserProperties) != 0 {
		t.Errorf("globex got acme's property")
	}
}
