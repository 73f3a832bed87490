package console_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

var smsCode = regexp.MustCompile(`\b(\d{6})\b`)

// lastSMSCode reads the code of the newest text the fake Twilio took.
func lastSMSCode(t *testing.T, e *consoletest.Env, to string) (code string, sent int) {
	t.Helper()
	msgs := e.Twilio.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to {
			if m := smsCode.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1], len(msgs)
			}
		}
	}
	t.Fatalf("no code texted to %s", to)
	return "", 0
}

// TestBrowserSMSEnrolmentAndLogin walks a user through its first login
// where the organization requires a second factor and allows SMS codes
// only: its number, the texted code (read from the fake Twilio), the
// recovery codes, home; then signs in again with a texted code, after a
// send the provider failed (which costs none of the hour's sends), asking
// for a second one and typing a wrong one first; at last asks for new
// recovery codes in My account with a texted code.
func TestBrowserSMSEnrolmentAndLogin(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.MFAPolicy = directory.MFARequired
		o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorSMS}
		o.Settings.PhoneRegion = "GB"
	})
	const to = "+447400123456"
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
	login("sign-in-asks-for-a-number", "#phone")
	b.Step("text-me-a-code",
		chromedp.SendKeys(chromedp.CSS("#phone"), "07400 123456"),
		chromedp.Click(chromedp.CSS("#sms-send")),
		chromedp.WaitVisible(chromedp.CSS("#sms-sent")),
	)
	if got := b.Text("#sms-sent"); !strings.Contains(got, "+44 •••• ••34 56") || !strings.Contains(got, "4 more") {
		t.Fatalf("sent notice reads %q", got)
	}
	code, _ := lastSMSCode(t, e, to)
	b.Step("confirm-the-number",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#sms-verify")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	if codes := b.Text("#recovery-codes"); len(strings.Fields(codes)) != auth.RecoveryCodeCount {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	b.Step("account-shows-the-number",
		chromedp.Click(chromedp.CSS(`a[href="/home"][role="button"]`)),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
		chromedp.Navigate(b.URL("/account")),
		chromedp.WaitVisible(chromedp.CSS("#sms-status")),
	)
	if got := b.Text("#sms-status"); !strings.Contains(got, "+44 •••• ••34 56") {
		t.Fatalf("My account reads %q", got)
	}
	if got := b.Text("#mfa p"); !strings.HasPrefix(got, "On:") {
		t.Fatalf("My account says two-step verification is %q", got)
	}
	b.Step("sign-out",
		chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)

	login("sign-in-again-offers-a-text", "#sms-send")
	// The provider fails once: the page says so, and the failed send
	// costs none of the hour's sends (the counts below are unchanged).
	e.Twilio.Fail(1)
	b.Step("the-provider-fails",
		chromedp.Click(chromedp.CSS("#sms-send")),
		chromedp.WaitVisible(chromedp.CSS("#sms-error")),
	)
	if got := b.Text("#sms-error"); !strings.Contains(got, "could not send the code, try again later") {
		t.Fatalf("after a failed send the page reads %q", got)
	}
	b.Step("text-me-a-code-at-login",
		chromedp.Click(chromedp.CSS("#sms-send")),
		chromedp.WaitVisible(chromedp.CSS("#sms-sent")),
	)
	first, _ := lastSMSCode(t, e, to)
	b.Step("send-a-new-code",
		chromedp.Click(chromedp.CSS("#sms-send")),
		chromedp.WaitVisible(chromedp.CSS("#sms-sent")),
	)
	if got := b.Text("#sms-sent"); !strings.Contains(got, "2 more") {
		t.Fatalf("after a resend the notice reads %q", got)
	}
	code, sent := lastSMSCode(t, e, to)
	if sent != 3 {
		t.Fatalf("%d texts sent, want 3", sent)
	}
	wrong := "000000"
	if code == wrong || first == wrong {
		wrong = "111111"
	}
	b.Step("a-wrong-code",
		chromedp.SendKeys(chromedp.CSS("#code"), wrong),
		chromedp.Click(chromedp.CSS("#sms-verify")),
		chromedp.WaitVisible(chromedp.CSS("#code-error")),
	)
	b.Step("the-newest-code",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#sms-verify")),
		chromedp.WaitVisible(chromedp.CSS(`nav form[action="/logout"]`)), // only a signed-in page has it
	)
	if got := b.Text("main p"); !strings.Contains(got, "Signed in as user@acme.example") {
		t.Fatalf("home after the code reads %q", got)
	}

	// New recovery codes, proving the phone again from My account.
	b.Step("recovery-codes-text-me-a-code",
		chromedp.Navigate(b.URL("/account")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-sms-send")),
		chromedp.Click(chromedp.CSS("#recovery-sms-send")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-sms-sent")),
	)
	if got := b.Text("#recovery-sms-sent"); !strings.Contains(got, "+44 •••• ••34 56") {
		t.Fatalf("recovery code notice reads %q", got)
	}
	renewal, _ := lastSMSCode(t, e, to)
	b.Step("recovery-codes-a-wrong-code",
		chromedp.SendKeys(chromedp.CSS("#recovery-sms-code"), wrong),
		chromedp.Click(chromedp.CSS("#recovery-sms-verify")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-sms-code")),
	)
	if got := b.Text("#recovery"); !strings.Contains(got, "not valid") {
		t.Fatalf("after a wrong code My account reads %q", got)
	}
	b.Step("recovery-codes-the-texted-code",
		chromedp.SendKeys(chromedp.CSS("#recovery-sms-code"), renewal),
		chromedp.Click(chromedp.CSS("#recovery-sms-verify")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	if codes := b.Text("#recovery-codes"); len(strings.Fields(codes)) != auth.RecoveryCodeCount {
		t.Fatalf("renewed recovery codes shown: %q", codes)
	}
}
