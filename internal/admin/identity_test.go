package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// fakeDNS answers TXT lookups from a map.
type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	return f[name], nil
}

func TestDomainVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dns := fakeDNS{}
	e.svc.UseResolver(dns)
	admin, viewer := e.tokens["org_admin"], e.tokens["org_viewer"]

	e.do(http.MethodPost, "/api/v1/org/domains", viewer, map[string]any{"name": "shared.example"}).want(t, http.StatusForbidden)
	added := e.do(http.MethodPost, "/api/v1/org/domains", admin, map[string]any{"name": "Shared.Example"}).want(t, http.StatusCreated)
	record := added.str("verificationRecord")
	if added.str("name") != "shared.example" || added.json["verified"] != false || !strings.HasPrefix(record, "roster-verification=") {
		t.Fatalf("added %s", added.body)
	}
	if loc := added.header.Get("Location"); loc != "/api/v1/org/domains/shared.example" {
		t.Fatalf("Location %q", loc)
	}
	// Another organization may list the same domain while nobody has
	// verified it.
	globexAdmin := e.token("globex_admin")
	theirs := e.do(http.MethodPost, "/api/v1/org/domains", globexAdmin, map[string]any{"name": "shared.example"}).want(t, http.StatusCreated)
	if theirs.str("verificationRecord") == record {
		t.Fatal("two organizations got the same token")
	}

	t.Run("verification fails until the TXT record is published", func(t *testing.T) {
		r := e.do(http.MethodPost, "/api/v1/org/domains/shared.example/verify", admin, nil).want(t, http.StatusBadRequest)
		if !strings.Contains(r.str("error", "message"), record) {
			t.Fatalf("the error does not say what to publish: %s", r.body)
		}
		dns["shared.example"] = []string{"v=spf1 -all", record}
		r = e.do(http.MethodPost, "/api/v1/org/domains/shared.example/verify", admin, nil).want(t, http.StatusOK)
		if r.json["verified"] != true || r.str("verifiedBy") != "dns" || r.str("verifiedAt") == "" {
			t.Fatalf("verified %s", r.body)
		}
	})
	t.Run("a verified domain belongs to one organization", func(t *testing.T) {
		// Even with its own record published, globex cannot verify it.
		dns["shared.example"] = append(dns["shared.example"], theirs.str("verificationRecord"))
		r := e.do(http.MethodPost, "/api/v1/org/domains/shared.example/verify", globexAdmin, nil).want(t, http.StatusConflict)
		if r.str("error", "field") != "domain" || strings.Contains(string(r.body), "acme") {
			t.Fatalf("conflict %s", r.body)
		}
		o, err := e.svc.FindOrgByDomain(e.ctx, "shared.example")
		if err != nil || o.ID != e.acme.ID {
			t.Fatalf("FindOrgByDomain = %v, %v", o, err)
		}
	})
	t.Run("a user of another organization cannot take a login email on it", func(t *testing.T) {
		r := e.do(http.MethodPost, "/api/v1/users", globexAdmin, map[string]any{"userName": "ceo@shared.example", "role": "user", "passwordMode": "invite"}).want(t, http.StatusConflict)
		if r.str("error", "field") != "email" || !strings.Contains(r.str("error", "message"), "shared.example") {
			t.Fatalf("refusal %s", r.body)
		}
		e.do(http.MethodPost, "/api/v1/users", globexAdmin, map[string]any{"userName": "ceo", "email": "ceo@globex.example", "role": "user", "passwordMode": "invite"}).want(t, http.StatusCreated)
		e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": "ceo@shared.example", "role": "user", "passwordMode": "invite"}).want(t, http.StatusCreated)
	})
	t.Run("the primary domain moves and goes last", func(t *testing.T) {
		e.do(http.MethodDelete, "/api/v1/org/domains/acme.example", admin, nil).want(t, http.StatusBadRequest)
		l := e.do(http.MethodPost, "/api/v1/org/domains/shared.example/primary", admin, nil).want(t, http.StatusOK)
		ds, _ := l.json["domains"].([]any)
		if len(ds) != 2 || ds[1].(map[string]any)["primary"] != true || ds[0].(map[string]any)["primary"] != false {
			t.Fatalf("domains %s", l.body)
		}
		e.do(http.MethodDelete, "/api/v1/org/domains/acme.example", admin, nil).want(t, http.StatusNoContent)
		e.do(http.MethodDelete, "/api/v1/org/domains/acme.example", admin, nil).want(t, http.StatusNotFound)
		l = e.do(http.MethodGet, "/api/v1/org/domains", viewer, nil).want(t, http.StatusOK)
		if ds, _ := l.json["domains"].([]any); len(ds) != 1 {
			t.Fatalf("domains %s", l.body)
		}
	})
	t.Run("replacing the list keeps verification and never grants it", func(t *testing.T) {
		r := e.do(http.MethodPut, "/api/v1/org/domains", admin, map[string]any{"domains": []any{
			map[string]any{"name": "shared.example", "primary": true}, map[string]any{"name": "new.example"}}}).want(t, http.StatusOK)
		ds, _ := r.json["domains"].([]any)
		if len(ds) != 2 || ds[0].(map[string]any)["verified"] != true || ds[1].(map[string]any)["verified"] != false {
			t.Fatalf("domains %s", r.body)
		}
		e.do(http.MethodPut, "/api/v1/org/domains", admin, map[string]any{"domains": []any{
			map[string]any{"name": "sneaky.example", "primary": true, "verified": true}}}).want(t, http.StatusBadRequest)
	})
}

func TestLoginFindsTheOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Both organizations have jdoe, with the same login email: the email's
	// domain is verified by neither, so only the org slug tells them apart.
	hash := e.users["user"].PasswordHash
	for _, org := range []*directory.Org{e.acme, e.globex} {
		if _, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, org.ID,
			&directory.User{UserName: "jdoe", Email: "jdoe@freemail.example", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(org, email, password string) *response {
		body := map[string]string{"email": email, "password": password}
		if org != "" {
			body["org"] = org
		}
		return e.do(http.MethodPost, "/api/v1/auth/login", "", body)
	}
	wrong := login("acme", "jdoe@freemail.example", "not-the-password").want(t, http.StatusUnauthorized)

	for _, tc := range []struct{ what, org, email string }{
		{"by org slug", "acme", "jdoe@freemail.example"},
		{"by org slug, the other organization", "globex", "JDoe@freemail.example"},
		{"by verified domain", "", e.users["user"].Email},
		{"by org slug and verified domain", "acme", e.users["user"].Email},
	} {
		t.Run("a login "+tc.what+" works", func(t *testing.T) {
			login(tc.org, tc.email, testPassword).want(t, http.StatusOK)
		})
	}
	// Every failure reads the same as a wrong password.
	for _, tc := range []struct{ what, org, email string }{
		{"an email on no verified domain, without org", "", "jdoe@freemail.example"},
		{"an email that exists only in another organization", "globex", e.users["user"].Email},
		{"an email that exists nowhere", "acme", "ghost@acme.example"},
		{"an email on an unknown domain", "", "ghost@nowhere.example"},
		{"an unknown org", "initech", "jdoe@freemail.example"},
		{"a userName that is not the login email", "acme", "jdoe"},
	} {
		t.Run("a login with "+tc.what+" fails like a wrong password", func(t *testing.T) {
			r := login(tc.org, tc.email, testPassword).want(t, http.StatusUnauthorized)
			if string(r.body) != string(wrong.body) {
				t.Fatalf("got %s, a wrong password got %s", r.body, wrong.body)
			}
		})
	}
}

func TestForgottenPasswordFindsTheOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hash := e.users["user"].PasswordHash
	if _, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.globex.ID,
		&directory.User{UserName: "jdoe", Email: "jdoe@freemail.example", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	forgot := func(org, email string) {
		body := map[string]string{"email": email}
		if org != "" {
			body["org"] = org
		}
		r := e.do(http.MethodPost, "/api/v1/auth/password/forgot", "", body).want(t, http.StatusAccepted)
		if r.str("message") == "" {
			t.Fatalf("forgot: %s", r.body)
		}
	}
	// Without the org, the domain is verified by nobody: nothing is sent.
	forgot("", "jdoe@freemail.example")
	// In the wrong organization: nothing is sent either.
	forgot("acme", "jdoe@freemail.example")
	e.h.background.Wait()
	if n := e.mail.count("jdoe@freemail.example"); n != 0 {
		t.Fatalf("%d emails sent without the right organization", n)
	}
	forgot("globex", "jdoe@freemail.example")
	e.h.background.Wait()
	if n := e.mail.count("jdoe@freemail.example"); n != 1 {
		t.Fatalf("%d emails sent with the organization, want 1", n)
	}
}
