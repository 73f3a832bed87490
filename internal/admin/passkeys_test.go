package admin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/roster/roster/internal/auth/passkeytest"
	"github.com/roster/roster/internal/directory"
)

// options returns the WebAuthn options of an answer, as a browser gets
// them.
func options(t *testing.T, r *response) []byte {
	t.Helper()
	raw, err := json.Marshal(r.json["options"])
	if err != nil || r.json["options"] == nil {
		t.Fatalf("no options: %s", r.body)
	}
	return raw
}

// registerPasskey registers a new key of the authenticator under name for
// the session token and returns it with the answer.
func (e *env) registerPasskey(a *passkeytest.Authenticator, token, name string) (*passkeytest.Key, *response) {
	t := e.t
	t.Helper()
	opts := options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", token, nil).want(t, http.StatusOK))
	cred, k, err := a.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodPost, "/api/v1/me/passkeys", token, map[string]any{"name": name, "credential": json.RawMessage(cred)})
	return k, r
}

// passkeyMFA answers the passkey second step of the login token with key k
// (nil: whichever the options allow).
func (e *env) passkeyMFA(a *passkeytest.Authenticator, token string, k *passkeytest.Key) *response {
	t := e.t
	t.Helper()
	opts := options(t, e.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", token, nil).want(t, http.StatusOK))
	cred, err := a.Assert(opts, k)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token, map[string]any{"credential": json.RawMessage(cred)})
}

func (e *env) allowPasskeys(passwordless bool) {
	e.t.Helper()
	e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{
		"mfaFactors": []string{"totp", "passkey"}, "passwordlessPasskeys": passwordless,
	}).want(e.t, http.StatusOK)
}

func (e *env) auditActions(org *directory.Org, target string) map[string]int {
	e.t.Helper()
	page, err := e.svc.ListAudit(e.ctx, org.ID, directory.AuditQuery{TargetID: target, Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range page.Events {
		out[ev.Action]++
		for k := range ev.Changes {
			if k == "credential" || k == "publicKey" {
				e.t.Errorf("audit event %s holds key material: %v", ev.Action, ev.Changes)
			}
		}
	}
	return out
}

func TestPasskeyRegistration(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		ada := e.users["user"]
		token := e.loginSession(ada)
		a := passkeytest.New(publicURL)

		// The organization does not allow passkeys yet.
		e.do(http.MethodPost, "/api/v1/me/passkeys/options", token, nil).want(t, http.StatusForbidden)
		e.allowPasskeys(false)
		r := e.do(http.MethodGet, "/api/v1/me/passkeys", token, nil).want(t, http.StatusOK)
		if len(r.json["passkeys"].([]any)) != 0 {
			t.Fatalf("passkeys before any: %s", r.body)
		}

		k1, r := e.registerPasskey(a, token, "  YubiKey 5C ")
		r.want(t, http.StatusCreated)
		if r.str("passkey", "name") != "YubiKey 5C" || r.json["session"] != nil {
			t.Fatalf("registered %s", r.body)
		}
		id1 := r.str("passkey", "id")

		// The browser's answer to options it was never given, given twice,
		// or from another site, adds nothing.
		opts := options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", token, nil).want(t, http.StatusOK))
		cred, _, err := a.Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"name": "laptop", "credential": json.RawMessage(cred)}
		e.do(http.MethodPost, "/api/v1/me/passkeys", token, body).want(t, http.StatusCreated)
		r = e.do(http.MethodPost, "/api/v1/me/passkeys", token, body).want(t, http.StatusBadRequest)
		if r.code() != "invalid" {
			t.Errorf("replayed registration: %s", r.body)
		}
		for name, edit := range map[string]func(a *passkeytest.Authenticator){
			"another origin":        func(a *passkeytest.Authenticator) { a.Origin = "https://roster.example.com.evil.example" },
			"another relying party": func(a *passkeytest.Authenticator) { a.RPID = "evil.example" },
			"no user presence":      func(a *passkeytest.Authenticator) { a.Flags = 0 },
		} {
			bad := passkeytest.New(publicURL)
			edit(bad)
			if _, r := e.registerPasskey(bad, token, name); r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d: %s", name, r.status, r.body)
			}
		}
		// Options begun by another login of the same user do not fit.
		other := e.loginSession(ada) // waits for a second factor now
		e.passkeyMFA(a, other, nil).want(t, http.StatusOK)
		opts = options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", other, nil).want(t, http.StatusOK))
		cred, _, _ = a.Register(opts)
		e.do(http.MethodPost, "/api/v1/me/passkeys", token, map[string]any{"name": "x", "credential": json.RawMessage(cred)}).want(t, http.StatusBadRequest)
		// Malformed bodies, names and credentials.
		e.do(http.MethodPost, "/api/v1/me/passkeys", token, `{"name": "x", "credential": `).want(t, http.StatusBadRequest)
		e.do(http.MethodPost, "/api/v1/me/passkeys", token, map[string]any{"name": "x", "credential": "AAAA", "extra": 1}).want(t, http.StatusBadRequest)
		e.do(http.MethodPost, "/api/v1/me/passkeys", token, map[string]any{"name": "x", "credential": map[string]any{"id": "nope"}}).want(t, http.StatusBadRequest)
		opts = options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", token, nil).want(t, http.StatusOK))
		cred, _, _ = a.Register(opts)
		for _, name := range []string{"", "   ", "tab\there", string(make([]byte, 101))} {
			r := e.do(http.MethodPost, "/api/v1/me/passkeys", token, map[string]any{"name": name, "credential": json.RawMessage(cred)}).want(t, http.StatusBadRequest)
			if r.str("error", "field") != "name" {
				t.Errorf("name %q: %s", name, r.body)
			}
		}
		// Options exclude the user's own keys, and only those.
		dup := e.loginSession(e.users["org_viewer"])
		opts = options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", dup, nil).want(t, http.StatusOK))
		var o map[string]any
		_ = json.Unmarshal(opts, &o)
		if ex := o["publicKey"].(map[string]any)["excludeCredentials"]; ex != nil {
			t.Errorf("another user's options exclude ada's keys: %v", ex)
		}
		opts = options(t, e.do(http.MethodPost, "/api/v1/me/passkeys/options", token, nil).want(t, http.StatusOK))
		_ = json.Unmarshal(opts, &o)
		if ex, _ := o["publicKey"].(map[string]any)["excludeCredentials"].([]any); len(ex) != 2 {
			t.Errorf("options exclude %v, want ada's 2 keys", ex)
		}

		r = e.do(http.MethodGet, "/api/v1/me/passkeys", token, nil).want(t, http.StatusOK)
		if list := r.json["passkeys"].([]any); len(list) != 2 {
			t.Fatalf("passkeys: %s", r.body)
		}
		r = e.do(http.MethodPatch, "/api/v1/me/passkeys/"+id1, token, map[string]any{"name": "Blue key"}).want(t, http.StatusOK)
		if r.str("name") != "Blue key" {
			t.Errorf("renamed: %s", r.body)
		}
		e.do(http.MethodPatch, "/api/v1/me/passkeys/"+id1, token, map[string]any{"name": ""}).want(t, http.StatusBadRequest)
		// Another user, of this organization or another, neither sees nor
		// touches ada's passkeys.
		for _, who := range []string{"org_admin", "globex_admin"} {
			e.do(http.MethodPatch, "/api/v1/me/passkeys/"+id1, e.tokens[who], map[string]any{"name": "mine"}).want(t, http.StatusNotFound)
			e.do(http.MethodDelete, "/api/v1/me/passkeys/"+id1, e.tokens[who], nil).want(t, http.StatusNotFound)
		}
		_ = k1

		e.do(http.MethodDelete, "/api/v1/me/passkeys/"+id1, token, nil).want(t, http.StatusNoContent)
		e.do(http.MethodDelete, "/api/v1/me/passkeys/"+id1, token, nil).want(t, http.StatusNotFound)
		// When the organization requires a second factor, the last one
		// stays.
		e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{"mfaPolicy": "required"}).want(t, http.StatusOK)
		r = e.do(http.MethodGet, "/api/v1/me/passkeys", token, nil).want(t, http.StatusOK)
		last := r.json["passkeys"].([]any)[0].(map[string]any)["id"].(string)
		e.do(http.MethodDelete, "/api/v1/me/passkeys/"+last, token, nil).want(t, http.StatusConflict)
		if got := e.auditActions(e.acme, ada.ID); got["user.passkey.add"] != 2 || got["user.passkey.rename"] != 1 || got["user.passkey.remove"] != 1 {
			t.Errorf("audit: %v", got)
		}

		// An admin's reset removes them all and ends the sessions.
		e.do(http.MethodDelete, "/api/v1/users/"+ada.ID+"/mfa", e.tokens["org_admin"], nil).want(t, http.StatusOK)
		if e.works(token) {
			t.Error("a session survived the MFA reset")
		}
		if keys, _ := e.svc.ListPasskeys(e.ctx, e.acme.ID, ada.ID); len(keys) != 0 {
			t.Errorf("passkeys after the reset: %v", keys)
		}
		// Required and without a factor: the login enrols a passkey, which
		// completes it.
		r, token = e.login(ada.UserName, testPassword)
		r.want(t, http.StatusOK)
		if r.str("stage") != "enrol" {
			t.Fatalf("login after reset: %s", r.body)
		}
		e.do(http.MethodGet, "/api/v1/me/passkeys", token, nil).want(t, http.StatusUnauthorized)
		_, r = e.registerPasskey(a, token, "new key")
		r.want(t, http.StatusCreated)
		if r.str("session", "stage") != "full" || !e.works(token) {
			t.Fatalf("enrolment did not complete the login: %s", r.body)
		}
	})
}

func TestPasskeySecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		e.allowPasskeys(false)
		ada, bob := e.users["user"], e.users["org_viewer"]
		a, b := passkeytest.New(publicURL), passkeytest.New(publicURL)
		k, r := e.registerPasskey(a, e.loginSession(ada), "key")
		r.want(t, http.StatusCreated)
		bk, r := e.registerPasskey(b, e.loginSession(bob), "bob's key")
		r.want(t, http.StatusCreated)

		r, token := e.login(ada.UserName, testPassword)
		if r.want(t, http.StatusOK).str("stage") != "mfa" {
			t.Fatalf("login with a passkey enrolled: %s", r.body)
		}
		e.do(http.MethodGet, "/api/v1/me", token, nil).want(t, http.StatusUnauthorized)
		failures := func() int { return e.user(ada.ID).FailedLogins }

		// Bad answers fail and count: another user's key, a challenge the
		// server never gave, another origin, a replay, garbage.
		fails := 0
		if r := e.passkeyMFA(b, token, bk); r.status != http.StatusUnauthorized {
			t.Errorf("bob's key for ada: %d %s", r.status, r.body)
		}
		fails++
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", token, nil).want(t, http.StatusOK)
		forged, _ := a.Sign(base64.RawURLEncoding.EncodeToString([]byte("a challenge nobody gave")), "roster.example.com", k)
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token, map[string]any{"credential": json.RawMessage(forged)}).want(t, http.StatusUnauthorized)
		fails++
		evil := *a
		evil.Origin = "https://evil.example"
		e.passkeyMFA(&evil, token, k).want(t, http.StatusUnauthorized)
		fails++
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token, map[string]any{"credential": map[string]any{"type": "public-key"}}).want(t, http.StatusUnauthorized)
		fails++
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token, `{"credential": [`).want(t, http.StatusBadRequest)
		if got := failures(); got != fails {
			t.Errorf("failed logins = %d, want %d", got, fails)
		}

		opts := options(t, e.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", token, nil).want(t, http.StatusOK))
		cred, err := a.Assert(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		r = e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token, map[string]any{"credential": json.RawMessage(cred)}).want(t, http.StatusOK)
		if r.str("stage") != "full" || !e.works(token) || failures() != 0 {
			t.Fatalf("passkey second step: %s", r.body)
		}
		// The same answer does not complete another login.
		_, token2 := e.login(ada.UserName, testPassword)
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey", token2, map[string]any{"credential": json.RawMessage(cred)}).want(t, http.StatusUnauthorized)
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", token, nil).want(t, http.StatusBadRequest) // full already
		keys, _ := e.svc.ListPasskeys(e.ctx, e.acme.ID, ada.ID)
		if keys[0].LastUsedAt == nil || keys[0].SignCount != k.Count {
			t.Errorf("passkey after use: %+v (authenticator count %d)", keys[0], k.Count)
		}

		// A copy of the key, behind the original's counter, is refused and
		// audited.
		k.Count = 0
		if r := e.passkeyMFA(a, token2, k); r.status != http.StatusUnauthorized || !e.works(token) {
			t.Errorf("cloned key: %d %s", r.status, r.body)
		}
		if got := e.auditActions(e.acme, ada.ID); got["user.passkey.cloned"] != 1 {
			t.Errorf("audit: %v", got)
		}

		// A factor the organization no longer allows is not offered.
		e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_admin"], map[string]any{"mfaFactors": []string{"totp"}}).want(t, http.StatusOK)
		e.do(http.MethodPost, "/api/v1/auth/mfa/passkey/options", token2, nil).want(t, http.StatusForbidden)
		if r, _ := e.login(ada.UserName, testPassword); r.str("stage") != "full" {
			t.Errorf("login with a passkey no longer allowed (MFA optional): %s", r.body)
		}
	})
}

func TestPasswordlessPasskeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		ada := e.users["user"]
		a, g := passkeytest.New(publicURL), passkeytest.New(publicURL)
		e.allowPasskeys(false)
		_, r := e.registerPasskey(a, e.loginSession(ada), "phone")
		r.want(t, http.StatusCreated)
		// Globex allows passkeys too; its admin's key is no key of Acme's.
		e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["globex_admin"], map[string]any{
			"mfaFactors": []string{"passkey"}, "passwordlessPasskeys": true}).want(t, http.StatusOK)
		_, r = e.registerPasskey(g, e.loginSession(e.users["globex_admin"]), "globex key")
		r.want(t, http.StatusCreated)

		// Off until the organization turns it on.
		e.do(http.MethodPost, "/api/v1/auth/passkey/options", "", map[string]any{"org": "acme"}).want(t, http.StatusNotFound)
		e.allowPasskeys(true)
		e.do(http.MethodPost, "/api/v1/auth/passkey/options", "", map[string]any{"org": "nope"}).want(t, http.StatusNotFound)

		begin := func(org string) []byte {
			r := e.do(http.MethodPost, "/api/v1/auth/passkey/options", "", map[string]any{"org": org}).want(t, http.StatusOK)
			opts := options(t, r)
			var o map[string]any
			_ = json.Unmarshal(opts, &o)
			pk := o["publicKey"].(map[string]any)
			if pk["allowCredentials"] != nil || pk["userVerification"] != "required" {
				t.Fatalf("passwordless options: %s", opts)
			}
			return opts
		}
		finish := func(org string, cred []byte) *response {
			return e.do(http.MethodPost, "/api/v1/auth/passkey", "", map[string]any{"org": org, "credential": json.RawMessage(cred)})
		}

		// Globex's key at Acme's sign-in signs nobody in.
		cred, _ := g.Assert(begin("acme"), nil)
		finish("acme", cred).want(t, http.StatusUnauthorized)
		// Nor does Acme's answer to Acme's challenge at Globex.
		cred, _ = a.Assert(begin("acme"), nil)
		finish("globex", cred).want(t, http.StatusBadRequest)
		// Without user verification the passkey is one factor only.
		a.Flags = passkeytest.FlagUserPresent
		cred, _ = a.Assert(begin("acme"), nil)
		finish("acme", cred).want(t, http.StatusUnauthorized)
		a.Flags |= passkeytest.FlagUserVerified
		if got := e.user(ada.ID).FailedLogins; got != 1 {
			t.Errorf("failed logins = %d, want 1 (the unverified answer)", got)
		}

		cred, _ = a.Assert(begin("acme"), nil)
		r = finish("acme", cred).want(t, http.StatusOK)
		token := r.str("token")
		if r.str("stage") != "full" || !e.works(token) {
			t.Fatalf("passwordless sign-in: %s", r.body)
		}
		if c := r.header.Get("Set-Cookie"); c == "" {
			t.Error("no session cookie")
		}
		finish("acme", cred).want(t, http.StatusBadRequest) // replayed
		e.do(http.MethodPost, "/api/v1/auth/passkey", "", `{"org": "acme", "credential": `).want(t, http.StatusBadRequest)
		e.do(http.MethodPost, "/api/v1/auth/passkey", "", map[string]any{"org": "acme", "credential": "nope"}).want(t, http.StatusUnauthorized)

		// A suspended user's passkey signs nobody in.
		if _, err := e.svc.UpdateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, ada.ID, 0, func(u *directory.User) error {
			u.Status = directory.StatusSuspended
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		cred, _ = a.Assert(begin("acme"), nil)
		finish("acme", cred).want(t, http.StatusUnauthorized)
	})
}
