package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// TestBrowserPasskeys registers a passkey in Chromium's virtual
// authenticator at the first login of a user whose organization requires
// a second factor, which shows recovery codes once, then uses it as the
// second step after the password, proves it again in My account for new
// recovery codes, signs in with one of them in the passkey's place, and at last alone, with the login page's "Sign in with a
// passkey".
// WebAuthn wants a secure context with a domain name: the env serves
// http://localhost.
func TestBrowserPasskeys(t *testing.T) {
	e := consoletest.New(t, consoletest.WithLocalhost())
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.MFAPolicy = directory.MFARequired
		o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP, directory.FactorPasskey}
		o.Settings.PasswordlessPasskeys = true
	})
	b := e.Browser()
	ctx := b.Context()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	va, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	// Only a signed-in user's pages have My account in the header.
	const home = `header nav a[href="/account"]`
	password := func(step, next string) {
		b.Step(step,
			chromedp.Navigate(b.URL("/o/acme/login")),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), "user@acme.example"),
			chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(next)),
		)
	}
	signOut := func(step string) {
		b.Step(step,
			chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
		)
	}
	signedIn := func(how string) {
		t.Helper()
		if got := b.Text("footer small"); !strings.Contains(got, "Signed in as user@acme.example") {
			t.Fatalf("after %s the footer reads %q", how, got)
		}
	}

	password("first-sign-in-offers-a-passkey", "#enrol-passkey")
	// The first second factor comes with recovery codes, shown once.
	b.Step("register-the-passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "work laptop"),
		chromedp.Click(chromedp.CSS(`#enrol-passkey button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes li")),
	)
	codes := strings.Fields(b.Text("#recovery-codes"))
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	if m, err := e.Svc.GetMFA(e.Ctx, e.Acme.ID, e.Users["user"].ID); err != nil || m.RecoveryCodesLeft != auth.RecoveryCodeCount {
		t.Fatalf("stored recovery codes: %+v (%v)", m, err)
	}
	b.Step("codes-kept",
		chromedp.Click(chromedp.CSS("#codes-kept")),
		chromedp.WaitVisible(chromedp.CSS(home)),
	)
	signedIn("registering a passkey")
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(va))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("the virtual authenticator holds %+v (%v), want one resident credential", creds, err)
	}
	keys, err := e.Svc.ListPasskeys(e.Ctx, e.Acme.ID, e.Users["user"].ID)
	if err != nil || len(keys) != 1 || keys[0].Name != "work laptop" {
		t.Fatalf("stored passkeys %v (%v)", keys, err)
	}
	b.Step("my-account-lists-it",
		chromedp.Navigate(b.URL("/account#passkeys")),
		chromedp.WaitVisible(chromedp.CSS(`#passkeys form[action$="/rename"]`)),
	)
	signOut("sign-out")

	password("password-then-passkey", "#passkey-mfa")
	b.Step("second-step-with-the-passkey",
		chromedp.Click(chromedp.CSS("#passkey-mfa")),
		chromedp.WaitVisible(chromedp.CSS(home)),
	)
	signedIn("the passkey second step")
	// New recovery codes, proving the passkey again from My account; the
	// first set stops working.
	b.Step("new-recovery-codes-with-the-passkey",
		chromedp.Navigate(b.URL("/account")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-passkey")),
		chromedp.Click(chromedp.CSS("#recovery-passkey")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes li")),
	)
	renewed := strings.Fields(b.Text("#recovery-codes"))
	if len(renewed) != auth.RecoveryCodeCount || renewed[0] == codes[0] {
		t.Fatalf("renewed recovery codes shown: %q", renewed)
	}
	ev, err := e.Svc.ListAudit(e.Ctx, e.Acme.ID, directory.AuditQuery{Action: "user.mfa.recovery_codes"})
	if err != nil || len(ev.Events) != 1 || ev.Events[0].Changes["factor"].After != "passkey" {
		t.Fatalf("recovery_codes audit: %+v %v", ev, err)
	}
	b.Step("renewed-codes-kept",
		chromedp.Click(chromedp.CSS("#codes-kept")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-passkey")),
	)
	codes = renewed
	signOut("sign-out-again")

	// A lost key: a recovery code completes the second step, once.
	password("password-then-recovery-code", "#passkey-mfa")
	b.Step("use-a-recovery-code",
		chromedp.Click(chromedp.CSS("details summary")),
		chromedp.SendKeys(chromedp.CSS("#recovery_code"), codes[0]),
		chromedp.Click(chromedp.CSS(`form:has(#recovery_code) button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(home)),
	)
	signedIn("a recovery code")
	signOut("sign-out-after-the-code")

	b.Step("passkey-alone",
		chromedp.Navigate(b.URL("/o/acme/login")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-signin")),
		chromedp.Click(chromedp.CSS("#passkey-signin")),
		chromedp.WaitVisible(chromedp.CSS(home)),
	)
	signedIn("signing in with the passkey alone")
	if keys, _ := e.Svc.ListPasskeys(e.Ctx, e.Acme.ID, e.Users["user"].ID); keys[0].LastUsedAt == nil {
		t.Error("the passkey's last use is not recorded")
	}
}
