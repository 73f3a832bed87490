package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// TestBrowserFirstLoginEnrolsTOTPWithTheQRCode walks a user through its
// first login where the organization requires MFA: password, the QR code
// and its key, the first code, the recovery codes, home; then signs out
// and in again with a code.
func TestBrowserFirstLoginEnrolsTOTPWithTheQRCode(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAPolicy = directory.MFARequired })
	b := e.Browser()
	login := func(step, next string) {
		b.Step(step,
			chromedp.Navigate(b.URL("/o/acme/login")),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), "user@acme.example"),
			chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(next)),
		)
	}
	login("sign-in-shows-the-qr-code", "#totp-secret")
	secret := b.Text("#totp-secret")
	code, err := auth.CodeFor(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.Step("first-code",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	if codes := b.Text("#recovery-codes"); len(strings.Fields(codes)) != auth.RecoveryCodeCount {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	b.Step("home",
		chromedp.Click(chromedp.CSS(`a[href="/home"][role="button"]`)),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if got := b.Text("main p"); !strings.Contains(got, "Signed in as user@acme.example") {
		t.Fatalf("home reads %q", got)
	}
	b.Step("sign-out",
		chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)

	e.Clock.Add(30 * time.Second) // a code works once: the next step's
	login("sign-in-again", "#code")
	next, _ := auth.CodeFor(secret, e.Clock.Now())
	b.Step("code",
		chromedp.SendKeys(chromedp.CSS("#code"), next),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav form[action="/logout"]`)), // only a signed-in page has it
	)
	if got := b.Text("main p"); !strings.Contains(got, "Signed in as user@acme.example") {
		t.Fatalf("home after the code reads %q", got)
	}
}

// TestBrowserForgottenPasswordThroughTheEmailedLink asks for a reset link,
// reads it from the outbox, follows it, watches the policy checked while
// typing, sets the password and signs in with it.
func TestBrowserForgottenPasswordThroughTheEmailedLink(t *testing.T) {
	e := consoletest.New(t)
	b := e.Browser()
	b.Step("login-page",
		chromedp.Navigate(b.URL("/o/acme/login")),
		chromedp.Click(chromedp.CSS(`a[href="/forgot-password?org=acme"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/forgot-password"]`)),
	)
	b.Step("ask-for-a-link",
		chromedp.SendKeys(chromedp.CSS("#email"), "user@acme.example"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#forgot-sent")),
	)
	e.Console.Wait()
	link := e.Mail.Link(t, "user@acme.example")
	b.Step("follow-the-link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#link-expires")),
	)
	// The policy is checked as the user types: first too short, then long
	// enough.
	b.Step("policy-checked-while-typing",
		chromedp.SendKeys(chromedp.CSS("#password"), "Chosen"),
		chromedp.WaitVisible(chromedp.CSS("#policy li.unmet")),
	)
	password := "Chosen-in-the-browser-9"
	b.Step("policy-met",
		chromedp.SendKeys(chromedp.CSS("#password"), strings.TrimPrefix(password, "Chosen")),
		chromedp.WaitVisible(chromedp.CSS("#policy li.met")),
		chromedp.SendKeys(chromedp.CSS("#confirm"), password),
	)
	b.Step("password-set",
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#password-done")),
	)
	b.Step("sign-in-with-it",
		chromedp.Click(chromedp.CSS(`a[href="/o/acme/login"]`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "user@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav form[action="/logout"]`)), // only a signed-in page has it
	)
	if got := b.Text("main p"); !strings.Contains(got, "Signed in as user@acme.example") {
		t.Fatalf("home reads %q", got)
	}
}

// TestBrowserMyAccount opens My account from home and makes a personal
// API token, shown once.
func TestBrowserMyAccount(t *testing.T) {
	e := consoletest.New(t)
	b := e.Browser()
	b.Step("sign-in",
		chromedp.Navigate(b.URL("/login")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "org_viewer@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav form[action="/logout"]`)), // only a signed-in page has it
	)
	b.Step("my-account",
		chromedp.Click(chromedp.CSS(`nav a[href="/account"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tokens")),
	)
	b.Step("make-a-token",
		chromedp.SendKeys(chromedp.CSS("#token-name"), "nightly export"),
		chromedp.Click(chromedp.CSS(`form[action="/account/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
	)
	token := b.Text("#new-token")
	if _, u, err := e.Auth.Authenticate(e.Ctx, token); err != nil || u.ID != e.Users["org_viewer"].ID {
		t.Fatalf("the token shown (%q) does not authenticate: %v", token, err)
	}
	b.Step("on-a-phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(b.URL("/account")),
		chromedp.WaitVisible(chromedp.CSS("#tokens")),
	)
	fits, err := chromedp.Run(b.Context(), chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !fits {
		t.Errorf("My account is wider than a phone's screen (%v)", err)
	}
}
