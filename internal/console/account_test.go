package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

func TestAccountIsEveryRolesOwn(t *testing.T) {
	e := consoletest.New(t)
	if r := e.Anonymous().Get("/account"); r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Faccount" {
		t.Fatalf("anonymous: %d to %q", r.Status, r.Location())
	}
	for _, role := range consoletest.Roles {
		r := e.SignIn(role).Get("/account")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, role+"@acme.example") {
			t.Errorf("%s: %d", role, r.Status)
		}
		if !strings.Contains(r.Body, `<a href="/account" aria-current="page">My account</a>`) {
			t.Errorf("%s: the nav lacks My account", role)
		}
	}
}

func TestAccountProfile(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("user")
	id := e.Users["user"].ID
	if r := c.PostRaw("/account/profile", url.Values{"givenName": {"Mallory"}}); r.Status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", r.Status)
	}
	r := c.Post("/account/profile", url.Values{"givenName": {"Ann"}, "familyName": {"Example"}, "title": {"Engineer"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/account" {
		t.Fatalf("save: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	u, err := e.Svc.GetUser(e.Ctx, e.Acme.ID, id)
	if err != nil || u.GivenName != "Ann" || u.FamilyName != "Example" || u.Title != "Engineer" {
		t.Fatalf("stored %+v (%v)", u, err)
	}
	if page := c.Get("/account"); !strings.Contains(page.Body, "Your profile is saved.") || !strings.Contains(page.Body, `value="Ann"`) {
		t.Errorf("after saving:\n%s", page.Body)
	}
	r = c.Post("/account/profile", url.Values{"givenName": {strings.Repeat("x", 5000)}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `role="alert"`) {
		t.Errorf("a name too long: %d\n%s", r.Status, r.Body)
	}
	if u, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, id); u.GivenName != "Ann" {
		t.Errorf("a refused edit changed the name to %q", u.GivenName)
	}
}

func TestAccountPassword(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("user")
	next := "Another-long-password-5"
	cases := []struct {
		name, current, next, confirm, want string
	}{
		{"a wrong current password", "wrong-wrong-wrong", next, next, "the current password is wrong"},
		{"new passwords that differ", consoletest.Password, next, next + "!", "The two new passwords differ."},
		{"a new password against the policy", consoletest.Password, "short", "short", "the password needs at least 12 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post("/account/password", url.Values{"currentPassword": {tc.current}, "newPassword": {tc.next}, "confirm": {tc.confirm}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d\n%s", r.Status, r.Body)
			}
		})
	}
	r := c.Post("/account/password", url.Values{"currentPassword": {consoletest.Password}, "newPassword": {next}, "confirm": {next}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", r.Status, r.Body)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", next); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", consoletest.Password); err == nil {
		t.Errorf("the old password still logs in")
	}
}

var newTokenRE = regexp.MustCompile(`id="new-token">(rsp_[^<]+)<`)

func TestAccountTokens(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_viewer")
	if r := c.Post("/account/tokens", url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "a token needs a name") {
		t.Fatalf("no name: %d\n%s", r.Status, r.Body)
	}
	r := c.Post("/account/tokens", url.Values{"name": {"backup script"}})
	m := newTokenRE.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, "backup script") {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	if _, u, err := e.Auth.Authenticate(e.Ctx, m[1]); err != nil || u.ID != e.Users["org_viewer"].ID {
		t.Fatalf("the token does not authenticate: %v", err)
	}
	if strings.Contains(c.Get("/account").Body, m[1]) {
		t.Error("the token is shown again")
	}
	tokens, err := e.Svc.ListSessions(e.Ctx, e.Acme.ID, e.Users["org_viewer"].ID, directory.SessionAPIToken)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("%d tokens (%v)", len(tokens), err)
	}
	// Another user cannot revoke it.
	if r := e.SignIn("org_admin").Post("/account/tokens/"+tokens[0].ID+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Errorf("another user's revoke: %d", r.Status)
	}
	if r := c.PostRaw("/account/tokens/"+tokens[0].ID+"/revoke", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("revoke without the CSRF token: %d", r.Status)
	}
	if _, _, err := e.Auth.Authenticate(e.Ctx, m[1]); err != nil {
		t.Fatal("a refused revoke revoked the token")
	}
	if r := c.Post("/account/tokens/"+tokens[0].ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", r.Status, r.Body)
	}
	if _, _, err := e.Auth.Authenticate(e.Ctx, m[1]); err == nil {
		t.Error("the revoked token still works")
	}
}

func TestAccountSessions(t *testing.T) {
	e := consoletest.New(t)
	here, there, third := e.SignIn("user"), e.SignIn("user"), e.SignIn("user")
	sessions, err := e.Svc.ListSessions(e.Ctx, e.Acme.ID, e.Users["user"].ID, directory.SessionLogin)
	if err != nil || len(sessions) != 3 {
		t.Fatalf("%d sessions (%v)", len(sessions), err)
	}
	page := here.Get("/account")
	if strings.Count(page.Body, `action="/account/sessions/`) != 4 || !strings.Contains(page.Body, "this browser") {
		t.Errorf("the page does not list the three sessions:\n%s", page.Body)
	}
	// End one other session by its id.
	var thereID string
	for _, s := range sessions {
		if s.SecretHash == auth.HashSecret(there.Session()) {
			thereID = s.ID
		}
	}
	if r := e.SignIn("org_admin").Post("/account/sessions/"+thereID+"/end", nil); r.Status != http.StatusNotFound {
		t.Errorf("another user ends it: %d", r.Status)
	}
	if r := here.Post("/account/sessions/"+thereID+"/end", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("end one: %d\n%s", r.Status, r.Body)
	}
	if r := there.Get("/home"); r.Status != http.StatusSeeOther {
		t.Errorf("the ended session still opens home: %d", r.Status)
	}
	// End all the others: the third goes, this one stays.
	if r := here.Post("/account/sessions/end-others", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("end others: %d", r.Status)
	}
	if r := third.Get("/home"); r.Status != http.StatusSeeOther {
		t.Errorf("another session survived: %d", r.Status)
	}
	if r := here.Get("/home"); r.Status != http.StatusOK {
		t.Errorf("this session ended too: %d", r.Status)
	}
	// Ending this browser's own session signs it out.
	hereSession, _, err := e.Auth.Authenticate(e.Ctx, here.Session())
	if err != nil {
		t.Fatal(err)
	}
	if r := here.Post("/account/sessions/"+hereSession.ID+"/end", nil); r.Status != http.StatusSeeOther || r.Location() != "/login" {
		t.Fatalf("end this one: %d to %q", r.Status, r.Location())
	}
	if r := here.Get("/home"); r.Status != http.StatusSeeOther {
		t.Errorf("signed in after ending its own session: %d", r.Status)
	}
}

func TestAccountRecoveryCodesAfterEnrolment(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("user")
	page := c.Get("/account")
	if !strings.Contains(page.Body, `href="/login/enrol"`) {
		t.Fatalf("no way to set up TOTP:\n%s", page.Body)
	}
	enrol := c.Get("/login/enrol")
	secret := secretRE.FindStringSubmatch(enrol.Body)[1]
	code, _ := auth.CodeFor(secret, e.Clock.Now())
	r := c.Post("/login/enrol", url.Values{"code": {code}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/account" role="button" id="codes-kept"`) {
		t.Fatalf("enrol from My account: %d\n%s", r.Status, r.Body)
	}
	if page := c.Get("/account"); !strings.Contains(page.Body, "New recovery codes") {
		t.Fatalf("the page does not show TOTP on:\n%s", page.Body)
	}
	if r := c.Post("/account/recovery-codes", url.Values{"code": {"000000"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "This code is not valid") {
		t.Fatalf("a wrong code: %d\n%s", r.Status, r.Body)
	}
	e.Clock.Add(30 * time.Second)
	code, _ = auth.CodeFor(secret, e.Clock.Now())
	r = c.Post("/account/recovery-codes", url.Values{"code": {code}})
	if codes := recoveryRE.FindAllString(r.Body, -1); r.Status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("new codes: %d, %d codes\n%s", r.Status, len(codes), r.Body)
	}
}

// A user whose only second factor is a phone renews its recovery codes in
// My account with a texted code; a bad factor or code changes nothing.
func TestAccountRecoveryCodesWithAPhone(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP, directory.FactorSMS}
	})
	u := e.Users["user"]
	c := e.SignIn("user")
	if page := c.Get("/account"); strings.Contains(page.Body, `id="recovery-sms-send"`) {
		t.Fatal("a user without a second factor is offered new recovery codes")
	}
	c.Post("/login/enrol/sms/send", url.Values{"phone": {"+447400123456"}})
	code, _ := lastSMSCode(t, e, "+447400123456")
	c.Post("/login/enrol/sms", url.Values{"code": {code}})
	if page := c.Get("/account"); !strings.Contains(page.Body, `id="recovery-sms-send"`) || strings.Contains(page.Body, `id="recovery-passkey"`) {
		t.Fatalf("My account of a phone-only user:\n%s", page.Body)
	}
	before, _ := e.Svc.GetMFA(e.Ctx, e.Acme.ID, u.ID)
	for name, form := range map[string]url.Values{
		"a TOTP code":     {"code": {"123456"}},
		"an unknown kind": {"factor": {"email"}, "code": {"123456"}},
		"a passkey":       {"factor": {"passkey"}},
		"no code sent":    {"factor": {"sms"}, "code": {"123456"}},
	} {
		if r := c.Post("/account/recovery-codes", form); r.Status == http.StatusOK {
			t.Errorf("%s renewed the codes", name)
		}
	}
	r := c.Post("/account/recovery-codes/sms", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="recovery-sms-sent"`) {
		t.Fatalf("text a code: %d", r.Status)
	}
	code, _ = lastSMSCode(t, e, "+447400123456")
	r = c.Post("/account/recovery-codes", url.Values{"factor": {"sms"}, "code": {code}})
	if codes := recoveryRE.FindAllString(r.Body, -1); r.Status != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("new codes: %d, %d codes\n%s", r.Status, len(codes), r.Body)
	}
	after, _ := e.Svc.GetMFA(e.Ctx, e.Acme.ID, u.ID)
	if before.RecoveryCodesLeft != auth.RecoveryCodeCount || after.RecoveryCodesLeft != auth.RecoveryCodeCount {
		t.Errorf("recovery codes before %d, after %d", before.RecoveryCodesLeft, after.RecoveryCodesLeft)
	}
	ev, err := e.Svc.ListAudit(e.Ctx, e.Acme.ID, directory.AuditQuery{Action: "user.mfa.recovery_codes"})
	if err != nil || len(ev.Events) != 1 {
		t.Errorf("recovery_codes audit: %+v %v", ev, err)
	}
}
