package admin

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
	"github.com/roster/roster/internal/sms"
	"github.com/roster/roster/internal/sms/smstest"
)

// smsEnv is an env whose Authenticator texts through a fake Twilio (and
// checks passkeys), whose logs are kept, and whose acme organization
// allows SMS codes and reads phone numbers in the United Kingdom.
type smsEnv struct {
	*env
	twilio *smstest.Twilio
	logs   *logtest.Buffer
}

const (
	ukMobile   = "07400 123456"
	ukMobileIn = "+447400123456"
)

var codeInBody = regexp.MustCompile(`\b(\d{6})\b`)

func newSMSEnv(t *testing.T, e *env) *smsEnv {
	t.Helper()
	tw := smstest.NewTwilio()
	t.Cleanup(tw.Close)
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sealer, err := auth.NewSealer(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	wa, err := auth.NewWebAuthn(publicURL, "", nil, "Roster")
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.NewAuthenticator(auth.Config{
		Directory: e.svc, TOTP: &auth.TOTP{Issuer: "Roster", Sealer: sealer}, Params: cheapParams, Now: e.clock.Now, WebAuthn: wa,
		SMS: &sms.Twilio{AccountSID: tw.AccountSID, Username: tw.Username, Password: tw.Password, From: "+15005550006",
			BaseURL: tw.Server.URL, Client: tw.Server.Client()},
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.auth, e.h.auth, e.h.logger = a, a, logger
	s := &smsEnv{env: e, twilio: tw, logs: logs}
	s.settings(map[string]any{"mfaFactors": []string{"totp", "sms"}, "phoneRegion": "GB"})
	return s
}

// settings patches acme's settings as its admin.
func (s *smsEnv) settings(patch map[string]any) {
	s.t.Helper()
	s.do(http.MethodPatch, "/api/v1/org/settings", s.tokens["org_admin"], patch).want(s.t, http.StatusOK)
}

// lastCode reads the code of the newest text to a number.
func (s *smsEnv) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs := s.twilio.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to {
			m := codeInBody.FindStringSubmatch(msgs[i].Body)
			if m == nil {
				t.Fatalf("no code in %q", msgs[i].Body)
			}
			return m[1]
		}
	}
	t.Fatalf("no text to %s", to)
	return ""
}

// enrol enrols u's phone through a full session and returns the session.
func (s *smsEnv) enrol(t *testing.T, u *directory.User, phone, e164 string) string {
	t.Helper()
	session := s.loginSession(u)
	s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": phone}).want(t, http.StatusOK)
	s.do(http.MethodPost, "/api/v1/me/mfa/sms/confirm", session, map[string]string{"code": s.lastCode(t, e164)}).want(t, http.StatusOK)
	return session
}

// wrong returns a 6-digit code that is not code.
func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestSMSFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		t.Run("enrolment texts a code to the number read in the org's region, and a wrong one counts", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			session := s.loginSession(u)
			r := s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": ukMobile}).want(t, http.StatusOK)
			if got := r.str("phone"); got != "+44 •••• ••34 56" {
				t.Errorf("masked phone %q", got)
			}
			if left, _ := r.json["sendsLeft"].(float64); left != directory.SMSSendsPerHour-1 {
				t.Errorf("sendsLeft %v", r.json["sendsLeft"])
			}
			code := s.lastCode(t, ukMobileIn)

			// The code is stored as a salted hash only.
			c, err := s.store.SMS().LiveSMSCode(s.ctx, s.acme.ID, u.ID, directory.SMSEnrol, s.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, field := range []string{c.ID, c.Salt, c.Hash, c.PhoneHash} {
				if strings.Contains(field, code) || strings.Contains(field, "7400123456") {
					t.Errorf("a stored field holds the code or the number: %q", field)
				}
			}

			s.do(http.MethodPost, "/api/v1/me/mfa/sms/confirm", session, map[string]string{"code": wrong(code)}).want(t, http.StatusBadRequest)
			if n := s.user(u.ID).FailedLogins; n != 1 {
				t.Errorf("failed logins %d after a wrong code, want 1", n)
			}
			r = s.do(http.MethodPost, "/api/v1/me/mfa/sms/confirm", session, map[string]string{"code": code}).want(t, http.StatusOK)
			if codes, _ := r.json["recoveryCodes"].([]any); len(codes) != auth.RecoveryCodeCount {
				t.Errorf("recovery codes %v", r.json["recoveryCodes"])
			}
			r = s.do(http.MethodGet, "/api/v1/me/mfa", session, nil).want(t, http.StatusOK)
			if r.str("sms", "phone") != "+44 •••• ••34 56" || r.json["sms"].(map[string]any)["enrolled"] != true {
				t.Errorf("GET /me/mfa: %s", r.body)
			}
			// The number cannot be moved without an admin's reset.
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": "+447400999888"}).want(t, http.StatusConflict)
			// An unusable number is refused before anything is sent.
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": "not a number"}).want(t, http.StatusBadRequest)
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, `{"phone": 12`).want(t, http.StatusBadRequest)
			if n := len(s.twilio.Messages()); n != 1 {
				t.Errorf("%d texts sent, want 1", n)
			}
		})

		t.Run("a login texts a code that works once, within five minutes; a new code voids the last", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)

			r, pending := s.login(u.UserName, testPassword)
			r.want(t, http.StatusOK)
			if r.str("stage") != "mfa" {
				t.Fatalf("stage %q, want mfa", r.str("stage"))
			}
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			first := s.lastCode(t, ukMobileIn)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			second := s.lastCode(t, ukMobileIn)
			if first != second {
				s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": first}).want(t, http.StatusUnauthorized)
			}
			r = s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": second}).want(t, http.StatusOK)
			if r.str("stage") != "full" || !s.works(pending) {
				t.Fatalf("the login is not full: %s", r.body)
			}
			// The code does not open a second login.
			_, other := s.login(u.UserName, testPassword)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", other, map[string]string{"code": second}).want(t, http.StatusUnauthorized)

			// An expired code fails.
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", other, nil).want(t, http.StatusOK)
			late := s.lastCode(t, ukMobileIn)
			s.clock.Add(directory.SMSCodeTTL + time.Second)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", other, map[string]string{"code": late}).want(t, http.StatusUnauthorized)
			if s.works(other) {
				t.Error("an expired code completed the login")
			}
			// A code is no TOTP code, and a full session sends none.
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusBadRequest)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", "rst_wrong", nil).want(t, http.StatusUnauthorized)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", "", map[string]string{"code": late}).want(t, http.StatusUnauthorized)
		})

		t.Run("at most five codes an hour per user and per number", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u, v := s.users["user"], s.users["org_viewer"]
			session := s.loginSession(u)
			for i := range directory.SMSSendsPerHour {
				r := s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": ukMobile}).want(t, http.StatusOK)
				if left, _ := r.json["sendsLeft"].(float64); int(left) != directory.SMSSendsPerHour-1-i {
					t.Errorf("send %d: sendsLeft %v", i, r.json["sendsLeft"])
				}
			}
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": ukMobile}).want(t, http.StatusTooManyRequests)
			// Another user cannot text the same number either.
			other := s.loginSession(v)
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", other, map[string]string{"phone": ukMobileIn}).want(t, http.StatusTooManyRequests)
			// But may text its own.
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", other, map[string]string{"phone": "+447400654321"}).want(t, http.StatusOK)
			if n := len(s.twilio.Messages()); n != directory.SMSSendsPerHour+1 {
				t.Errorf("%d texts sent", n)
			}
			s.clock.Add(time.Hour)
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": ukMobile}).want(t, http.StatusOK)
		})

		t.Run("a send the provider refuses costs none of the sends and leaves no code valid", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)
			_, pending := s.login(u.UserName, testPassword)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			earlier := s.lastCode(t, ukMobileIn)
			texts := len(s.twilio.Messages())

			// More failures than the hour allows sends: 5xx, 429 and 400
			// in Twilio's format.
			for i := range directory.SMSSendsPerHour + 1 {
				var want int
				switch i % 3 {
				case 0:
					s.twilio.Fail(1)
					want = http.StatusServiceUnavailable
				case 1:
					s.twilio.Throttle(1)
					want = http.StatusServiceUnavailable
				default:
					s.twilio.Reject(1)
					want = http.StatusBadRequest
				}
				r := s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, want)
				if msg := r.str("error", "message"); !strings.Contains(msg, "could not send the code") || !strings.Contains(msg, "try again later") {
					t.Errorf("failure %d: message %q", i, msg)
				}
				if _, err := s.store.SMS().LiveSMSCode(s.ctx, s.acme.ID, u.ID, directory.SMSLogin, s.clock.Now()); !directory.IsCode(err, directory.CodeNotFound) {
					t.Errorf("failure %d left a live code (%v)", i, err)
				}
			}
			if n := len(s.twilio.Messages()); n != texts {
				t.Fatalf("%d texts accepted during the failures", n-texts)
			}
			// The code sent before the failures is void too.
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": earlier}).want(t, http.StatusUnauthorized)

			// Two sends so far (enrolment and the first login code): the
			// failures cost nothing.
			r := s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			if left, _ := r.json["sendsLeft"].(float64); int(left) != directory.SMSSendsPerHour-3 {
				t.Errorf("sendsLeft %v after the failures, want %d", r.json["sendsLeft"], directory.SMSSendsPerHour-3)
			}
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": s.lastCode(t, ukMobileIn)}).want(t, http.StatusOK)

			ev, err := s.svc.ListAudit(s.ctx, s.acme.ID, directory.AuditQuery{Action: "user.mfa.sms.send_failed"})
			if err != nil || len(ev.Events) != directory.SMSSendsPerHour+1 {
				t.Fatalf("send_failed audit: %d events, %v", len(ev.Events), err)
			}
			if e := ev.Events[0]; e.TargetID != u.ID || e.Changes["purpose"].After != "login" {
				t.Errorf("send_failed audit: %+v", e)
			}
			// An enrolment's failed send costs nothing either.
			v := s.users["org_viewer"]
			session := s.loginSession(v)
			s.twilio.Fail(1)
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": "+447400654321"}).want(t, http.StatusServiceUnavailable)
			r = s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": "+447400654321"}).want(t, http.StatusOK)
			if left, _ := r.json["sendsLeft"].(float64); int(left) != directory.SMSSendsPerHour-1 {
				t.Errorf("enrolment sendsLeft %v after a failure, want %d", r.json["sendsLeft"], directory.SMSSendsPerHour-1)
			}
		})

		t.Run("concurrent sends stay within the limit", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			session := s.loginSession(s.users["user"])
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			for range 2 * directory.SMSSendsPerHour {
				wg.Go(func() {
					r := s.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": ukMobile})
					mu.Lock()
					statuses[r.status]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if statuses[http.StatusOK] != directory.SMSSendsPerHour || statuses[http.StatusTooManyRequests] != directory.SMSSendsPerHour {
				t.Errorf("statuses %v, want %d of 200 and of 429", statuses, directory.SMSSendsPerHour)
			}
			if n := len(s.twilio.Messages()); n != directory.SMSSendsPerHour {
				t.Errorf("%d texts sent", n)
			}
		})

		t.Run("wrong codes count toward lockout", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)
			s.settings(map[string]any{"lockoutThreshold": 3})
			_, pending := s.login(u.UserName, testPassword)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			code := s.lastCode(t, ukMobileIn)
			for range 3 {
				s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": wrong(code)}).want(t, http.StatusUnauthorized)
			}
			if st := s.user(u.ID).Status; st != directory.StatusLocked {
				t.Fatalf("status %s after 3 wrong codes, want locked", st)
			}
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": code}).want(t, http.StatusUnauthorized)
		})

		t.Run("a required second factor can be enrolled by SMS at the first login", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.settings(map[string]any{"mfaPolicy": "required"})
			r, pending := s.login(u.UserName, testPassword)
			if r.str("stage") != "enrol" {
				t.Fatalf("stage %q", r.str("stage"))
			}
			s.do(http.MethodPost, "/api/v1/me/mfa/sms", pending, map[string]string{"phone": ukMobile}).want(t, http.StatusOK)
			r = s.do(http.MethodPost, "/api/v1/me/mfa/sms/confirm", pending, map[string]string{"code": s.lastCode(t, ukMobileIn)}).want(t, http.StatusOK)
			if !s.works(pending) {
				t.Fatalf("the login did not become full: %s", r.body)
			}
			// The next login asks for a code.
			if r, _ := s.login(u.UserName, testPassword); r.str("stage") != "mfa" {
				t.Errorf("next login stage %q", r.str("stage"))
			}
		})

		t.Run("an org that stops allowing SMS stops offering it", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)
			s.settings(map[string]any{"mfaFactors": []string{"totp"}})
			r, token := s.login(u.UserName, testPassword)
			if r.str("stage") != "full" {
				t.Errorf("stage %q, want full (no allowed factor, optional policy)", r.str("stage"))
			}
			r = s.do(http.MethodPost, "/api/v1/me/mfa/sms", token, map[string]string{"phone": ukMobile}).want(t, http.StatusBadRequest)
			if !strings.Contains(r.str("error", "message"), "does not allow") {
				t.Errorf("message %q", r.str("error", "message"))
			}
		})

		t.Run("an admin reset removes the phone; another org's admin cannot", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)
			path := "/api/v1/users/" + u.ID + "/mfa"
			s.do(http.MethodDelete, path, s.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
			s.do(http.MethodDelete, path, s.tokens["user"], nil).want(t, http.StatusForbidden)
			if p, _ := s.svc.GetSMSPhone(s.ctx, s.acme.ID, u.ID); !p.Enrolled() {
				t.Fatal("a refused reset removed the phone")
			}
			s.do(http.MethodDelete, path, s.tokens["org_admin"], nil).want(t, http.StatusOK)
			if p, _ := s.svc.GetSMSPhone(s.ctx, s.acme.ID, u.ID); p != nil {
				t.Fatal("the phone survived the reset")
			}
			r := s.do(http.MethodGet, "/api/v1/users/"+u.ID, s.tokens["org_admin"], nil).want(t, http.StatusOK)
			if strings.Contains(string(r.body), `"sms"`) {
				t.Errorf("the user still shows an SMS factor: %s", r.body)
			}
			if r, _ := s.login(u.UserName, testPassword); r.str("stage") != "full" {
				t.Errorf("stage %q after the reset", r.str("stage"))
			}
			ev, err := s.svc.ListAudit(s.ctx, s.acme.ID, directory.AuditQuery{Action: "user.mfa.reset"})
			if err != nil || len(ev.Events) != 1 || ev.Events[0].Changes["sms"].Before != true {
				t.Errorf("reset audit: %+v %v", ev, err)
			}
		})

		t.Run("a server without a sender refuses SMS", func(t *testing.T) {
			e := newEnv(t)
			a, err := auth.NewAuthenticator(auth.Config{Directory: e.svc, TOTP: &auth.TOTP{Issuer: "Roster", Sealer: e.h.cfg.Sealer},
				Params: cheapParams, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			e.auth, e.h.auth = a, a
			r := e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{"mfaFactors": []string{"totp", "sms"}}).want(t, http.StatusBadRequest)
			if r.str("error", "field") != "mfaFactors" || !strings.Contains(r.str("error", "message"), "cannot send text messages") {
				t.Errorf("refusal: %s", r.body)
			}
			// An organization that allowed SMS while the server had a
			// sender keeps its setting, and other changes, but SMS is
			// not offered.
			if _, err := e.svc.UpdateOrg(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, 0, func(o *directory.Org) error {
				o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP, directory.FactorSMS}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{"mfaFactors": []string{"totp", "sms"}, "lockoutThreshold": 5}).want(t, http.StatusOK)
			session := e.loginSession(e.users["user"])
			e.do(http.MethodPost, "/api/v1/me/mfa/sms", session, map[string]string{"phone": "+447400123456"}).want(t, http.StatusBadRequest)
		})

		t.Run("neither codes nor numbers reach the logs or the audit", func(t *testing.T) {
			s := newSMSEnv(t, newEnv(t))
			u := s.users["user"]
			s.enrol(t, u, ukMobile, ukMobileIn)
			_, pending := s.login(u.UserName, testPassword)
			s.twilio.Fail(1)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusServiceUnavailable)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
			code := s.lastCode(t, ukMobileIn)
			s.do(http.MethodPost, "/api/v1/auth/mfa/sms/verify", pending, map[string]string{"code": code}).want(t, http.StatusOK)
			logs := s.logs.String()
			if !strings.Contains(logs, "sending a text message failed") {
				t.Errorf("the failed send was not logged: %s", logs)
			}
			ev, err := s.svc.ListAudit(s.ctx, s.acme.ID, directory.AuditQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var audit strings.Builder
			for _, e := range ev.Events {
				raw, _ := json.Marshal(e.Changes)
				audit.Write(raw)
			}
			for _, secret := range []string{code, "7400123456", "7400 123456"} {
				if strings.Contains(logs, secret) || strings.Contains(audit.String(), secret) {
					t.Errorf("%q appears in the logs or the audit", secret)
				}
			}
			if !strings.Contains(audit.String(), "•••• ••34 56") {
				t.Errorf("the audit does not show the masked number: %s", audit.String())
			}
		})
	})
}
