package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

func securityForm(mods map[string]string) url.Values {
	f := url.Values{"mfaPolicy": {"required"}, "lockoutThreshold": {"5"}, "inactivityDays": {"30"},
		"passwordPolicy.minLength": {"14"}, "passwordPolicy.requireDigit": {"on"},
		"mfaFactors": {"totp", "sms"}, "phoneRegion": {"gb "}}
	for k, v := range mods {
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
	}
	return f
}

func TestSecurityCenterSavesTheSettings(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.RoleMappings = []directory.RoleMapping{{Value: "Admin", Role: directory.RoleOrgAdmin}}
	})
	c := e.SignIn("org_admin")
	viewerClient := e.SignIn("org_viewer") // before MFA is required
	expect(t, "page", c.Get("/org/security"), 200, `name="lockoutThreshold"`, `value="10"`, `id="save-security"`)
	r := c.Post("/org/security", securityForm(nil))
	if r.Status != http.StatusSeeOther || r.Location() != "/org/security" {
		t.Fatalf("save: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	org, _ := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	want := directory.PasswordPolicy{MinLength: 14, RequireDigit: true}
	s := org.Settings
	if s.MFAPolicy != directory.MFARequired || s.LockoutThreshold != 5 || s.InactivityDays != 30 || s.PasswordPolicy != want {
		t.Fatalf("settings: %+v", s)
	}
	if len(s.RoleMappings) != 1 {
		t.Errorf("saving the Security Center dropped the role mappings: %+v", s.RoleMappings)
	}
	if len(s.MFAFactors) != 2 || !s.Allows(directory.FactorTOTP) || !s.Allows(directory.FactorSMS) || s.PhoneRegion != "GB" {
		t.Fatalf("factors %v, region %q", s.MFAFactors, s.PhoneRegion)
	}
	expect(t, "after", c.Get("/org/security"), 200, "Security settings saved.", `value="required" selected`, `value="14"`,
		`value="totp" checked`, `value="sms" checked`, `value="passkey">`, `value="GB"`)
	page, _ := e.Svc.ListAudit(e.Ctx, e.Acme.ID, directory.AuditQuery{Action: "org.update", Limit: 5})
	if len(page.Events) == 0 || page.Events[0].ActorID != e.Users["org_admin"].ID {
		t.Fatalf("the change is not audited as the admin's: %+v", page.Events)
	}

	viewer := viewerClient.Get("/org/security")
	expect(t, "viewer", viewer, 200, "<fieldset disabled>")
	if strings.Contains(viewer.Body, `id="save-security"`) {
		t.Errorf("the view-only admin sees the save button")
	}
}

func TestSecurityCenterShowsValidationMessages(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	cases := []struct {
		mods map[string]string
		want string
	}{
		{map[string]string{"lockoutThreshold": "0"}, "lockoutThreshold must be between 1 and 100"},
		{map[string]string{"lockoutThreshold": "ten"}, "enter a whole number"},
		{map[string]string{"inactivityDays": "99999"}, "inactivityDays must be between 1 and 3650"},
		{map[string]string{"passwordPolicy.minLength": "4"}, "passwordPolicy.minLength must be between 8 and 128"},
		{map[string]string{"mfaPolicy": "sometimes"}, "mfaPolicy must be off, optional or required"},
		{map[string]string{"inactivityDays": ""}, "enter a whole number"},
		{map[string]string{"mfaFactors": ""}, "mfaFactors must allow at least one of totp, sms, passkey"},
		{map[string]string{"mfaFactors": "email"}, "factor &#34;email&#34; is not one of totp, sms, passkey"},
		{map[string]string{"phoneRegion": "Narnia"}, "phoneRegion must be empty or an ISO 3166 region"},
	}
	for _, tc := range cases {
		r := c.Post("/org/security", securityForm(tc.mods))
		expect(t, tc.want, r, http.StatusUnprocessableEntity, tc.want, `aria-invalid="true"`)
	}
	// The form shows what was typed, not what is stored.
	expect(t, "kept", c.Post("/org/security", securityForm(map[string]string{"lockoutThreshold": "0", "inactivityDays": "77"})), 422, `value="77"`)
	org, _ := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if def := directory.DefaultOrgSettings(); org.Settings.LockoutThreshold != def.LockoutThreshold ||
		org.Settings.InactivityDays != def.InactivityDays || org.Settings.PasswordPolicy != def.PasswordPolicy || org.Settings.MFAPolicy != def.MFAPolicy ||
		len(org.Settings.MFAFactors) != 1 || org.Settings.PhoneRegion != "" {
		t.Errorf("a refused form changed the settings: %+v", org.Settings)
	}
}

func TestSecurityCenterSetsSingleSignOn(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	expect(t, "bad issuer", c.Post("/org/sso", url.Values{"issuer": {"ftp://x"}, "clientId": {"roster"}, "clientSecret": {"s3cret"}}),
		422, "issuer must be an https URL")
	expect(t, "no secret", c.Post("/org/sso", url.Values{"issuer": {"https://login.example.com"}, "clientId": {"roster"}}),
		422, "clientSecret is required", `value="https://login.example.com"`)
	r := c.Post("/org/sso", url.Values{"issuer": {"https://login.example.com/"}, "clientId": {"roster"}, "clientSecret": {"s3cret-value"}, "enabled": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	s, err := e.Svc.GetOIDC(e.Ctx, e.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Issuer != "https://login.example.com" || s.ClientID != "roster" || !s.Enabled || s.ClientSecret == "" || strings.Contains(s.ClientSecret, "s3cret-value") {
		t.Fatalf("stored settings: issuer %q client %q enabled %v, secret sealed: %v", s.Issuer, s.ClientID, s.Enabled, !strings.Contains(s.ClientSecret, "s3cret-value"))
	}
	page := c.Get("/org/security")
	expect(t, "page", page, 200, "(set; leave empty to keep it)", `action="/org/sso/remove"`)
	if strings.Contains(page.Body, "s3cret-value") {
		t.Fatal("the page shows the client secret")
	}
	// An empty secret keeps the stored one.
	if r := c.Post("/org/sso", url.Values{"issuer": {"https://login.example.com"}, "clientId": {"roster2"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save without secret: %d\n%s", r.Status, r.Body)
	}
	s2, _ := e.Svc.GetOIDC(e.Ctx, e.Acme.ID)
	if s2.ClientSecret != s.ClientSecret || s2.ClientID != "roster2" || s2.Enabled {
		t.Fatalf("after a save without secret: %+v", s2)
	}
	if r := c.Post("/org/sso/remove", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", r.Status, r.Body)
	}
	if _, err := e.Svc.GetOIDC(e.Ctx, e.Acme.ID); !directory.IsCode(err, directory.CodeNotFound) {
		t.Fatalf("after remove: %v", err)
	}
	if _, err := e.Svc.GetOIDC(e.Ctx, e.Globex.ID); !directory.IsCode(err, directory.CodeNotFound) {
		t.Fatalf("globex got acme's single sign-on: %v", err)
	}
}
