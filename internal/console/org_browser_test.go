package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// browserSignIn signs the browser in as the env's user of that role and
// waits for the home page.
func browserSignIn(b *consoletest.Browser, e *consoletest.Env, role string) {
	b.Step("sign-in",
		chromedp.Navigate(b.URL("/login")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), e.Users[role].UserName),
		chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav form[action="/logout"]`)), // only a signed-in page has it
	)
}

// TestBrowserSecurityCenterChangesTheSettings changes the MFA policy, the
// lockout threshold and the password policy in the Security Center.
func TestBrowserSecurityCenterChangesTheSettings(t *testing.T) {
	e := consoletest.New(t)
	b := e.Browser()
	browserSignIn(b, e, "org_admin")
	b.Step("security-center",
		chromedp.Click(chromedp.CSS(`nav a[href="/org/security"]`)),
		chromedp.WaitVisible(chromedp.CSS("#save-security")),
	)
	b.Step("change",
		chromedp.SetValue(chromedp.CSS("#mfaPolicy"), "optional"),
		chromedp.SetValue(chromedp.CSS("#lockoutThreshold"), "5"),
		chromedp.SetValue(chromedp.CSS("#minLength"), "16"),
		chromedp.Click(chromedp.CSS(`input[name="passwordPolicy.requireSymbol"]`)),
	)
	b.Step("saved",
		chromedp.Click(chromedp.CSS("#save-security")),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)
	if got := b.Text(`p[role="status"]`); got != "Security settings saved." {
		t.Fatalf("flash %q", got)
	}
	org, err := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := org.Settings
	if s.MFAPolicy != directory.MFAOptional || s.LockoutThreshold != 5 || s.PasswordPolicy.MinLength != 16 || !s.PasswordPolicy.RequireSymbol {
		t.Fatalf("settings after the save: %+v", s)
	}
	if v := b.Value("#lockoutThreshold"); v != "5" {
		t.Errorf("the page shows lockout %q after the save", v)
	}
}

// TestBrowserSCIMTokenIsShownOnceThenRevoked creates a SCIM token, uses
// it, revokes it, and sees /scim/v2 refuse it.
func TestBrowserSCIMTokenIsShownOnceThenRevoked(t *testing.T) {
	e := consoletest.New(t)
	b := e.Browser()
	browserSignIn(b, e, "org_admin")
	b.Step("tokens",
		chromedp.Navigate(b.URL("/org/scim-tokens")),
		chromedp.WaitVisible(chromedp.CSS("#create-token")),
	)
	b.Step("created",
		chromedp.SendKeys(chromedp.CSS("#name"), "Entra provisioning"),
		chromedp.Click(chromedp.CSS("#create-token")),
		chromedp.WaitVisible(chromedp.CSS("#token-secret")),
	)
	secret := b.Text("#token-secret")
	if !strings.HasPrefix(secret, "rst_") {
		t.Fatalf("token shown: %q", secret)
	}
	if got := scimGet(t, e, secret); got != 200 {
		t.Fatalf("SCIM with the new token: %d", got)
	}
	b.Step("shown-once",
		chromedp.Navigate(b.URL("/org/scim-tokens")),
		chromedp.WaitVisible(chromedp.CSS("#create-token")),
	)
	if n := b.Count("#token-secret"); n != 0 {
		t.Fatal("the token is shown again")
	}
	if row := b.Text("tbody tr"); !strings.Contains(row, "Entra provisioning") || strings.Contains(row, "never") {
		t.Errorf("the token's row (with its last use) reads %q", row)
	}
	b.Step("revoked",
		chromedp.Click(chromedp.CSS(`tbody form[action$="/revoke"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)
	if row := b.Text("tbody tr"); !strings.Contains(row, "revoked") {
		t.Errorf("the row after revoking reads %q", row)
	}
	e.Clock.Add(2 * time.Second) // the SCIM endpoint trusts a token it checked for a second
	if got := scimGet(t, e, secret); got != 401 {
		t.Fatalf("SCIM with the revoked token: %d", got)
	}
}

// TestBrowserConnectorDryRunThenRunAgainstSlapd creates an LDAP connector
// from its form against a real slapd, tests it, dry runs it (the plan
// lists the directory's people), then runs it.
func TestBrowserConnectorDryRunThenRunAgainstSlapd(t *testing.T) {
	ldaptest.RequireSlapd(t)
	srv := ldaptest.StartSlapd(t, ldapSeed())
	e := consoletest.New(t, consoletest.WithConnectors(ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...))
	b := e.Browser()
	browserSignIn(b, e, "org_admin")
	b.Step("connectors",
		chromedp.Click(chromedp.CSS(`nav a[href="/org/connectors"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/org/connectors/new?kind=ldap"]`)),
	)
	b.Step("ldap-form",
		chromedp.Click(chromedp.CSS(`a[href="/org/connectors/new?kind=ldap"]`)),
		chromedp.WaitVisible(chromedp.CSS("#connector-form")),
	)
	b.Step("filled",
		chromedp.SendKeys(chromedp.CSS("#name"), "Corp LDAP"),
		chromedp.SendKeys(chromedp.CSS("#s-url"), srv.URL),
		chromedp.SendKeys(chromedp.CSS("#s-bindDn"), ldaptest.BindDN),
		chromedp.SendKeys(chromedp.CSS("#s-userBaseDn"), "ou=people,"+ldaptest.BaseDN),
		chromedp.SendKeys(chromedp.CSS("#s-groupBaseDn"), "ou=groups,"+ldaptest.BaseDN),
		chromedp.Click(chromedp.CSS("#s-allowInsecure")),
		chromedp.SendKeys(chromedp.CSS("#secret-bindPassword"), ldaptest.BindPassword),
	)
	b.Step("created",
		chromedp.Click(chromedp.CSS(`#connector-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#test-connector")),
	)
	b.Step("tested",
		chromedp.Click(chromedp.CSS("#test-connector")),
		chromedp.WaitVisible(chromedp.CSS("#check-result")),
	)
	if got := b.Text("#check-result"); !strings.Contains(got, "The directory answered") {
		t.Fatalf("test: %q", got)
	}
	b.Step("dry-run-plan",
		chromedp.Click(chromedp.CSS("#dry-run")),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-status="succeeded"] #run-plan`)),
	)
	plan := b.Text("#run-plan")
	for i := range 4 {
		if want := "u" + string(rune('0'+i)) + "@example.org"; !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %s:\n%s", want, plan)
		}
	}
	if n := countSynced(t, e); n != 0 {
		t.Fatalf("the dry run created %d users", n)
	}
	b.Step("run",
		chromedp.Click(chromedp.CSS(`main p a[href^="/org/connectors/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#run-now")),
		chromedp.Click(chromedp.CSS("#run-now")),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-status="succeeded"] #run-counts`)),
	)
	if got := b.Text("#run-counts"); !strings.Contains(got, "create") || !strings.Contains(got, "4") {
		t.Errorf("the run's counts read %q", got)
	}
	if n := countSynced(t, e); n != 4 {
		t.Fatalf("the run created %d users, want 4", n)
	}
	b.Step("history",
		chromedp.Click(chromedp.CSS(`main p a[href^="/org/connectors/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
	)
	if got := b.Text("#runs tbody"); !strings.Contains(got, "dry run") || !strings.Contains(got, "manual") {
		t.Errorf("history reads %q", got)
	}
}

// ldapSeed is four people and a group.
func ldapSeed() string {
	var b strings.Builder
	for i := range 4 {
		d := string(rune('0' + i))
		b.WriteString("dn: uid=u" + d + ",ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: u" + d +
			"\ncn: User " + d + "\nsn: Number" + d + "\ngivenName: User\nmail: u" + d + "@example.org\n" +
			"entryUUID: 0c0c0c0c-0000-4000-8000-00000000000" + d + "\nmodifyTimestamp: 20200101000000Z\n\n")
	}
	b.WriteString("dn: cn=engineering,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: engineering\n" +
		"member: uid=u0,ou=people,dc=example,dc=org\n\n")
	return b.String()
}

// countSynced counts acme's users that came from LDAP.
func countSynced(t *testing.T, e *consoletest.Env) int {
	t.Helper()
	page, err := e.Svc.ListUsers(e.Ctx, e.Acme.ID, directory.UserQuery{
		Filter: directory.Eq(directory.UserSource, string(directory.SourceLDAP)), Limit: 100, CountTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}
