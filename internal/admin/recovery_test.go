package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

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
