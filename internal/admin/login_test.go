package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

func TestLockoutAndUnlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"lockoutThreshold": 3}).want(t, http.StatusOK)
	u := e.users["user"]

	unknown, _ := e.login("nobody@acme.example", "whatever-it-is")
	for i := 1; i <= 3; i++ {
		r, _ := e.login(u.UserName, "wrong-password-"+string(rune('0'+i)))
		if r.status != http.StatusUnauthorized || string(r.body) != string(unknown.body) {
			t.Fatalf("attempt %d: %d %s (an unknown email got %s)", i, r.status, r.body, unknown.body)
		}
	}
	if got := e.user(u.ID); got.Status != "locked" || got.StatusReason != "3 wrong passwords in a row" {
		t.Fatalf("after 3 wrong passwords the user is %s (%q)", got.Status, got.StatusReason)
	}
	if m := e.mail.last(t, u.Email); m.Kind != mail.Lockout || !strings.Contains(m.Text, "3\nwrong passwords") {
		t.Fatalf("lockout notice %q", m.Text)
	}
	r, _ := e.login(u.UserName, testPassword)
	if r.status != http.StatusUnauthorized || string(r.body) != string(unknown.body) {
		t.Fatalf("the right password of a locked user: %d %s", r.status, r.body)
	}
	e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/reactivate", admin, nil).want(t, http.StatusBadRequest)

	r = e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/unlock", admin, map[string]any{"password": "Fresh-Start-2026", "notify": true}).want(t, http.StatusOK)
	if r.str("status") != "active" || r.json["failedLogins"] != 0.0 || r.header.Get("X-Roster-Email-Sent") != "true" {
		t.Fatalf("unlock: %s", r.body)
	}
	if m := e.mail.last(t, u.Email); m.Kind != mail.Unlocked || !strings.Contains(m.Text, "Fresh-Start-2026") {
		t.Fatalf("the new password was not emailed as an unlock notice: %s %q", m.Kind, m.Text)
	}
	if r, _ := e.login(u.UserName, testPassword); r.status != http.StatusUnauthorized {
		t.Fatal("the old password still works")
	}
	if r, _ := e.login(u.UserName, "Fresh-Start-2026"); r.status != http.StatusOK {
		t.Fatalf("the new password: %s", r.body)
	}
	e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/unlock", admin, nil).want(t, http.StatusBadRequest) // not locked any more

	// A good login resets the count: two wrong, one right, two wrong is no lock.
	for _, pw := range []string{"bad-1-aaaaaa", "bad-2-aaaaaa", "Fresh-Start-2026", "bad-3-aaaaaa", "bad-4-aaaaaa"} {
		e.login(u.UserName, pw)
	}
	if got := e.user(u.ID); got.Status != "active" || got.FailedLogins != 2 || got.LastLoginAt == nil {
		t.Fatalf("after interleaved attempts: %s, %d failed", got.Status, got.FailedLogins)
	}
}

func TestLoginUpgradesOldHashes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := cheapParams
	old.Memory = 32 // what an older release used, say
	hash, err := auth.HashPassword(testPassword, old)
	if err != nil {
		t.Fatal(err)
	}
	u := e.users["user"]
	if _, err := e.svc.UpdateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, u.ID, 0, func(u *directory.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.login(u.UserName, testPassword)
	if got := e.user(u.ID).PasswordHash; auth.NeedsRehash(got, cheapParams) {
		t.Fatalf("the hash was not upgraded: %s", got)
	}
	if r, _ := e.login(u.UserName, testPassword); r.status != http.StatusOK {
		t.Fatalf("login with the upgraded hash: %s", r.body)
	}
}

// secretOf reads the seed out of an otpauth URI, as an authenticator app does.
func secretOf(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("secret")
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol enrols the user behind token and returns its seed and recovery codes.
func (e *env) enrol(token string) (string, []string) {
	t := e.t
	t.Helper()
	r := e.do(http.MethodPost, "/api/v1/me/mfa/totp", token, nil).want(t, http.StatusOK)
	secret := secretOf(t, r.str("uri"))
	if r.str("qrCode") == "" || secret == "" {
		t.Fatalf("enrolment %s", r.body)
	}
	e.do(http.MethodPost, "/api/v1/me/mfa/totp/confirm", token, map[string]string{"code": "000000"}).want(t, http.StatusBadRequest)
	r = e.do(http.MethodPost, "/api/v1/me/mfa/totp/confirm", token, map[string]string{"code": code(t, secret, e.clock.Now())}).want(t, http.StatusOK)
	var codes []string
	for _, c := range r.json["recoveryCodes"].([]any) {
		codes = append(codes, c.(string))
	}
	if len(codes) != 10 {
		t.Fatalf("recovery codes %s", r.body)
	}
	return secret, codes
}

func TestTOTPEnrolmentLoginReplayAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.users["user"]
	_, session := e.login(u.UserName, testPassword)
	secret, recovery := e.enrol(session)
	e.do(http.MethodPost, "/api/v1/me/mfa/totp", session, nil).want(t, http.StatusConflict) // no silent device swap
	mfa := e.do(http.MethodGet, "/api/v1/me/mfa", session, nil).want(t, http.StatusOK)
	if mfa.json["enrolled"] != true || mfa.json["recoveryCodesLeft"] != 10.0 {
		t.Fatalf("mfa state %s", mfa.body)
	}
	e.do(http.MethodPost, "/api/v1/auth/logout", session, nil).want(t, http.StatusNoContent)
	e.do(http.MethodGet, "/api/v1/me", session, nil).want(t, http.StatusUnauthorized)

	r, pending := e.login(u.UserName, testPassword)
	if r.str("stage") != "mfa" || r.str("next") != "/api/v1/auth/mfa" {
		t.Fatalf("login of an enrolled user: %s", r.body)
	}
	e.do(http.MethodGet, "/api/v1/me", pending, nil).want(t, http.StatusUnauthorized)
	// The code that confirmed the enrolment was spent: a replay fails.
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": code(t, secret, e.clock.Now())}).want(t, http.StatusUnauthorized)
	e.clock.Add(30 * time.Second)
	fresh := code(t, secret, e.clock.Now())
	r = e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": fresh}).want(t, http.StatusOK)
	if r.str("stage") != "full" {
		t.Fatalf("after the code: %s", r.body)
	}
	e.do(http.MethodGet, "/api/v1/me", pending, nil).want(t, http.StatusOK)
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": fresh}).want(t, http.StatusBadRequest)

	// The same code on another login within its window is a replay.
	_, second := e.login(u.UserName, testPassword)
	e.do(http.MethodPost, "/api/v1/auth/mfa", second, map[string]string{"code": fresh}).want(t, http.StatusUnauthorized)
	// A recovery code works once.
	e.do(http.MethodPost, "/api/v1/auth/mfa", second, map[string]string{"recoveryCode": strings.ToUpper(recovery[0])}).want(t, http.StatusOK)
	_, third := e.login(u.UserName, testPassword)
	e.do(http.MethodPost, "/api/v1/auth/mfa", third, map[string]string{"recoveryCode": recovery[0]}).want(t, http.StatusUnauthorized)
	e.do(http.MethodPost, "/api/v1/auth/mfa", third, map[string]string{"code": "123456", "recoveryCode": recovery[1]}).want(t, http.StatusBadRequest)
	e.do(http.MethodPost, "/api/v1/auth/mfa", third, map[string]string{"recoveryCode": recovery[1]}).want(t, http.StatusOK)
	if left := e.do(http.MethodGet, "/api/v1/me/mfa", third, nil).json["recoveryCodesLeft"]; left != 8.0 {
		t.Fatalf("recovery codes left: %v", left)
	}

	// New recovery codes need a current code and replace the old ones.
	e.clock.Add(30 * time.Second)
	r = e.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes", third, map[string]string{"code": code(t, secret, e.clock.Now())}).want(t, http.StatusOK)
	if n := len(r.json["recoveryCodes"].([]any)); n != 10 {
		t.Fatalf("%d new codes", n)
	}
	_, fourth := e.login(u.UserName, testPassword)
	e.do(http.MethodPost, "/api/v1/auth/mfa", fourth, map[string]string{"recoveryCode": recovery[2]}).want(t, http.StatusUnauthorized)

	// An admin resets the second factor: the next login is full at once.
	e.do(http.MethodDelete, "/api/v1/users/"+u.ID+"/mfa", e.tokens["org_admin"], nil).want(t, http.StatusOK)
	if r, _ := e.login(u.UserName, testPassword); r.str("stage") != "full" {
		t.Fatalf("after the reset: %s", r.body)
	}
}

func TestWrongCodesCountTowardsLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{"lockoutThreshold": 2}).want(t, http.StatusOK)
	u := e.users["user"]
	_, session := e.login(u.UserName, testPassword)
	e.enrol(session)
	_, pending := e.login(u.UserName, testPassword)
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": "000001"}).want(t, http.StatusUnauthorized)
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": "000002"}).want(t, http.StatusUnauthorized)
	got := e.user(u.ID)
	if got.Status != "locked" {
		t.Fatalf("after two wrong codes the user is %s", got.Status)
	}
	// The lock says a code caused it, not a password, and so does the
	// notice: whoever tried knew the password.
	if !strings.Contains(got.StatusReason, "wrong second-factor code") || strings.Contains(got.StatusReason, "password") {
		t.Errorf("lock reason %q", got.StatusReason)
	}
	if m := e.mail.last(t, u.Email); m.Kind != mail.Lockout || !strings.Contains(m.Text, "wrong authentication code") || strings.Contains(m.Text, "wrong passwords") {
		t.Errorf("lockout notice %q", m.Text)
	}
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": "000003"}).want(t, http.StatusUnauthorized)
}

func TestRequiredMFAEnrolsAtLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"mfaPolicy": "required"}).want(t, http.StatusOK)
	u := e.users["user"]
	r, pending := e.login(u.UserName, testPassword)
	if r.str("stage") != "enrol" || r.str("next") != "/api/v1/me/mfa/totp" {
		t.Fatalf("login without TOTP under a required policy: %s", r.body)
	}
	e.do(http.MethodGet, "/api/v1/me", pending, nil).want(t, http.StatusUnauthorized)
	e.do(http.MethodGet, "/api/v1/users", pending, nil).want(t, http.StatusUnauthorized)
	e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": "123456"}).want(t, http.StatusBadRequest)
	e.enrol(pending)
	e.do(http.MethodGet, "/api/v1/me", pending, nil).want(t, http.StatusOK)

	// An admin can require TOTP of one user while the policy is optional.
	e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"mfaPolicy": "optional"}).want(t, http.StatusOK)
	viewer := e.users["org_viewer"]
	if r, _ := e.login(viewer.UserName, testPassword); r.str("stage") != "full" {
		t.Fatalf("optional policy: %s", r.body)
	}
	r = e.do(http.MethodPost, "/api/v1/users/"+viewer.ID+"/mfa", admin, map[string]any{"required": true}).want(t, http.StatusOK)
	if r.json["mfa"].(map[string]any)["required"] != true {
		t.Fatalf("require: %s", r.body)
	}
	if r, _ := e.login(viewer.UserName, testPassword); r.str("stage") != "enrol" {
		t.Fatalf("required of one user: %s", r.body)
	}
}

func TestForgottenPasswordAndCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.users["user"]
	for _, email := range []string{u.UserName, "nobody@acme.example"} {
		r := e.do(http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": email}).want(t, http.StatusAccepted)
		if r.str("message") == "" {
			t.Fatalf("forgot: %s", r.body)
		}
	}
	e.h.background.Wait()
	m := e.mail.last(t, u.Email)
	if m.Kind != mail.PasswordReset || e.mail.count("nobody@acme.example") != 0 {
		t.Fatalf("reset email %+v", m)
	}
	e.do(http.MethodPost, "/api/v1/auth/password/set", "", map[string]string{"token": linkFrom(t, m), "password": "Reset-Pass-2026"}).want(t, http.StatusOK)

	// Browsers get the session as a secure HttpOnly cookie and use it.
	r, _ := e.login(u.UserName, "Reset-Pass-2026")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "roster_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	e.do(http.MethodGet, "/api/v1/me", "", nil, cookie).want(t, http.StatusOK)
	// A page of another site cannot use the cookie to change anything.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/logout", nil)
	req.AddCookie(cookie)
	req.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site logout: %d", rec.Code)
	}
	e.do(http.MethodPost, "/api/v1/auth/logout", "", nil, cookie).want(t, http.StatusNoContent)
	e.do(http.MethodGet, "/api/v1/me", "", nil, cookie).want(t, http.StatusUnauthorized)

	// Expired sessions stop working.
	_, tok := e.login(u.UserName, "Reset-Pass-2026")
	e.clock.Add(13 * time.Hour)
	e.do(http.MethodGet, "/api/v1/me", tok, nil).want(t, http.StatusUnauthorized)
}

func TestPersonalAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, session := e.login(e.users["user"].UserName, testPassword)
	r := e.do(http.MethodPost, "/api/v1/me/tokens", session, map[string]string{"name": "ci"}).want(t, http.StatusCreated)
	tok, id := r.str("token"), r.str("id")
	if !strings.HasPrefix(tok, "rsp_") {
		t.Fatalf("token %s", r.body)
	}
	list := e.do(http.MethodGet, "/api/v1/me/tokens", tok, nil).want(t, http.StatusOK)
	if strings.Contains(string(list.body), tok) || !strings.Contains(string(list.body), `"ci"`) {
		t.Fatalf("list %s", list.body)
	}
	e.do(http.MethodDelete, "/api/v1/me/tokens/"+id, e.tokens["org_admin"], nil).want(t, http.StatusNotFound)
	e.do(http.MethodDelete, "/api/v1/me/tokens/"+id, session, nil).want(t, http.StatusNoContent)
	e.do(http.MethodGet, "/api/v1/me", tok, nil).want(t, http.StatusUnauthorized)
}

func TestLoginIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.AuthRate, c.AuthBurst = 0.01, 3 })
	for i := range 3 {
		if r, _ := e.login("nobody@acme.example", "x-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	r, _ := e.login("nobody@acme.example", "x-password")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.code() != "rate_limited" {
		t.Fatalf("fourth attempt: %d %s", r.status, r.body)
	}
	// Token creation shares the client's budget.
	e.do(http.MethodPost, "/api/v1/org/scim-tokens", e.tokens["org_admin"], map[string]string{"name": "x"}).want(t, http.StatusTooManyRequests)
}
