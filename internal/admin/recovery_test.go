package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/auth/passkeytest"
	"github.com/roster/roster/internal/directory"
)

// recoveryCodesOf reads the recoveryCodes of an answer.
func recoveryCodesOf(t *testing.T, r *response) []string {
	t.Helper()
	list, ok := r.json["recoveryCodes"].([]any)
	if !ok {
		t.Fatalf("no recoveryCodes in %s", r.body)
	}
	out := make([]string, 0, len(list))
	for _, c := range list {
		out = append(out, c.(string))
	}
	return out
}

// auditChanges returns the changes of the target's audit events of an
// action, oldest first.
func (e *env) auditChanges(org *directory.Org, target, action string) []map[string]directory.Change {
	e.t.Helper()
	page, err := e.svc.ListAudit(e.ctx, org.ID, directory.AuditQuery{TargetID: target, Action: action, Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]map[string]directory.Change, len(page.Events))
	for i, ev := range page.Events {
		out[len(page.Events)-1-i] = ev.Changes
	}
	return out
}

func TestPasskeyAsFirstFactorGivesRecoveryCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		e.allowPasskeys(false)
		ada := e.users["user"]
		a := passkeytest.New(publicURL)
		token := e.loginSession(ada)

		// The first passkey comes with recovery codes, shown once and
		// stored as hashes only.
		_, r := e.registerPasskey(a, token, "first")
		codes := recoveryCodesOf(t, r.want(t, http.StatusCreated))
		if len(codes) != auth.RecoveryCodeCount {
			t.Fatalf("first passkey: %d recovery codes: %s", len(codes), r.body)
		}
		m, err := e.svc.GetMFA(e.ctx, e.acme.ID, ada.ID)
		if err != nil || m.RecoveryCodesLeft != auth.RecoveryCodeCount {
			t.Fatalf("stored recovery codes: %+v %v", m, err)
		}
		if ok, err := e.store.MFA().ConsumeRecoveryCode(e.ctx, e.acme.ID, ada.ID, codes[0], e.clock.Now()); err != nil || ok {
			t.Errorf("a code is stored as itself (%v, %v)", ok, err)
		}
		// A second passkey keeps the codes and shows none.
		_, r = e.registerPasskey(a, token, "second")
		if got := recoveryCodesOf(t, r.want(t, http.StatusCreated)); len(got) != 0 {
			t.Errorf("second passkey: recovery codes %v", got)
		}

		// A lost key: a recovery code completes the login, once.
		r, pending := e.login(ada.UserName, testPassword)
		if r.str("stage") != "mfa" {
			t.Fatalf("login: %s", r.body)
		}
		e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": codes[3]}).want(t, http.StatusOK)
		_, again := e.login(ada.UserName, testPassword)
		e.do(http.MethodPost, "/api/v1/auth/mfa", again, map[string]string{"recoveryCode": codes[3]}).want(t, http.StatusUnauthorized)

		// The enrolment's audit says codes were issued (how many, never
		// which); the second passkey's says nothing of them.
		adds := e.auditChanges(e.acme, ada.ID, "user.passkey.add")
		if len(adds) != 2 || fmt.Sprint(adds[0]["recoveryCodes"].After) != fmt.Sprint(auth.RecoveryCodeCount) {
			t.Fatalf("passkey.add audit: %+v", adds)
		}
		if _, ok := adds[1]["recoveryCodes"]; ok {
			t.Errorf("the second passkey's audit issues codes: %+v", adds[1])
		}
		raw, _ := json.Marshal(adds)
		for _, c := range codes {
			if strings.Contains(string(raw), c) {
				t.Errorf("the audit holds a recovery code")
			}
		}
	})
}

func TestEnrolmentAtLoginWithAPasskeyGivesRecoveryCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{
			"mfaFactors": []string{"passkey"}, "mfaPolicy": "required"}).want(t, http.StatusOK)
		ada := e.users["user"]
		r, pending := e.login(ada.UserName, testPassword)
		if r.str("stage") != "enrol" {
			t.Fatalf("login: %s", r.body)
		}
		_, r = e.registerPasskey(passkeytest.New(publicURL), pending, "phone")
		r.want(t, http.StatusCreated)
		if codes := recoveryCodesOf(t, r); len(codes) != auth.RecoveryCodeCount || r.str("session", "stage") != "full" {
			t.Fatalf("enrolment at login: %s", r.body)
		}
	})
}

func TestTOTPAfterAPasskeyStillReplacesTheCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		e.allowPasskeys(false)
		ada := e.users["user"]
		token := e.loginSession(ada)
		_, r := e.registerPasskey(passkeytest.New(publicURL), token, "key")
		old := recoveryCodesOf(t, r.want(t, http.StatusCreated))
		_, fresh := e.enrol(token)
		_, pending := e.login(ada.UserName, testPassword)
		e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": old[0]}).want(t, http.StatusUnauthorized)
		e.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": fresh[0]}).want(t, http.StatusOK)
		enrols := e.auditChanges(e.acme, ada.ID, "user.mfa.enrol")
		if len(enrols) != 1 || enrols[0]["recoveryCodes"].After == nil {
			t.Errorf("TOTP enrolment audit: %+v", enrols)
		}
	})
}

// factorsOf reads the factors of a login's answer.
func factorsOf(r *response) string {
	list, _ := r.json["factors"].([]any)
	out := make([]string, 0, len(list))
	for _, f := range list {
		out = append(out, f.(string))
	}
	return strings.Join(out, ",")
}

func TestLoginAnswerListsTheSecondFactorsAndMFATakesEach(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		s := newSMSEnv(t, newEnv(t))
		s.settings(map[string]any{"mfaFactors": []string{"totp", "sms", "passkey"}})
		u, v := s.users["user"], s.users["org_viewer"]

		// No second factor: a full login lists none.
		r, _ := s.login(u.UserName, testPassword)
		if r.str("stage") != "full" || r.json["factors"] != nil {
			t.Fatalf("login without a factor: %s", r.body)
		}

		// A phone only: sms and its recovery codes.
		session := s.enrol(t, u, ukMobile, ukMobileIn)
		r, pending := s.login(u.UserName, testPassword)
		if r.str("stage") != "mfa" || factorsOf(r) != "sms,recovery" {
			t.Fatalf("login with a phone: %s", r.body)
		}
		// Each listed factor completes the login through /auth/mfa.
		s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
		texted := s.lastCode(t, ukMobileIn)
		// A texted code is no TOTP code.
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"code": texted}).want(t, http.StatusUnauthorized)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "sms", "code": wrong(texted)}).want(t, http.StatusUnauthorized)
		s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
		texted = s.lastCode(t, ukMobileIn)
		r = s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "sms", "code": texted}).want(t, http.StatusOK)
		if r.str("stage") != "full" || !s.works(pending) {
			t.Fatalf("factor sms: %s", r.body)
		}

		// A passkey and TOTP as well: all four, in order.
		a := passkeytest.New(publicURL)
		_, reg := s.registerPasskey(a, session, "key")
		reg.want(t, http.StatusCreated)
		s.clock.Add(time.Minute)
		secret, _ := s.env.enrol(session)
		r, pending = s.login(u.UserName, testPassword)
		if factorsOf(r) != "totp,sms,passkey,recovery" {
			t.Fatalf("login with every factor: %s", r.body)
		}
		opts := options(t, s.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", pending, nil).want(t, http.StatusOK))
		cred, err := a.Assert(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		r = s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]any{"factor": "passkey", "credential": json.RawMessage(cred)}).want(t, http.StatusOK)
		if r.str("stage") != "full" {
			t.Fatalf("factor passkey: %s", r.body)
		}

		// Recovery codes, by factor recovery (in code or recoveryCode).
		_, pending = s.login(u.UserName, testPassword)
		s.clock.Add(30 * time.Second)
		codes := recoveryCodesOf(t, s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes", session,
			map[string]string{"code": code(t, secret, s.clock.Now())}).want(t, http.StatusOK))
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "recovery", "code": codes[0]}).want(t, http.StatusOK)
		_, pending = s.login(u.UserName, testPassword)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "recovery", "recoveryCode": codes[0]}).want(t, http.StatusUnauthorized)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "recovery", "recoveryCode": codes[1]}).want(t, http.StatusOK)

		// Bad input: an unknown factor, malformed JSON, no session,
		// another user's texted code.
		_, pending = s.login(u.UserName, testPassword)
		r = s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "email", "code": "123456"}).want(t, http.StatusBadRequest)
		if r.str("error", "field") != "factor" {
			t.Errorf("unknown factor: %s", r.body)
		}
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, `{"factor": "sms", "code": `).want(t, http.StatusBadRequest)
		s.do(http.MethodPost, "/api/v1/auth/mfa", "", map[string]string{"factor": "sms", "code": "123456"}).want(t, http.StatusUnauthorized)
		s.enrol(t, v, "+447400654321", "+447400654321")
		_, other := s.login(v.UserName, testPassword)
		s.do(http.MethodPost, "/api/v1/auth/mfa/sms", other, nil).want(t, http.StatusOK)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"factor": "sms", "code": s.lastCode(t, "+447400654321")}).want(t, http.StatusUnauthorized)
		if s.works(pending) {
			t.Error("bad input completed the login")
		}

		// A login held at the enrol stage lists what may be enrolled.
		s.settings(map[string]any{"mfaPolicy": "required", "mfaFactors": []string{"sms", "passkey"}})
		r, _ = s.login(s.users["billing_admin"].UserName, testPassword)
		if r.str("stage") != "enrol" || factorsOf(r) != "sms,passkey" || r.str("next") != "/api/v1/me/mfa/sms" {
			t.Errorf("login at the enrol stage, TOTP not allowed: %s", r.body)
		}
	})
}

func TestRecoveryCodesRenewedWithAPhoneOrAPasskey(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		s := newSMSEnv(t, newEnv(t))
		s.settings(map[string]any{"mfaFactors": []string{"totp", "sms", "passkey"}, "lockoutThreshold": 5})
		u, v := s.users["user"], s.users["org_viewer"]
		renew := func(token string, body any) *response {
			return s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes", token, body)
		}
		// Without any second factor there is nothing to renew.
		bare := s.loginSession(v)
		s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes/sms", bare, nil).want(t, http.StatusBadRequest)
		renew(bare, map[string]string{"factor": "sms", "code": "123456"}).want(t, http.StatusBadRequest)

		// A phone only.
		session := s.enrol(t, u, ukMobile, ukMobileIn)
		m, _ := s.svc.GetMFA(s.ctx, s.acme.ID, u.ID)
		first := m.RecoveryCodesLeft
		// A TOTP code is refused: there is no app to prove.
		r := renew(session, map[string]string{"code": "123456"}).want(t, http.StatusBadRequest)
		if r.str("error", "field") != "factor" {
			t.Errorf("totp without an app: %s", r.body)
		}
		// Re-authentication as for TOTP: the texted code, once; a wrong or
		// login code counts and fails.
		s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes/sms", session, nil).want(t, http.StatusOK)
		texted := s.lastCode(t, ukMobileIn)
		renew(session, map[string]string{"factor": "sms", "code": wrong(texted)}).want(t, http.StatusUnauthorized)
		if n := s.user(u.ID).FailedLogins; n != 1 {
			t.Errorf("failed logins %d after a wrong code, want 1", n)
		}
		r = renew(session, map[string]string{"factor": "sms", "code": texted}).want(t, http.StatusOK)
		codes := recoveryCodesOf(t, r)
		if len(codes) != auth.RecoveryCodeCount || first != auth.RecoveryCodeCount {
			t.Fatalf("renewed by SMS: %s (first set %d)", r.body, first)
		}
		renew(session, map[string]string{"factor": "sms", "code": texted}).want(t, http.StatusUnauthorized)
		// A code texted for a login does not renew codes.
		_, pending := s.login(u.UserName, testPassword)
		s.do(http.MethodPost, "/api/v1/auth/mfa/sms", pending, nil).want(t, http.StatusOK)
		renew(session, map[string]string{"factor": "sms", "code": s.lastCode(t, ukMobileIn)}).want(t, http.StatusUnauthorized)
		// A login still waiting for its second factor cannot ask.
		s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes/sms", pending, nil).want(t, http.StatusUnauthorized)
		// The new codes work at login.
		_, pending = s.login(u.UserName, testPassword)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": codes[0]}).want(t, http.StatusOK)

		// A passkey only (another user).
		w := s.users["billing_admin"]
		wsession := s.loginSession(w)
		a := passkeytest.New(publicURL)
		_, reg := s.registerPasskey(a, wsession, "key")
		old := recoveryCodesOf(t, reg.want(t, http.StatusCreated))
		opts := options(t, s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes/passkey/options", wsession, nil).want(t, http.StatusOK))
		cred, err := a.Assert(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another session's ceremony, or a replay, does not fit.
		other := s.loginSession(w)
		renew(other, map[string]any{"factor": "passkey", "credential": json.RawMessage(cred)}).want(t, http.StatusUnauthorized)
		opts = options(t, s.do(http.MethodPost, "/api/v1/me/mfa/recovery-codes/passkey/options", wsession, nil).want(t, http.StatusOK))
		cred, _ = a.Assert(opts, nil)
		r = renew(wsession, map[string]any{"factor": "passkey", "credential": json.RawMessage(cred)}).want(t, http.StatusOK)
		fresh := recoveryCodesOf(t, r)
		if len(fresh) != auth.RecoveryCodeCount {
			t.Fatalf("renewed by passkey: %s", r.body)
		}
		renew(wsession, map[string]any{"factor": "passkey", "credential": json.RawMessage(cred)}).want(t, http.StatusUnauthorized)
		_, pending = s.login(w.UserName, testPassword)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": old[0]}).want(t, http.StatusUnauthorized)
		s.do(http.MethodPost, "/api/v1/auth/mfa", pending, map[string]string{"recoveryCode": fresh[0]}).want(t, http.StatusOK)
		// The passkey options of a login's second step do not renew codes.
		_, pending = s.login(w.UserName, testPassword)
		opts = options(t, s.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", pending, nil).want(t, http.StatusOK))
		cred, _ = a.Assert(opts, nil)
		renew(wsession, map[string]any{"factor": "passkey", "credential": json.RawMessage(cred)}).want(t, http.StatusUnauthorized)

		// Bad input: malformed JSON, an unknown factor, another user's
		// phone; nothing changes.
		renew(wsession, `{"factor": "passkey", "credential": `).want(t, http.StatusBadRequest)
		renew(wsession, map[string]string{"factor": "email"}).want(t, http.StatusBadRequest)
		renew(wsession, map[string]string{"factor": "sms", "code": "123456"}).want(t, http.StatusBadRequest)
		renew("", map[string]string{"factor": "sms", "code": "123456"}).want(t, http.StatusUnauthorized)
		if m, _ := s.svc.GetMFA(s.ctx, s.acme.ID, w.ID); m.RecoveryCodesLeft != auth.RecoveryCodeCount-1 {
			t.Errorf("recovery codes left %d after refused renewals", m.RecoveryCodesLeft)
		}

		// Audited, with the factor that proved it; never a code.
		for _, who := range []*directory.User{u, w} {
			ev := s.auditChanges(s.acme, who.ID, "user.mfa.recovery_codes")
			if len(ev) != 1 || ev[0]["recoveryCodes"].After == nil {
				t.Fatalf("recovery_codes audit of %s: %+v", who.UserName, ev)
			}
		}
		if got := s.auditChanges(s.acme, u.ID, "user.mfa.recovery_codes")[0]["factor"].After; got != "sms" {
			t.Errorf("factor %v, want sms", got)
		}
		if got := s.auditChanges(s.acme, w.ID, "user.mfa.recovery_codes")[0]["factor"].After; got != "passkey" {
			t.Errorf("factor %v, want passkey", got)
		}
		raw, _ := json.Marshal(s.auditChanges(s.acme, u.ID, ""))
		for _, secret := range append(append([]string{texted, "7400123456"}, codes...), fresh...) {
			if strings.Contains(string(raw), secret) || strings.Contains(s.logs.String(), secret) {
				t.Errorf("%q is in the audit or the logs", secret)
			}
		}
	})
}
