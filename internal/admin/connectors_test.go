package admin

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/ldap"
)

// withConnectors turns the connector routes on, with a runner over the
// env's directory.
func withConnectors(t *testing.T) envOption {
	return func(c *Config) {
		sealer, err := engine.NewSealer(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		runner, err := engine.NewRunner(engine.RunnerConfig{
			Directory: serviceOf(c), Sealer: sealer, Logger: c.Logger,
			Kinds: append(ldap.Kinds(nil), entra.Kind()),
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Sync = runner
	}
}

func TestConnectorRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t))

	r := e.do(http.MethodGet, "/api/v1/connectors", e.tokens["org_admin"], nil).want(t, http.StatusOK)
	if got := string(bytes.TrimSpace(r.body)); got != `{"connectors":[]}` {
		t.Errorf("an org without connectors lists %s", got)
	}
	if r := e.do(http.MethodGet, "/api/v1/connectors", "", nil).want(t, http.StatusUnauthorized); r.code() != "unauthorized" {
		t.Errorf("anonymous: code %q", r.code())
	}
	e.do(http.MethodGet, "/api/v1/connectors", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	e.do(http.MethodGet, "/api/v1/connectors", e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
	e.do(http.MethodGet, "/api/v1/connectors", e.tokens["user"], nil).want(t, http.StatusForbidden)

	create := map[string]any{
		"name": "contoso", "kind": "entra",
		"settings": map[string]any{"tenantId": "contoso.example", "clientId": "roster"},
		"secrets":  map[string]string{"clientSecret": "s3cret"},
	}
	e.do(http.MethodPost, "/api/v1/connectors", e.tokens["org_viewer"], create).want(t, http.StatusForbidden)
	c := e.do(http.MethodPost, "/api/v1/connectors", e.tokens["org_admin"], create).want(t, http.StatusCreated)
	id := c.str("id")
	if id == "" {
		t.Fatalf("created: %s", c.body)
	}
	e.do(http.MethodGet, "/api/v1/connectors/"+id, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	e.do(http.MethodGet, "/api/v1/connectors/contoso", e.tokens["org_admin"], nil).want(t, http.StatusOK)
	// Another organization's connector does not exist for its admins.
	e.do(http.MethodGet, "/api/v1/connectors/"+id, e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
	e.do(http.MethodDelete, "/api/v1/connectors/"+id, e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
	r = e.do(http.MethodGet, "/api/v1/connectors", e.tokens["globex_admin"], nil).want(t, http.StatusOK)
	if got := string(bytes.TrimSpace(r.body)); got != `{"connectors":[]}` {
		t.Errorf("globex lists %s", got)
	}
	e.do(http.MethodDelete, "/api/v1/connectors/"+id, e.tokens["org_viewer"], nil).want(t, http.StatusForbidden)
	e.do(http.MethodDelete, "/api/v1/connectors/"+id, e.tokens["org_admin"], nil).want(t, http.StatusNoContent)
}

func TestConnectorRoutesAreDocumented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t))
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc struct {
		Paths map[string]map[string]struct {
			Tags  []string `json:"tags"`
			Roles []string `json:"x-roles"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	// The connector API's routes; write ones are for org_admin alone.
	routes := []struct {
		method, path string
		write        bool
	}{
		{"GET", "/connectors", false}, {"POST", "/connectors", true},
		{"GET", "/connectors/{id}", false}, {"PATCH", "/connectors/{id}", true}, {"DELETE", "/connectors/{id}", true},
		{"POST", "/connectors/{id}/check", true}, {"POST", "/connectors/{id}/run", true}, {"POST", "/connectors/{id}/dry-run", true},
		{"GET", "/connectors/{id}/runs", false}, {"GET", "/connectors/{id}/runs/{run}", false}, {"GET", "/connectors/{id}/runs/{run}/errors", false},
		{"POST", "/connectors/{id}/runs/{run}/approve", true}, {"POST", "/connectors/{id}/runs/{run}/reject", true},
	}
	served := 0
	for _, rt := range e.h.routes {
		if strings.HasPrefix(rt.path, "/connectors") {
			served++
		}
	}
	if served != len(routes) {
		t.Errorf("the API serves %d connector routes, want the %d it documents", served, len(routes))
	}
	for _, rt := range routes {
		op, ok := doc.Paths[Prefix+rt.path][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.method, rt.path)
			continue
		}
		want := "org_admin org_viewer"
		if rt.write {
			want = "org_admin"
		}
		if got := strings.Join(op.Roles, " "); got != want || len(op.Tags) != 1 || op.Tags[0] != "connectors" {
			t.Errorf("%s %s: roles %q tags %v, want %q and connectors", rt.method, rt.path, got, op.Tags, want)
		}
	}
}

func TestConnectorRoutesOffWithoutARunner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(http.MethodGet, "/api/v1/connectors", e.tokens["org_admin"], nil).want(t, http.StatusNotFound)
}

func TestConnectorKindsComeFromTheRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t))
	e.do(http.MethodGet, "/api/v1/connector-kinds", "", nil).want(t, http.StatusUnauthorized)
	e.do(http.MethodGet, "/api/v1/connector-kinds", e.tokens["user"], nil).want(t, http.StatusForbidden)
	e.do(http.MethodGet, "/api/v1/connector-kinds", e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
	r := e.do(http.MethodGet, "/api/v1/connector-kinds", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	var got struct {
		Kinds []struct {
			Name, Label, Source string
			SettingsSchema      map[string]any    `json:"settingsSchema"`
			Secrets             []string          `json:"secrets"`
			DefaultMapping      map[string]string `json:"defaultMapping"`
		} `json:"kinds"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range got.Kinds {
		names = append(names, k.Name)
		if k.Label == "" || k.SettingsSchema["type"] != "object" || len(k.Secrets) == 0 || k.DefaultMapping["userName"] == "" {
			t.Errorf("kind %s is described incompletely: %+v", k.Name, k)
		}
	}
	if strings.Join(names, ",") != "ldap,ad,entra" {
		t.Errorf("kinds = %v, want the registered ldap, ad, entra in order", names)
	}
	for _, k := range got.Kinds {
		if k.Name == "ad" && k.DefaultMapping["userName"] != "userPrincipalName" {
			t.Errorf("ad maps userName from %q", k.DefaultMapping["userName"])
		}
	}
}

func TestCheckingAConnectorTellsNothingAboutInternalPorts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t))
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	check := func(name, addr string) (int, string) {
		c := e.do(http.MethodPost, "/api/v1/connectors", e.tokens["org_admin"], map[string]any{
			"name": name, "kind": "ldap",
			"settings": map[string]any{"url": "ldap://" + addr, "allowInsecure": true, "bindDn": "cn=roster", "userBaseDn": "dc=corp"},
			"secrets":  map[string]string{"bindPassword": "pw"},
		}).want(t, http.StatusCreated)
		r := e.do(http.MethodPost, "/api/v1/connectors/"+c.str("id")+"/check", e.tokens["org_admin"], nil)
		return r.status, r.str("error", "message")
	}
	openStatus, openMsg := check("open", open.Addr().String())
	closedStatus, closedMsg := check("closed", closed.Addr().String())
	if openStatus != http.StatusBadRequest || openStatus != closedStatus || openMsg != closedMsg {
		t.Fatalf("open port: %d %q; closed port: %d %q; want one 400 answer", openStatus, openMsg, closedStatus, closedMsg)
	}
	if !strings.Contains(openMsg, "not allowed") || strings.Contains(openMsg, "127.0.0.1") {
		t.Fatalf("message %q, want the policy's refusal, naming no address", openMsg)
	}
}

// Where the API shows role rules and services' groups, it says that the
// members of nested groups count.
func TestNestedGroupsAreDocumentedWhereGroupsGiveRolesAndServices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t))
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for name, s := range doc.Components.Schemas {
		for _, prop := range []string{"groupIds", "roleRules"} {
			p, ok := s.Properties[prop]
			if !ok {
				continue
			}
			if !strings.Contains(p.Description, "nestedGroups") {
				t.Errorf("%s.%s says nothing of nested groups: %q", name, prop, p.Description)
			}
			found[prop]++
		}
	}
	if found["groupIds"] < 2 || found["roleRules"] < 2 {
		t.Errorf("documented %v; want groupIds and roleRules each in a view and a request", found)
	}
}
