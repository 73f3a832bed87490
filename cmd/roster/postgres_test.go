package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// newPostgresCLI is newCLI on a new PostgreSQL database, with what serve
// needs there: an encryption key and the first admin's password.
func newPostgresCLI(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	c.env["ROSTER_DATABASE_URL"] = pgtest.NewEmptyDatabaseURL(t)
	c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	c.env["ROSTER_BOOTSTRAP_ADMIN_PASSWORD"] = "correct horse battery"
	return c
}

// TestPostgres runs serve and the CLI against PostgreSQL: the same commands
// must work whichever backend the URL names.
func TestPostgres(t *testing.T) {
	c := newPostgresCLI(t)

	if out := c.mustRun("migrate"); out != "The postgres database schema is up to date.\n" {
		t.Fatalf("migrate printed %q", out)
	}

	srv := c.startServe()
	if code, body := srv.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	session := srv.login(t, "admin@example.com", "correct horse battery")
	if code, body := srv.getWithToken(t, "/api/v1/users", session.Token); code != http.StatusOK || !strings.Contains(body, "admin@example.com") {
		t.Fatalf("GET /api/v1/users = %d %s", code, body)
	}
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), "key_file") {
		t.Errorf("serve on PostgreSQL used a key file:\n%s", srv.stderr)
	}
	if !strings.Contains(srv.stdout.String(), "SCIM token:") || !strings.Contains(srv.stderr.String(), `"backend":"postgres"`) {
		t.Fatalf("serve on PostgreSQL did not bootstrap:\nstdout:\n%s\nstderr:\n%s", srv.stdout, srv.stderr)
	}

	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("user", "create", "--org", "acme", "--email", "ada@acme.com", "--role", "org_admin", "--generate-password")
	out := c.mustRun("token", "create", "--org", "acme", "--name", "okta")
	id := capture(t, `id (\S+)\.`, out)
	c.mustRun("token", "revoke", "--org", "acme", "--id", id)
	if out := c.mustRun("token", "list", "--org", "acme"); !strings.Contains(out, "revoked") {
		t.Fatalf("token list:\n%s", out)
	}
	if n, err := c.service().CountOrgs(context.Background()); err != nil || n != 2 {
		t.Fatalf("CountOrgs = %d, %v; want default and acme", n, err)
	}
}

// TestServeWithAReadReplicaDown serves with a database.read_url nothing
// listens on: the server is ready, the audit log answers from the primary,
// and /metrics counts the fallback; the log never shows the password.
func TestServeWithAReadReplicaDown(t *testing.T) {
	c := newPostgresCLI(t)
	c.env["ROSTER_DATABASE_READ_URL"] = "postgres://roster:hunter2@127.0.0.1:1/roster?sslmode=disable"

	srv := c.startServe()
	if code, body := srv.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	session := srv.login(t, "admin@example.com", "correct horse battery")
	if code, body := srv.getWithToken(t, "/api/v1/audit?action=org.create", session.Token); code != http.StatusOK || !strings.Contains(body, `"org.create"`) {
		t.Fatalf("GET /api/v1/audit = %d %s", code, body)
	}
	_, metrics := srv.get(t, "/metrics")
	for _, want := range []string{`roster_read_replica_fallbacks_total{reason="unreachable"} 1`, `roster_read_replica_fallbacks_total{reason="lag"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	srv.stop(t)
	log := srv.stderr.String()
	if !strings.Contains(log, `"read_replica":true`) || !strings.Contains(log, "read replica unreachable") {
		t.Errorf("the log does not tell of the replica:\n%s", log)
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("the log shows the read URL's password:\n%s", log)
	}
}
