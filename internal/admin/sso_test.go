package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/auth/oidctest"
	"github.com/roster/roster/internal/directory"
)

// ssoLogin runs a browser's single sign-on through the fake provider and
// returns the callback's response.
func (e *env) ssoLogin(slug string) *response {
	t := e.t
	t.Helper()
	start := e.do(http.MethodGet, "/api/v1/auth/sso/"+slug+"/start", "", nil).want(t, http.StatusFound)
	var flow *http.Cookie
	for _, c := range (&http.Response{Header: start.header}).Cookies() {
		if c.Name == ssoCookie {
			flow = c
		}
	}
	if flow == nil || !flow.HttpOnly {
		t.Fatalf("no flow cookie: %v", start.header)
	}
	cb, err := e.idp.Login(e.ctx, start.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb.String(), "https://roster.example.com"+CallbackPath) {
		t.Fatalf("the provider sent the browser to %s", cb)
	}
	return e.do(http.MethodGet, cb.RequestURI(), "", nil, flow)
}

func sessionCookieOf(r *response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

func TestOIDCSingleSignOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSSO)
	admin := e.tokens["org_admin"]
	e.do(http.MethodGet, "/api/v1/auth/sso/acme/start", "", nil).want(t, http.StatusNotFound)
	r := e.do(http.MethodPut, "/api/v1/org/sso", admin, map[string]any{
		"issuer": e.idp.Issuer(), "clientId": "roster-client", "clientSecret": "idp-secret", "enabled": true,
	}).want(t, http.StatusOK)
	if strings.Contains(string(r.body), "idp-secret") || r.json["clientSecretSet"] != true || r.str("redirectUrl") != "https://roster.example.com"+CallbackPath {
		t.Fatalf("settings %s", r.body)
	}
	if got := e.do(http.MethodGet, "/api/v1/org/sso", e.tokens["org_viewer"], nil).want(t, http.StatusOK); strings.Contains(string(got.body), "idp-secret") {
		t.Fatal("the client secret is shown")
	}

	sso, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID,
		&directory.User{UserName: "sso@acme.example", GivenName: "Sso", AuthMethod: directory.AuthSSO})
	if err != nil {
		t.Fatal(err)
	}
	e.idp.SetUser(oidctest.User{Subject: "idp-1", Email: "SSO@acme.example", EmailVerified: true})
	r = e.ssoLogin("acme").want(t, http.StatusSeeOther)
	cookie := sessionCookieOf(r)
	if cookie == nil || r.header.Get("Location") != "https://roster.example.com/" {
		t.Fatalf("callback: %v %s", r.header, r.body)
	}
	me := e.do(http.MethodGet, "/api/v1/me", "", nil, cookie).want(t, http.StatusOK)
	if me.str("id") != sso.ID || e.user(sso.ID).LastLoginAt == nil {
		t.Fatalf("me after sso: %s", me.body)
	}
	if r, _ := e.login("sso@acme.example", testPassword); r.status != http.StatusUnauthorized {
		t.Fatal("a single sign-on user logged in with a password")
	}

	refusals := []struct {
		name string
		user oidctest.User
	}{
		{"an unverified email", oidctest.User{Subject: "idp-2", Email: "sso@acme.example"}},
		{"an email nobody in the organization has", oidctest.User{Subject: "idp-3", Email: "stranger@acme.example", EmailVerified: true}},
		{"a user of another organization", oidctest.User{Subject: "idp-4", Email: "admin@globex.example", EmailVerified: true}},
	}
	for _, c := range refusals {
		t.Run(c.name+" is refused", func(t *testing.T) {
			e.idp.SetUser(c.user)
			r := e.ssoLogin("acme")
			if r.status != http.StatusUnauthorized || sessionCookieOf(r) != nil {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
	t.Run("home realm discovery finds the provider from the verified domain", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/v1/auth/sso/discover?email="+url.QueryEscape("anyone@ACME.example"), "", nil).want(t, http.StatusFound)
		if !strings.HasPrefix(r.header.Get("Location"), e.idp.Issuer()) {
			t.Fatalf("discovery sent the browser to %s", r.header.Get("Location"))
		}
		e.do(http.MethodGet, "/api/v1/auth/sso/discover?email=someone@unverified.example", "", nil).want(t, http.StatusNotFound)
		e.do(http.MethodGet, "/api/v1/auth/sso/discover?email=nobody", "", nil).want(t, http.StatusBadRequest)
	})
	t.Run("a callback without the flow cookie is refused", func(t *testing.T) {
		e.do(http.MethodGet, CallbackPath+"?code=x&state=y", "", nil).want(t, http.StatusUnauthorized)
	})
	t.Run("a suspended user is refused", func(t *testing.T) {
		e.do(http.MethodPost, "/api/v1/users/"+sso.ID+"/suspend", admin, nil).want(t, http.StatusOK)
		e.do(http.MethodGet, "/api/v1/me", "", nil, cookie).want(t, http.StatusUnauthorized)
		e.idp.SetUser(oidctest.User{Subject: "idp-1", Email: "sso@acme.example", EmailVerified: true})
		e.ssoLogin("acme").want(t, http.StatusUnauthorized)
	})
	t.Run("disabled single sign-on starts nothing", func(t *testing.T) {
		e.do(http.MethodPut, "/api/v1/org/sso", admin, map[string]any{"issuer": e.idp.Issuer(), "clientId": "roster-client", "enabled": false}).want(t, http.StatusOK)
		e.do(http.MethodGet, "/api/v1/auth/sso/acme/start", "", nil).want(t, http.StatusNotFound)
		e.do(http.MethodDelete, "/api/v1/org/sso", admin, nil).want(t, http.StatusNoContent)
		e.do(http.MethodDelete, "/api/v1/org/sso", admin, nil).want(t, http.StatusNotFound)
	})
	e.do(http.MethodPut, "/api/v1/org/sso", admin, map[string]any{"issuer": "ftp://idp", "clientId": "c", "clientSecret": "s"}).want(t, http.StatusBadRequest)
}
