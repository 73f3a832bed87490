package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/entra/entratest"
)

func TestSyncRun(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"a missing subcommand is refused", []string{"sync"}, 2, "missing subcommand"},
		{"an unknown subcommand is refused", []string{"sync", "walk"}, 2, `unknown subcommand "walk"`},
		{"a missing --org is named", []string{"sync", "run", "--connector", "corp-ad"}, 2, "--org is required"},
		{"a missing --connector is named", []string{"sync", "run", "--org", "acme"}, 2, "--connector is required"},
		{"an unknown flag is refused", []string{"sync", "run", "--org", "acme", "--connector", "x", "--force"}, 2, "flag provided but not defined: -force"},
		{"an unknown organization fails", []string{"sync", "run", "--org", "nope", "--connector", "corp-ad"}, 1, "organization nope:"},
		{"an unknown connector fails clearly", []string{"sync", "run", "--org", "acme", "--connector", "corp-ad"}, 1, "roster: connector corp-ad:"},
		{"a dry run of an unknown connector fails too", []string{"sync", "run", "--org", "acme", "--connector", "corp-ad", "--dry-run", "--full"}, 1, "roster: connector corp-ad:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := c.run(tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

func TestServeMountsTheConnectorAPI(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_BOOTSTRAP_ENABLED"] = "false"
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("user", "create", "--org", "acme", "--email", "ada@acme.com", "--role", "org_admin", "--password", "Correct-Horse-42")
	c.mustRun("user", "create", "--org", "acme", "--email", "bob@acme.com", "--role", "user", "--password", "Correct-Horse-42")
	srv := c.startServe()

	if code, body := srv.get(t, "/api/v1/connectors"); code != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/v1/connectors = %d %s, want 401", code, body)
	}
	s := srv.login(t, "ada@acme.com", "Correct-Horse-42")
	code, body := srv.getWithToken(t, "/api/v1/connectors", s.Token)
	var list struct {
		Connectors []json.RawMessage `json:"connectors"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.Connectors) != 0 {
		t.Errorf("org_admin GET /api/v1/connectors = %d %s, want 200 and no connectors", code, body)
	}
	if code, body := srv.getWithToken(t, "/api/v1/connectors/corp-ad", s.Token); code != http.StatusNotFound {
		t.Errorf("GET /api/v1/connectors/corp-ad = %d %s, want 404", code, body)
	}
	u := srv.login(t, "bob@acme.com", "Correct-Horse-42")
	if code, body := srv.getWithToken(t, "/api/v1/connectors", u.Token); code != http.StatusForbidden {
		t.Errorf("user GET /api/v1/connectors = %d %s, want 403", code, body)
	}

	code, body = srv.get(t, "/api/v1/openapi.json")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil {
		t.Fatalf("GET /api/v1/openapi.json = %d", code)
	}
	for path, method := range map[string]string{
		"/api/v1/connectors": "get", "/api/v1/connectors/{id}/run": "post", "/api/v1/connectors/{id}/runs/{run}/approve": "post",
	} {
		if doc.Paths[path][method] == nil {
			t.Errorf("the OpenAPI document lacks %s %s", strings.ToUpper(method), path)
		}
	}
}

func TestSyncConnectorLifecycleAgainstAGraphFake(t *testing.T) {
	g := entratest.New()
	t.Cleanup(g.Close)
	g.PutUser(entratest.User{ID: entratest.ID(1), UserPrincipalName: "ana@contoso.test", Mail: "ana@contoso.test", GivenName: "Ana", AccountEnabled: true})
	g.PutUser(entratest.User{ID: entratest.ID(2), UserPrincipalName: "bo@contoso.test", Mail: "bo@contoso.test", GivenName: "Bo", AccountEnabled: true})

	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	file := filepath.Join(t.TempDir(), "contoso.json")
	body := fmt.Sprintf(`{"name":"contoso","kind":"entra","settings":{"tenantId":%q,"clientId":%q,"authorityUrl":%q,"graphUrl":%q},
		"secrets":{"clientSecret":%q},"schedule":"@every 1h","deprovision":"suspend"}`, g.TenantID, g.ClientID, g.URL, g.URL, g.ClientSecret)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	out := c.mustRun("sync", "connector", "create", "--org", "acme", "--file", file)
	if !strings.Contains(out, `Created entra connector "contoso" in acme`) {
		t.Fatalf("create output:\n%s", out)
	}
	if out := c.mustRun("sync", "connector", "list", "--org", "acme"); !strings.Contains(out, "contoso") || strings.Contains(out, g.ClientSecret) {
		t.Fatalf("list output (must name the connector, never its secret):\n%s", out)
	}
	// The fake Graph listens on loopback, which only an allow-list opens.
	code, out, _ := c.run("sync", "run", "--org", "acme", "--connector", "contoso")
	if code != 1 || !strings.Contains(out, "the destination is not allowed") {
		t.Fatalf("a run against loopback without outbound.allow: exit %d\n%s", code, out)
	}
	c.env["ROSTER_OUTBOUND_ALLOW"] = "127.0.0.1"
	c.mustRun("sync", "run", "--org", "acme", "--connector", "contoso")
	u, err := findUser(context.Background(), c.service(), "bo@contoso.test")
	if err != nil || u.Source != directory.SourceEntra || u.SourceRef != entratest.ID(2) {
		t.Fatalf("synced user %+v, %v", u, err)
	}
	if code, _, stderr := c.run("sync", "connector", "create", "--org", "acme", "--file", file); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("a second connector of the same name: exit %d, %s", code, stderr)
	}
	if code, _, _ := c.run("sync", "approve", "--org", "acme", "--run", "nope"); code != 1 {
		t.Errorf("approving an unknown run: exit %d, want 1", code)
	}
	if code, _, _ := c.run("sync", "connector", "create", "--org", "acme"); code != 2 {
		t.Errorf("create without --file: exit %d, want 2", code)
	}
	c.mustRun("sync", "connector", "delete", "--org", "acme", "--connector", "contoso")
	if out := c.mustRun("sync", "connector", "list", "--org", "acme"); strings.Contains(out, "contoso") {
		t.Fatalf("deleted connector still listed:\n%s", out)
	}
}

func TestSyncConnectorKindsListsEveryKind(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("sync", "connector", "kinds")
	for _, want := range []string{"ldap", "OpenLDAP / RFC 4512 LDAP", "ad", "Active Directory", "entra", "Microsoft Entra ID", "bindPassword", "clientSecret"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync connector kinds does not show %q:\n%s", want, out)
		}
	}
	var kinds []struct {
		Name     string            `json:"name"`
		Settings json.RawMessage   `json:"settingsSchema"`
		Mapping  map[string]string `json:"defaultMapping"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("sync", "connector", "kinds", "--json")), &kinds); err != nil || len(kinds) != 3 {
		t.Fatalf("sync connector kinds --json = %d kinds, %v", len(kinds), err)
	}
	for _, k := range kinds {
		if len(k.Settings) == 0 || k.Mapping["userName"] == "" {
			t.Errorf("kind %s has no settings schema or maps no userName", k.Name)
		}
	}
}
