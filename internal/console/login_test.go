package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

func TestRootSendsToLoginOrHome(t *testing.T) {
	e := consoletest.New(t)
	if r := e.Anonymous().Get("/"); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Errorf("anonymous: %d to %q", r.Status, r.Location())
	}
	if r := e.SignIn("user").Get("/"); r.Status != http.StatusSeeOther || r.Location() != "/home" {
		t.Errorf("signed in: %d to %q", r.Status, r.Location())
	}
	r := e.Anonymous().Get("/home")
	if r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Fhome" {
		t.Errorf("home, anonymous: %d to %q", r.Status, r.Location())
	}
}

func TestLoginPageIsAFormWithTheConsolesHeaders(t *testing.T) {
	e := consoletest.New(t)
	c := e.Anonymous()
	r := c.Get("/login")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if rp := r.Header.Get("Referrer-Policy"); rp != "same-origin" {
		// With no-referrer, browsers post forms with "Origin: null".
		t.Errorf("Referrer-Policy %q", rp)
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
		t.Errorf("inline script or style: CSP %q", csp)
	}
	token := c.CSRF()
	if !strings.Contains(r.Body, `name="csrf_token" value="`+token+`"`) || !strings.Contains(r.Body, `"X-CSRF-Token": "`+token+`"`) {
		t.Errorf("the page does not carry the CSRF token %q:\n%s", token, r.Body)
	}
	ck := r.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Errorf("CSRF cookie %q", ck)
	}
	for _, want := range []string{`name="email"`, `name="password"`, `href="/forgot-password"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestLogin(t *testing.T) {
	e := consoletest.New(t)
	bad := "The email or the password is wrong."
	cases := []struct {
		name, path, email, password string
		want                        int
	}{
		{"the right password", "/login", "user@acme.example", consoletest.Password, http.StatusSeeOther},
		{"the right password on the org's page", "/o/acme/login", "user@acme.example", consoletest.Password, http.StatusSeeOther},
		{"a wrong password", "/login", "user@acme.example", "nope-nope-nope", http.StatusUnauthorized},
		{"an unknown email", "/login", "nobody@acme.example", consoletest.Password, http.StatusUnauthorized},
		{"an email of a domain nobody verified", "/login", "user@elsewhere.example", consoletest.Password, http.StatusUnauthorized},
		{"another org's user on this org's page", "/o/acme/login", "admin@globex.example", consoletest.Password, http.StatusUnauthorized},
		{"an empty form", "/login", "", "", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.Anonymous()
			r := c.Post(tc.path, url.Values{"email": {tc.email}, "password": {tc.password}})
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d\n%s", r.Status, tc.want, r.Body)
			}
			if tc.want == http.StatusSeeOther {
				if r.Location() != "/home" || c.Session() == "" {
					t.Fatalf("to %q, session %q", r.Location(), c.Session())
				}
				home := c.Get("/home")
				if home.Status != http.StatusOK || !strings.Contains(home.Body, "Signed in as <strong>user@acme.example</strong>") {
					t.Errorf("home: %d\n%s", home.Status, home.Body)
				}
				return
			}
			if !strings.Contains(r.Body, bad) || c.Session() != "" {
				t.Errorf("refusal does not read %q, or a session was given\n%s", bad, r.Body)
			}
		})
	}
}

func TestLoginOfAnUnknownOrgPageIsNotFound(t *testing.T) {
	e := consoletest.New(t)
	r := e.Anonymous().Get("/o/nope/login")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestLoginGoesBackToTheAskedPageOnSiteOnly(t *testing.T) {
	e := consoletest.New(t)
	for next, want := range map[string]string{"/home?x=1": "/home?x=1", "//evil.example/x": "/home", "https://evil.example": "/home"} {
		c := e.Anonymous()
		r := c.Post("/login", url.Values{"email": {"user@acme.example"}, "password": {consoletest.Password}, "next": {next}})
		if r.Location() != want {
			t.Errorf("next %q: to %q, want %q", next, r.Location(), want)
		}
	}
}

func TestLoginRefusesFormsWithoutTheirToken(t *testing.T) {
	e := consoletest.New(t)
	form := url.Values{"email": {"user@acme.example"}, "password": {consoletest.Password}}
	cases := map[string]func(c *consoletest.Client) *consoletest.Response{
		"no token": func(c *consoletest.Client) *consoletest.Response { c.CSRF(); return c.PostRaw("/login", form) },
		"a wrong token": func(c *consoletest.Client) *consoletest.Response {
			c.CSRF()
			f := url.Values{"csrf_token": {"WRONGWRONGWRONGWRONGWRONG"}}
			for k, v := range form {
				f[k] = v
			}
			return c.PostRaw("/login", f)
		},
		"a token but no cookie": func(c *consoletest.Client) *consoletest.Response {
			f := url.Values{"csrf_token": {"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}
			for k, v := range form {
				f[k] = v
			}
			return c.PostRaw("/login", f)
		},
		"another site's origin": func(c *consoletest.Client) *consoletest.Response {
			f := url.Values{"csrf_token": {c.CSRF()}}
			for k, v := range form {
				f[k] = v
			}
			req, _ := http.NewRequestWithContext(e.Ctx, http.MethodPost, e.URL+"/login", strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			return c.Do(req)
		},
	}
	for name, post := range cases {
		t.Run(name, func(t *testing.T) {
			c := e.Anonymous()
			r := post(c)
			if r.Status != http.StatusForbidden || c.Session() != "" {
				t.Fatalf("status %d, session %q\n%s", r.Status, c.Session(), r.Body)
			}
		})
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	token := c.Session()
	if r := c.PostRaw("/logout", url.Values{}); r.Status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", r.Status)
	}
	r := c.Post("/logout", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("logout: %d to %q", r.Status, r.Location())
	}
	if _, _, err := e.Auth.Authenticate(e.Ctx, token); err == nil {
		t.Error("the session still works after logout")
	}
	if r := c.Get("/login"); !strings.Contains(r.Body, "You are signed out.") {
		t.Errorf("no flash after logout:\n%s", r.Body)
	}
	if r := c.Get("/home"); r.Status != http.StatusSeeOther {
		t.Errorf("home after logout: %d", r.Status)
	}
}

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
var recoveryRE = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)

func TestFirstLoginEnrolsTOTPThenLoginsAskForACode(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAPolicy = directory.MFARequired })
	c := e.Anonymous()
	form := url.Values{"email": {"user@acme.example"}, "password": {consoletest.Password}}
	r := c.Post("/login", form)
	if r.Status != http.StatusSeeOther || r.Location() != "/login/enrol" {
		t.Fatalf("login: %d to %q", r.Status, r.Location())
	}
	if r := c.Get("/home"); r.Location() != "/login/enrol" {
		t.Fatalf("home before enrolment: %d to %q", r.Status, r.Location())
	}
	page := c.Get("/login/enrol")
	m := secretRE.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil || !strings.Contains(page.Body, `src="data:image/png;base64,`) {
		t.Fatalf("enrolment page: %d\n%s", page.Status, page.Body)
	}
	secret := m[1]
	uri := regexp.MustCompile(`name="uri" value="([^"]+)"`).FindStringSubmatch(page.Body)[1]

	r = c.Post("/login/enrol", url.Values{"code": {"000000"}, "uri": {strings.ReplaceAll(uri, "&amp;", "&")}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "the code does not match") || !strings.Contains(r.Body, secret) {
		t.Fatalf("wrong code: %d\n%s", r.Status, r.Body)
	}
	code, err := auth.CodeFor(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := c.PostRaw("/login/enrol", url.Values{"code": {code}}); r.Status != http.StatusForbidden {
		t.Fatalf("enrol without CSRF token: %d", r.Status)
	}
	r = c.Post("/login/enrol", url.Values{"code": {code}})
	codes := recoveryRE.FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("confirm: %d, %d recovery codes\n%s", r.Status, len(codes), r.Body)
	}
	if r := c.Get("/home"); r.Status != http.StatusOK {
		t.Fatalf("home after enrolment: %d", r.Status)
	}

	// The next login asks for a code: a wrong one, then the next step's.
	c = e.Anonymous()
	if r := c.Post("/login", form); r.Location() != "/login/code" {
		t.Fatalf("second login to %q", r.Location())
	}
	if r := c.Post("/login/code", url.Values{"code": {"000000"}}); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "This code is not valid") {
		t.Fatalf("wrong code: %d\n%s", r.Status, r.Body)
	}
	if r := c.Post("/login/code", url.Values{"code": {code}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a spent code: %d", r.Status)
	}
	e.Clock.Add(30 * time.Second)
	next, _ := auth.CodeFor(secret, e.Clock.Now())
	if r := c.Post("/login/code", url.Values{"code": {next}}); r.Status != http.StatusSeeOther || r.Location() != "/home" {
		t.Fatalf("code: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}

	// A recovery code works once.
	c = e.Anonymous()
	c.Post("/login", form)
	if r := c.Post("/login/code", url.Values{"recovery_code": {codes[0][1]}}); r.Location() != "/home" {
		t.Fatalf("recovery code: %d to %q", r.Status, r.Location())
	}
	c = e.Anonymous()
	c.Post("/login", form)
	if r := c.Post("/login/code", url.Values{"recovery_code": {codes[0][1]}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a used recovery code: %d", r.Status)
	}
}

func TestNotFoundIsAnHTMLPage(t *testing.T) {
	e := consoletest.New(t)
	r := e.Anonymous().Get("/no/such/page")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "there is no page at /no/such/page") {
		t.Fatalf("%d\n%s", r.Status, r.Body)
	}
	if a := e.Anonymous().Get("/static/htmx/htmx.min.js"); a.Status != http.StatusOK || !strings.Contains(a.Header.Get("Content-Type"), "javascript") {
		t.Errorf("htmx: %d %s", a.Status, a.Header.Get("Content-Type"))
	}
	if a := e.Anonymous().Get("/static/"); a.Status != http.StatusNotFound {
		t.Errorf("asset listing: %d", a.Status)
	}
	if a := e.Anonymous().Get("/api/v1/me"); a.Status != http.StatusUnauthorized || !strings.Contains(a.Header.Get("Content-Type"), "json") {
		t.Errorf("the API is still the API: %d %s", a.Status, a.Header.Get("Content-Type"))
	}
}

func TestLoginPageOffersSSOWhenTheOrgHasIt(t *testing.T) {
	withSSO := consoletest.WithConsole(func(c *console.Config) { c.SSO = true })
	e := consoletest.New(t, withSSO)
	button := `href="/api/v1/auth/sso/acme/start"`
	if r := e.Anonymous().Get("/o/acme/login"); strings.Contains(r.Body, button) {
		t.Errorf("SSO offered without OIDC settings")
	}
	_, err := e.Svc.PutOIDC(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, &directory.OIDCSettings{
		OrgID: e.Acme.ID, Issuer: "https://idp.example", ClientID: "roster", ClientSecret: "sealed", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Anonymous().Get("/o/acme/login"); !strings.Contains(r.Body, button) {
		t.Errorf("no SSO button on the org's page:\n%s", r.Body)
	}
	if r := e.Anonymous().Get("/o/globex/login"); strings.Contains(r.Body, "single sign-on") {
		t.Errorf("another org's page offers SSO")
	}
	if r := e.Anonymous().Get("/login"); strings.Contains(r.Body, "/api/v1/auth/sso/") || !strings.Contains(r.Body, `action="/login/sso"`) {
		t.Errorf("/login names an organization's SSO, or has no discovery form")
	}
	// /login finds the organization by the email's verified domain and
	// sends the browser to its page, which offers its provider.
	c := e.Anonymous()
	r := c.Post("/login/sso", url.Values{"email": {"someone@acme.example"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/o/acme/login?email=someone%40acme.example" {
		t.Fatalf("discovery: %d to %q", r.Status, r.Location())
	}
	if page := c.Get(r.Location()); !strings.Contains(page.Body, button) || !strings.Contains(page.Body, `value="someone@acme.example"`) {
		t.Errorf("the org page after discovery:\n%s", page.Body)
	}
	for email, want := range map[string]string{
		"someone@globex.example":    "Single sign-on is not set up for globex.example",
		"someone@elsewhere.example": "Single sign-on is not set up for elsewhere.example",
		"not an email":              "Type your work email address.",
	} {
		r := c.Post("/login/sso", url.Values{"email": {email}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("%s: %d\n%s", email, r.Status, r.Body)
		}
	}
	if r := c.PostRaw("/login/sso", url.Values{"email": {"someone@acme.example"}}); r.Status != http.StatusForbidden {
		t.Errorf("discovery without the CSRF token: %d", r.Status)
	}
	// A server without single sign-on offers none.
	off := consoletest.New(t)
	if _, err := off.Svc.PutOIDC(off.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, &directory.OIDCSettings{
		OrgID: off.Acme.ID, Issuer: "https://idp.example", ClientID: "roster", ClientSecret: "sealed", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if r := off.Anonymous().Get("/o/acme/login"); strings.Contains(r.Body, button) {
		t.Errorf("SSO offered while the server runs none")
	}
	if r := off.Anonymous().Get("/login"); strings.Contains(r.Body, "/login/sso") {
		t.Errorf("SSO discovery offered while the server runs none")
	}
	if r := off.Anonymous().Post("/login/sso", url.Values{"email": {"someone@acme.example"}}); r.Status != http.StatusNotFound {
		t.Errorf("discovery while the server runs no SSO: %d", r.Status)
	}
}

func TestWrongPasswordsLockTheAccountAtTheThreshold(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.LockoutThreshold = 3 })
	c := e.Anonymous()
	for i := range 3 {
		if r := c.Post("/o/acme/login", url.Values{"email": {"user@acme.example"}, "password": {"wrong-wrong-wrong"}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	u, err := e.Svc.GetUser(e.Ctx, e.Acme.ID, e.Users["user"].ID)
	if err != nil || u.Status != directory.StatusLocked {
		t.Fatalf("after 3 wrong passwords the user is %s (%v)", u.Status, err)
	}
	if e.Mail.Count("user@acme.example") != 1 {
		t.Errorf("%d lockout emails", e.Mail.Count("user@acme.example"))
	}
	// The right password now fails exactly like a wrong one.
	r := c.Post("/o/acme/login", url.Values{"email": {"user@acme.example"}, "password": {consoletest.Password}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "The email or the password is wrong.") || c.Session() != "" {
		t.Errorf("a locked user's right password: %d\n%s", r.Status, r.Body)
	}
}

func TestAPendingLoginCanBeCancelled(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAPolicy = directory.MFARequired })
	c := e.Anonymous()
	c.Post("/login", url.Values{"email": {"user@acme.example"}, "password": {consoletest.Password}})
	page := c.Get("/login/enrol")
	if !strings.Contains(page.Body, "Cancel and sign out") {
		t.Fatalf("no way out of the enrolment:\n%s", page.Body)
	}
	if r := c.Get("/account"); r.Status != http.StatusSeeOther || r.Location() != "/login/enrol" {
		t.Errorf("My account before enrolling: %d to %q", r.Status, r.Location())
	}
	if r := c.Post("/logout", nil); r.Location() != "/login" {
		t.Fatalf("cancel: %d to %q", r.Status, r.Location())
	}
	if r := c.Get("/login/enrol"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login") {
		t.Errorf("enrolment after cancelling: %d to %q", r.Status, r.Location())
	}
}
