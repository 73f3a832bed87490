package admin

import (
	"context"
	"net/http"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// forEachStore runs test on an env over SQLite and one over PostgreSQL.
func forEachStore(t *testing.T, test func(t *testing.T, newEnv func(t *testing.T) *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, func(t *testing.T) *env { return newEnv(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pgtest.BaseURL(t)
		test(t, func(t *testing.T) *env {
			st, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return newEnvOn(t, st)
		})
	})
}

// works reports whether a session or token still opens the API.
func (e *env) works(token string) bool {
	e.t.Helper()
	r := e.do(http.MethodGet, "/api/v1/me", token, nil)
	switch r.status {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	}
	e.t.Fatalf("GET /me: %d %s", r.status, r.body)
	return false
}

// loginSession logs u in with testPassword and returns its session token.
func (e *env) loginSession(u *directory.User) string {
	e.t.Helper()
	r, token := e.login(u.UserName, testPassword)
	r.want(e.t, http.StatusOK)
	if token == "" {
		e.t.Fatalf("login gave no token: %s", r.body)
	}
	return token
}

// A password change or reset, a ban, a deletion and an MFA reset end the
// sessions they make untrustworthy: a session or personal token used after
// the event gets 401, and stays refused once the user is active again.
func TestSecurityEventsEndSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		t.Run("a user changing its password keeps its session and ends its other logins", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			here, other, token := e.loginSession(u), e.loginSession(u), e.tokens["user"]
			e.do(http.MethodPost, "/api/v1/me/password", here, map[string]string{
				"currentPassword": testPassword, "newPassword": "Another-Horse-77"}).want(t, http.StatusNoContent)
			if !e.works(here) {
				t.Error("the session that changed the password was ended")
			}
			if e.works(other) {
				t.Error("another login of the user still works after its password changed")
			}
			if !e.works(token) {
				t.Error("the user's personal token was revoked by its own password change")
			}
		})

		t.Run("a password an admin sets ends every login and token of the user", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			session, token := e.loginSession(u), e.tokens["user"]
			e.do(http.MethodPatch, "/api/v1/users/"+u.ID, e.tokens["org_admin"], map[string]string{"password": "Another-Horse-77"}).want(t, http.StatusOK)
			if e.works(session) || e.works(token) {
				t.Errorf("after an admin's password reset: session works %v, token works %v; want neither", e.works(session), e.works(token))
			}
			// Another user's sessions are untouched.
			if !e.works(e.tokens["org_viewer"]) {
				t.Error("another user's token was revoked")
			}
			audited(t, e, u.ID, "user.sessions.revoke", "sessions")
		})

		t.Run("unlocking with a new password revokes the tokens the lock only paused", func(t *testing.T) {
			e := newEnv(t)
			admin := e.tokens["org_admin"]
			e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"lockoutThreshold": 3}).want(t, http.StatusOK)
			u := e.users["user"]
			token := e.tokens["user"]
			for range 3 {
				e.login(u.UserName, "Wrong-Horse-00")
			}
			if e.user(u.ID).Status != directory.StatusLocked {
				t.Fatalf("the user is %s after 3 wrong passwords", e.user(u.ID).Status)
			}
			e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/unlock", admin, map[string]string{"password": "Another-Horse-77"}).want(t, http.StatusOK)
			if e.works(token) {
				t.Error("a personal token works again after an unlock with a new password")
			}
		})

		t.Run("a ban ends sessions and tokens for good", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			session, token := e.loginSession(u), e.tokens["user"]
			admin := e.tokens["org_admin"]
			e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/suspend", admin, nil).want(t, http.StatusOK)
			e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/reactivate", admin, nil).want(t, http.StatusOK)
			if e.works(session) || e.works(token) {
				t.Errorf("after a ban and a reactivation: session works %v, token works %v; want neither", e.works(session), e.works(token))
			}
		})

		t.Run("a suspension by the identity provider ends sessions and tokens for good", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			session, token := e.loginSession(u), e.tokens["user"]
			scim := directory.Actor{Kind: directory.ActorToken, ID: "scim-token", Source: directory.SourceSCIM}
			for _, to := range []directory.Status{directory.StatusSuspended, directory.StatusActive} {
				if _, err := e.svc.UpdateUser(e.ctx, scim, e.acme.ID, u.ID, 0, func(x *directory.User) error {
					x.Status, x.StatusReason = to, ""
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.user(u.ID).Status; got != directory.StatusActive {
				t.Fatalf("the user is %s after the provider suspended and reactivated it", got)
			}
			if e.works(session) || e.works(token) {
				t.Errorf("after active=false then true: session works %v, token works %v; want neither", e.works(session), e.works(token))
			}
		})

		t.Run("a deletion ends sessions and tokens for good", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			session, token := e.loginSession(u), e.tokens["user"]
			admin := e.tokens["org_admin"]
			e.do(http.MethodDelete, "/api/v1/users/"+u.ID, admin, nil).want(t, http.StatusOK)
			e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/restore", admin, nil).want(t, http.StatusOK)
			if e.works(session) || e.works(token) {
				t.Errorf("after a deletion and a restore: session works %v, token works %v; want neither", e.works(session), e.works(token))
			}
		})

		t.Run("an MFA reset ends every login and token of the user", func(t *testing.T) {
			e := newEnv(t)
			u := e.users["user"]
			session, token := e.loginSession(u), e.tokens["user"]
			e.enrol(session)
			e.do(http.MethodDelete, "/api/v1/users/"+u.ID+"/mfa", e.tokens["org_admin"], nil).want(t, http.StatusOK)
			if e.works(session) || e.works(token) {
				t.Errorf("after an MFA reset: session works %v, token works %v; want neither", e.works(session), e.works(token))
			}
			audited(t, e, u.ID, "user.mfa.reset", "totp")
			audited(t, e, u.ID, "user.sessions.revoke", "sessions")
		})

		t.Run("an unknown user's MFA reset is 404 and ends nobody's sessions", func(t *testing.T) {
			e := newEnv(t)
			e.do(http.MethodDelete, "/api/v1/users/"+e.users["globex_admin"].ID+"/mfa", e.tokens["org_admin"], nil).want(t, http.StatusNotFound)
			if !e.works(e.tokens["globex_admin"]) {
				t.Error("another organization's admin lost its token")
			}
		})
	})
}

// audited fails t unless the user's audit log has an action event that
// records field.
func audited(t *testing.T, e *env, userID, action, field string) {
	t.Helper()
	page, err := e.svc.ListAudit(e.ctx, e.acme.ID, directory.AuditQuery{TargetKind: "user", TargetID: userID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range page.Events {
		if _, ok := ev.Changes[field]; ok && ev.Action == action {
			return
		}
	}
	t.Errorf("no %s event records %s for user %s", action, field, userID)
}
