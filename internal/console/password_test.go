package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

const forgotAnswer = "a link to choose a new password is on its way"

// forgot asks for a reset link to email through the page and waits until
// the console has done with it.
func forgot(e *consoletest.Env, c *consoletest.Client, form url.Values) *consoletest.Response {
	e.T.Helper()
	r := c.Post("/forgot-password", form)
	e.Console.Wait()
	return r
}

func TestForgotPasswordAnswersTheSameWhetherTheAccountExists(t *testing.T) {
	e := consoletest.New(t)
	c := e.Anonymous()
	if r := c.Get("/forgot-password?org=acme"); r.Status != http.StatusOK || !strings.Contains(r.Body, `name="org" value="acme"`) {
		t.Fatalf("page: %d\n%s", r.Status, r.Body)
	}
	cases := []struct {
		name, org, email string
		mailed           bool
	}{
		{"a user of the email's verified domain", "", "user@acme.example", true},
		{"a user on its org's page", "acme", "user@acme.example", true},
		{"an unknown email", "", "nobody@acme.example", false},
		{"an unverified domain", "", "user@elsewhere.example", false},
		{"another org's user on this org's page", "acme", "admin@globex.example", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Mail.Count(tc.email)
			r := forgot(e, c, url.Values{"org": {tc.org}, "email": {tc.email}})
			if r.Status != http.StatusOK || !strings.Contains(r.Body, forgotAnswer) {
				t.Fatalf("%d\n%s", r.Status, r.Body)
			}
			if got := e.Mail.Count(tc.email) - before; got != map[bool]int{true: 1, false: 0}[tc.mailed] {
				t.Fatalf("%d emails sent", got)
			}
		})
	}
	if r := forgot(e, c, url.Values{"email": {"not an email"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Type the email address you sign in with.") {
		t.Errorf("a malformed email: %d\n%s", r.Status, r.Body)
	}
	before := e.Mail.Count("user@acme.example")
	r := c.PostRaw("/forgot-password", url.Values{"email": {"user@acme.example"}})
	e.Console.Wait()
	if r.Status != http.StatusForbidden || e.Mail.Count("user@acme.example") != before {
		t.Errorf("without the CSRF token: %d, %d emails", r.Status, e.Mail.Count("user@acme.example")-before)
	}
}

func TestResetLinkSetsThePasswordOnce(t *testing.T) {
	e := consoletest.New(t)
	c := e.Anonymous()
	forgot(e, c, url.Values{"email": {"user@acme.example"}})
	link := e.Mail.Link(t, "user@acme.example")
	if !strings.HasPrefix(link, e.URL+"/reset-password?token=") {
		t.Fatalf("link %s", link)
	}
	path := strings.TrimPrefix(link, e.URL)
	token := strings.TrimPrefix(path, "/reset-password?token=")

	page := c.Get(path)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "user@acme.example") ||
		!strings.Contains(page.Body, "Reset your password") || !strings.Contains(page.Body, "at least 12 characters") {
		t.Fatalf("page: %d\n%s", page.Status, page.Body)
	}
	expires := e.Clock.Now().Add(time.Hour).UTC().Format("2 Jan 2006 15:04 UTC")
	if !strings.Contains(page.Body, expires) {
		t.Errorf("the page does not show the expiry %s", expires)
	}

	newPassword := "A-new-and-long-one-7"
	cases := []struct {
		name, password, confirm, want string
	}{
		{"passwords that differ", newPassword, newPassword + "x", "The two passwords differ."},
		{"a password too short for the policy", "short", "short", "the password needs at least 12 characters (it has 5)"},
		{"an empty password", "", "", "the password needs at least 12 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post("/reset-password", url.Values{"token": {token}, "password": {tc.password}, "confirm": {tc.confirm}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d\n%s", r.Status, r.Body)
			}
		})
	}
	if r := c.PostRaw("/reset-password", url.Values{"token": {token}, "password": {newPassword}, "confirm": {newPassword}}); r.Status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", r.Status)
	}
	r := c.Post("/reset-password", url.Values{"token": {token}, "password": {newPassword}, "confirm": {newPassword}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Your password is set") || !strings.Contains(r.Body, `href="/o/acme/login"`) {
		t.Fatalf("set: %d\n%s", r.Status, r.Body)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", newPassword); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
	for _, try := range []*consoletest.Response{
		c.Get(path),
		c.Post("/reset-password", url.Values{"token": {token}, "password": {newPassword}, "confirm": {newPassword}}),
	} {
		if try.Status != http.StatusNotFound || !strings.Contains(try.Body, "this link is not valid any more") {
			t.Errorf("a used link: %d\n%s", try.Status, try.Body)
		}
	}
}

func TestPasswordLinksThatDoNotWork(t *testing.T) {
	e := consoletest.New(t)
	c := e.Anonymous()
	forgot(e, c, url.Values{"email": {"user@acme.example"}})
	path := strings.TrimPrefix(e.Mail.Link(t, "user@acme.example"), e.URL)
	e.Clock.Add(time.Hour + time.Second)
	for name, p := range map[string]string{
		"expired":           path,
		"unknown":           "/reset-password?token=rsl_nope",
		"not a link token":  "/set-password?token=rss_session",
		"without any token": "/set-password",
	} {
		if r := c.Get(p); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "this link is not valid any more") {
			t.Errorf("%s: %d\n%s", name, r.Status, r.Body)
		}
	}
}

func TestInvitationLinkActivatesAPendingUser(t *testing.T) {
	e := consoletest.New(t)
	u := e.CreateUser(e.Acme, "new@acme.example", directory.RoleUser, "")
	c := e.Anonymous()
	forgot(e, c, url.Values{"org": {"acme"}, "email": {"new@acme.example"}})
	link := e.Mail.Link(t, "new@acme.example")
	if !strings.HasPrefix(link, e.URL+"/set-password?token=") {
		t.Fatalf("a pending user got %s", link)
	}
	path := strings.TrimPrefix(link, e.URL)
	if r := c.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Choose your password") {
		t.Fatalf("page: %d\n%s", r.Status, r.Body)
	}
	token := strings.TrimPrefix(path, "/set-password?token=")
	r := c.Post("/set-password", url.Values{"token": {token}, "password": {"Welcome-aboard-2026"}, "confirm": {"Welcome-aboard-2026"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Your password is set") {
		t.Fatalf("set: %d\n%s", r.Status, r.Body)
	}
	got, err := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID)
	if err != nil || got.Status != directory.StatusActive {
		t.Fatalf("the user is %v (%v)", got.Status, err)
	}
}

func TestPasswordPolicyIsCheckedLive(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.PasswordPolicy.RequireDigit = true })
	c := e.Anonymous()
	forgot(e, c, url.Values{"email": {"user@acme.example"}})
	token := strings.TrimPrefix(e.Mail.Link(t, "user@acme.example"), e.URL+"/reset-password?token=")

	check := func(password string, header bool) *consoletest.Response {
		form := url.Values{"token": {token}, "password": {password}}
		req, _ := http.NewRequestWithContext(e.Ctx, http.MethodPost, e.URL+"/password/check", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		if header {
			req.Header.Set("X-CSRF-Token", c.CSRF())
		}
		return c.Do(req)
	}
	r := check("short", true)
	if r.Status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(r.Body), `<ul id="policy"`) ||
		!strings.Contains(r.Body, `class="rule unmet">✗ at least 12 characters`) || !strings.Contains(r.Body, `class="rule unmet">✗ a digit`) {
		t.Fatalf("short: %d\n%s", r.Status, r.Body)
	}
	r = check("long-enough-without", true)
	if !strings.Contains(r.Body, `class="rule met">✓ at least 12 characters`) || !strings.Contains(r.Body, `class="rule unmet">✗ a digit`) {
		t.Errorf("no digit:\n%s", r.Body)
	}
	r = check("long-enough-with-1", true)
	if strings.Contains(r.Body, "unmet") {
		t.Errorf("all met:\n%s", r.Body)
	}
	if r := check("short", false); r.Status != http.StatusForbidden {
		t.Errorf("without the CSRF header: %d", r.Status)
	}
	if r := c.Post("/password/check", url.Values{"password": {"short"}}); r.Status != http.StatusNotFound {
		t.Errorf("without a link or a session: %d", r.Status)
	}
	// Signed in, the user's own organization's policy.
	s := e.SignIn("user")
	r = s.Post("/password/check", url.Values{"password": {"long-enough-without"}})
	if !strings.Contains(r.Body, `class="rule unmet">✗ a digit`) {
		t.Errorf("signed in:\n%s", r.Body)
	}
}
