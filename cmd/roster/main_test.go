package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
)

// cheapParams keep password hashing fast in tests.
var cheapParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// cli runs commands against one database, as an operator would.
type cli struct {
	t      *testing.T
	env    map[string]string
	dbPath string
	// now, if set, is the clock of the commands run from here on.
	now func() time.Time
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "roster.db")
	return &cli{t: t, dbPath: db, env: map[string]string{
		"ROSTER_DATABASE_URL": "sqlite:" + db,
		"ROSTER_HTTP_ADDR":    "127.0.0.1:0",
	}}
}

func (c *cli) app(stdout, stderr *logtest.Buffer) *app {
	var environ []string
	for k, v := range c.env {
		environ = append(environ, k+"="+v)
	}
	a := newApp(stdout, stderr, environ)
	a.passwordParams = cheapParams
	if c.now != nil {
		a.now = c.now
	}
	return a
}

// run runs one command line to completion.
func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut logtest.Buffer
	code = c.app(&out, &errOut).run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// mustRun runs a command line that must succeed and returns its output.
func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	code, stdout, stderr := c.run(args...)
	if code != 0 {
		c.t.Fatalf("roster %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// service opens the test database directly, to check what commands did.
func (c *cli) service() *directory.Service {
	c.t.Helper()
	st, _, err := openStore(context.Background(), c.env["ROSTER_DATABASE_URL"], time.Now)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = st.Close() })
	return directory.NewService(st, nil)
}

// capture returns the first group of re in s, failing the test without it.
func capture(t *testing.T, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("output does not match %s:\n%s", re, s)
	}
	return m[1]
}

func TestUsage(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command shows the usage", nil, 2, "Usage: roster <command>"},
		{"an unknown command is refused", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"an unknown subcommand is refused", []string{"token", "burn"}, 2, `unknown subcommand "burn"`},
		{"a missing subcommand is refused", []string{"org"}, 2, "missing subcommand"},
		{"an unknown flag is refused", []string{"migrate", "--colour"}, 2, "flag provided but not defined: -colour"},
		{"a stray argument is refused", []string{"migrate", "now"}, 2, `unexpected argument "now"`},
		{"a missing required flag is named", []string{"org", "create", "--slug", "acme"}, 2, "--name is required"},
		{"a command's help exits 0", []string{"org", "create", "-h"}, 0, "Usage: roster org create"},
		{"a bad role is refused before touching the database", []string{"user", "create", "--org", "a", "--email", "a@b.co", "--role", "god"}, 2, `--role "god"`},
		{"both password flags are refused", []string{"user", "create", "--org", "a", "--email", "a@b.co", "--role", "user", "--password", "x", "--generate-password"}, 2, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := c.run(tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		if out := newCLI(t).mustRun(arg); !strings.Contains(out, "Commands:") {
			t.Errorf("roster %s printed %q", arg, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out := newCLI(t).mustRun("version")
	if !regexp.MustCompile(`^roster \S+ \(go1\.\S+ \w+/\w+\)\n$`).MatchString(out) {
		t.Fatalf("version printed %q", out)
	}
}

func TestConfigProblemsAreReported(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_LOG_LEVEL"] = "loud"
	c.env["ROSTER_HTTP_SHUTDOWN_TIMEOUT"] = "never"
	code, _, stderr := c.run("migrate")
	if code != 1 || !strings.Contains(stderr, "log.level") || !strings.Contains(stderr, "ROSTER_HTTP_SHUTDOWN_TIMEOUT") {
		t.Fatalf("exit %d, stderr:\n%s\nwant both problems listed", code, stderr)
	}
}

func TestAMisspeltVariableStopsStartup(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_LOG_LVL"] = "debug"
	c.env["ROSTER_HTTP_SHUTDOWN_TIMEOUT"] = "never"
	code, _, stderr := c.run("serve")
	if code != 1 || !strings.Contains(stderr, "unknown environment variables ROSTER_LOG_LVL") ||
		!strings.Contains(stderr, "ROSTER_HTTP_SHUTDOWN_TIMEOUT") {
		t.Fatalf("exit %d, stderr:\n%s\nwant the unknown variable listed with the other problems", code, stderr)
	}
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	keyFile := filepath.Join(filepath.Dir(c.dbPath), "roster.key")
	for i := range 2 { // the second run finds nothing to do
		code, out, stderr := c.run("migrate")
		if code != 0 || out != "The sqlite database schema is up to date.\n" {
			t.Fatalf("migrate: exit %d, printed %q, stderr %q", code, out, stderr)
		}
		// The command that creates the database gives it its key.
		if generated := strings.Contains(stderr, "generated the encryption key of this database in "+keyFile); generated != (i == 0) {
			t.Errorf("run %d: stderr %q", i+1, stderr)
		}
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("migrate left no key file: %v", err)
	}
}

func TestOrgCreate(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("org", "create", "--slug", "acme", "--name", "Acme Inc.", "--domain", "acme.com", "--domain", "acme.co.uk")
	for _, want := range []string{"Created organization acme (Acme Inc.), id ", "Domains: acme.com (primary), acme.co.uk.", "MFA optional"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	org, err := c.service().GetOrgBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != "Acme Inc." || org.PrimaryDomain() != "acme.com" {
		t.Fatalf("stored org = %+v", org)
	}

	code, _, stderr := c.run("org", "create", "--slug", "acme", "--name", "Again")
	if code != 1 || !strings.Contains(stderr, "conflict") {
		t.Fatalf("a duplicate slug: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = c.run("org", "create", "--slug", "Bad Slug", "--name", "X")
	if code != 1 || !strings.Contains(stderr, "slug must be") {
		t.Fatalf("a bad slug: exit %d, stderr %q", code, stderr)
	}
}

func TestUserCreate(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")

	t.Run("a generated password is shown once and works", func(t *testing.T) {
		out := c.mustRun("user", "create", "--org", "acme", "--email", "ada@acme.com", "--role", "org_admin",
			"--given-name", "Ada", "--family-name", "Lovelace", "--generate-password")
		if !strings.Contains(out, "Created user ada@acme.com (org_admin) in acme") || !strings.Contains(out, "status active") {
			t.Fatalf("output:\n%s", out)
		}
		pw := capture(t, `Password \(shown once, store it now\): (\S+)`, out)
		u, err := findUser(context.Background(), c.service(), "ada@acme.com")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := auth.VerifyPassword(pw, u.PasswordHash); !ok || err != nil {
			t.Fatalf("the printed password does not verify: %v %v", ok, err)
		}
		if u.GivenName != "Ada" || u.FamilyName != "Lovelace" || u.Role != directory.RoleOrgAdmin || u.AuthMethod != directory.AuthLocal {
			t.Fatalf("stored user = %+v", u)
		}
	})
	t.Run("a given password is hashed and not echoed", func(t *testing.T) {
		out := c.mustRun("user", "create", "--org", "acme", "--email", "bob@acme.com", "--role", "user", "--password", "a long passphrase")
		if strings.Contains(out, "a long passphrase") {
			t.Fatalf("the password was echoed:\n%s", out)
		}
		u, err := findUser(context.Background(), c.service(), "bob@acme.com")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := auth.VerifyPassword("a long passphrase", u.PasswordHash); !ok || u.Status != directory.StatusActive {
			t.Fatalf("stored user: status %s, password verifies %v", u.Status, ok)
		}
	})
	t.Run("without a password the user is pending", func(t *testing.T) {
		out := c.mustRun("user", "create", "--org", "acme", "--email", "cy@acme.com", "--role", "org_viewer")
		if !strings.Contains(out, "status pending") || !strings.Contains(out, "No password set") {
			t.Fatalf("output:\n%s", out)
		}
	})
	t.Run("a password against the policy is refused", func(t *testing.T) {
		code, _, stderr := c.run("user", "create", "--org", "acme", "--email", "dee@acme.com", "--role", "user", "--password", "short")
		if code != 1 || !strings.Contains(stderr, "at least 12 characters") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("a login email on a domain another organization verified is refused", func(t *testing.T) {
		c.mustRun("org", "create", "--slug", "other", "--name", "Other")
		c.mustRun("org", "domain", "verify", "--org", "acme", "--domain", "acme.com", "--force")
		code, _, stderr := c.run("user", "create", "--org", "other", "--email", "ADA@acme.com", "--role", "user")
		if code != 1 || !strings.Contains(stderr, "conflict") || !strings.Contains(stderr, "acme.com") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		c.mustRun("user", "create", "--org", "other", "--email", "ada@other.example", "--role", "user")
	})
	t.Run("an unknown organization is named", func(t *testing.T) {
		code, _, stderr := c.run("user", "create", "--org", "nope", "--email", "e@acme.com", "--role", "user")
		if code != 1 || !strings.Contains(stderr, `no organization with slug "nope"`) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestTokens(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	ctx := context.Background()

	if out := c.mustRun("token", "list", "--org", "acme"); out != "acme has no tokens.\n" {
		t.Fatalf("token list printed %q", out)
	}

	out := c.mustRun("token", "create", "--org", "acme", "--name", "entra-prod")
	id := capture(t, `Created SCIM token "entra-prod" for acme, id (\S+)\.`, out)
	plaintext := capture(t, `Token \(shown once, store it now\): (\S+)`, out)
	if !strings.Contains(out, "SCIM base URL: http://127.0.0.1:0/scim/v2") {
		t.Errorf("token create does not show the SCIM base URL:\n%s", out)
	}
	svc := c.service()
	if _, err := svc.AuthenticateToken(ctx, directory.TokenSCIM, plaintext); err != nil {
		t.Fatalf("the printed token does not authenticate: %v", err)
	}

	out = c.mustRun("token", "list", "--org", "acme")
	if !regexp.MustCompile(`(?m)^ID\s+NAME\s+KIND\s+CREATED\s+LAST USED\s+STATUS$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^`+id+`\s+entra-prod\s+scim\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+.+\s+active$`).MatchString(out) {
		t.Fatalf("token list:\n%s", out)
	}
	if strings.Contains(out, plaintext) {
		t.Fatal("token list shows the secret")
	}

	out = c.mustRun("token", "revoke", "--org", "acme", "--id", id)
	if !strings.Contains(out, "Revoked token "+id+" of acme") {
		t.Fatalf("token revoke printed %q", out)
	}
	if out := c.mustRun("token", "list", "--org", "acme"); !strings.Contains(out, "revoked ") {
		t.Fatalf("token list after revoke:\n%s", out)
	}
	if _, err := svc.AuthenticateToken(ctx, directory.TokenSCIM, plaintext); !directory.IsCode(err, directory.CodeUnauthorized) {
		t.Fatalf("a revoked token authenticates: %v", err)
	}

	c.mustRun("org", "create", "--slug", "other", "--name", "Other")
	if code, _, stderr := c.run("token", "revoke", "--org", "other", "--id", id); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("revoking another organization's token: exit %d, stderr %q", code, stderr)
	}
}
