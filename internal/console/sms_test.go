package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// An admin sees a user's SMS number masked on its page and resets it;
// a user of an organization that does not allow SMS codes cannot enrol
// them, and the phone form refuses a number that is no mobile number.
func TestSMSAdminPageAndRefusals(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP, directory.FactorSMS}
	})
	u := e.Users["user"]
	c := e.SignIn("user")
	r := c.Post("/login/enrol/sms/send", url.Values{"phone": {"12"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="phone-error"`) {
		t.Fatalf("a bad number: %d", r.Status)
	}
	r = c.Post("/login/enrol/sms/send", url.Values{"phone": {"+447400123456"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "•••• ••34 56") {
		t.Fatalf("send: %d", r.Status)
	}
	code, _ := lastSMSCode(t, e, "+447400123456")
	r = c.Post("/login/enrol/sms", url.Values{"code": {code}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="recovery-codes"`) {
		t.Fatalf("confirm: %d", r.Status)
	}

	admin := e.SignIn("org_admin")
	r = admin.Get("/users/" + u.ID)
	if !strings.Contains(r.Body, "••34 56.</span>") || !strings.Contains(r.Body, "Reset second factors") {
		t.Fatalf("the user page does not show the SMS factor: %d", r.Status)
	}
	if strings.Contains(r.Body, "7400123456") {
		t.Error("the user page shows the whole number")
	}
	if r := admin.Post("/users/"+u.ID+"/mfa/reset", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.Status)
	}
	if p, _ := e.Svc.GetSMSPhone(e.Ctx, e.Acme.ID, u.ID); p != nil {
		t.Error("the reset left the phone")
	}

	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP} })
	c = e.SignIn("user")
	r = c.Post("/login/enrol/sms/send", url.Values{"phone": {"+447400123456"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "does not allow text message codes") {
		t.Fatalf("a refused factor: %d", r.Status)
	}
	if n := len(e.Twilio.Messages()); n != 1 {
		t.Errorf("%d texts sent, want 1", n)
	}
}
