package main

import (
	"context"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestServiceCommands(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("org", "create", "--slug", "globex", "--name", "Globex")
	for _, email := range []string{"ada@acme.com", "bob@acme.com", "cy@acme.com"} {
		c.mustRun("user", "create", "--org", "acme", "--email", email, "--role", "user")
	}
	c.mustRun("user", "create", "--org", "globex", "--email", "eve@globex.com", "--role", "user")

	if out := c.mustRun("service", "list", "--org", "acme"); !strings.Contains(out, "acme has no services") {
		t.Errorf("empty list:\n%s", out)
	}
	out := c.mustRun("service", "create", "--org", "acme", "--key", "crm", "--name", "Customer CRM", "--seats", "2")
	if !strings.Contains(out, "Created service crm (Customer CRM) in acme") || !strings.Contains(out, "seat limit 2") {
		t.Errorf("create output:\n%s", out)
	}
	c.mustRun("service", "create", "--org", "acme", "--key", "wiki")
	c.mustRun("service", "create", "--org", "globex", "--key", "erp")

	out = c.mustRun("service", "assign", "--org", "acme", "--service", "crm,wiki", "--user", "ada@acme.com", "--user", "bob@acme.com")
	if !strings.Contains(out, "ada@acme.com now holds: crm, wiki") || !strings.Contains(out, "bob@acme.com now holds: crm, wiki") {
		t.Errorf("assign output:\n%s", out)
	}
	for name, args := range map[string][]string{
		"a full service":                 {"--service", "crm", "--user", "cy@acme.com"},
		"an unknown service":             {"--service", "nope", "--user", "cy@acme.com"},
		"another organization's service": {"--service", "erp", "--user", "cy@acme.com"},
		"another organization's user":    {"--service", "wiki", "--user", "eve@globex.com"},
	} {
		code, _, stderr := c.run(append([]string{"service", "assign", "--org", "acme"}, args...)...)
		if code != 1 || stderr == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
	}
	if _, _, stderr := c.run("service", "assign", "--org", "acme", "--service", "crm", "--user", "cy@acme.com"); !strings.Contains(stderr, `"crm"`) || !strings.Contains(stderr, "2 seats") {
		t.Errorf("a full service's error: %q", stderr)
	}
	code, _, stderr := c.run("service", "assign", "--org", "acme", "--user", "cy@acme.com")
	if code != 2 || !strings.Contains(stderr, "service") {
		t.Errorf("without --service: exit %d, stderr %q", code, stderr)
	}

	out = c.mustRun("service", "unassign", "--org", "acme", "--service", "crm", "--user", "ada@acme.com")
	if !strings.Contains(out, "ada@acme.com now holds: wiki") {
		t.Errorf("unassign output:\n%s", out)
	}
	c.mustRun("service", "assign", "--org", "acme", "--service", "crm", "--user", "cy@acme.com")
	out = c.mustRun("service", "list", "--org", "acme")
	if !strings.Contains(out, "crm   Customer CRM  2           2") || !strings.Contains(out, "wiki  wiki          2           none") {
		t.Errorf("list output:\n%s", out)
	}
	u, err := findUser(context.Background(), c.service(), "cy@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if !directory.HoldsService(u.Entitlements, "crm") {
		t.Errorf("cy's entitlements %v", u.Entitlements)
	}
}
