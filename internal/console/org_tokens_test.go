package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

var scimSecretRE = regexp.MustCompile(`<code id="token-secret" class="secret">([^<]+)</code>`)

// scimGet asks the SCIM endpoint for its users with a bearer token.
func scimGet(t *testing.T, e *consoletest.Env, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(e.Ctx, http.MethodGet, e.URL+"/scim/v2/Users", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestSCIMTokenIsShownOnceAndRevoked(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	expect(t, "no name", c.Post("/org/scim-tokens", url.Values{"name": {"  "}}), 422, "a token needs a name")
	r := c.Post("/org/scim-tokens", url.Values{"name": {"Entra provisioning"}})
	expect(t, "create", r, http.StatusCreated, "Copy it now", "Entra provisioning")
	m := scimSecretRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("the answer does not show the token:\n%s", r.Body)
	}
	secret := m[1]
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the secret may be cached: %q", r.Header.Get("Cache-Control"))
	}
	if got := scimGet(t, e, secret); got != http.StatusOK {
		t.Fatalf("SCIM with the new token: %d", got)
	}
	list := c.Get("/org/scim-tokens")
	expect(t, "list", list, 200, "Entra provisioning", "active")
	if strings.Contains(list.Body, secret) {
		t.Fatal("the list shows the secret again")
	}
	if strings.Contains(list.Body, ">never<") {
		t.Errorf("the list does not show the token's last use")
	}
	tokens, _ := e.Svc.ListTokens(e.Ctx, e.Acme.ID)
	if len(tokens) != 1 {
		t.Fatalf("%d tokens", len(tokens))
	}
	if r := e.SignIn("org_viewer").Post("/org/scim-tokens/"+tokens[0].ID+"/revoke", nil); r.Status != http.StatusForbidden {
		t.Fatalf("viewer revokes: %d", r.Status)
	}
	if r := c.Post("/org/scim-tokens/"+tokens[0].ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", r.Status, r.Body)
	}
	e.Clock.Add(2 * time.Second) // the SCIM endpoint trusts a token it checked for a second
	if got := scimGet(t, e, secret); got != http.StatusUnauthorized {
		t.Fatalf("SCIM with the revoked token: %d", got)
	}
	expect(t, "after revoke", c.Get("/org/scim-tokens"), 200, "Token revoked", "revoked ")

	// Another organization's token is not acme's to revoke.
	_, other, err := e.Svc.CreateToken(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.Globex.ID, "globex idp")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "globex's token", c.Post("/org/scim-tokens/"+other.ID+"/revoke", nil), http.StatusNotFound)
	if got, _ := e.Svc.ListTokens(e.Ctx, e.Globex.ID); got[0].RevokedAt != nil {
		t.Fatal("acme's admin revoked globex's token")
	}
	if strings.Contains(c.Get("/org/scim-tokens").Body, "globex idp") {
		t.Error("acme's list shows globex's token")
	}
}
