package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/sync/engine"
)

func TestKeyRotationOnSQLite(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	// The first command generated the database's key file: the old key.
	old := strings.TrimSpace(readFile(t, c.keyFile()))
	testKeyRotation(t, c, old)
	if got := strings.TrimSpace(readFile(t, c.keyFile())); got != c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] {
		t.Fatal("after the re-seal the key file does not hold the new key")
	}
	// Without a configured key the file's (new) key serves.
	delete(c.env, "ROSTER_SECURITY_ENCRYPTION_KEY")
	if out := c.mustRun("key", "reseal"); !strings.Contains(out, "Every secret is under the key.") {
		t.Fatalf("reseal under the key file alone:\n%s", out)
	}
}

func TestKeyRotationOnPostgreSQL(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_DATABASE_URL"] = pgtest.NewEmptyDatabaseURL(t)
	old := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] = old
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	testKeyRotation(t, c, old)
}

// sealedFixture is one secret of each kind, sealed under the old key.
type sealedFixture struct {
	org, user, connector string
}

func sealUnder(t *testing.T, c *cli, key string) sealedFixture {
	t.Helper()
	ctx := context.Background()
	svc := c.service()
	org, err := svc.GetOrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c.mustRun("user", "create", "--org", "acme", "--email", "ada@acme.com", "--role", "org_admin", "--generate-password")
	u, err := findUser(ctx, svc, "ada@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(key)
	text, err := auth.NewSealer(raw)
	if err != nil {
		t.Fatal(err)
	}
	bytesSealer, err := engine.NewSealer(raw)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(plain, context string) string {
		s, err := text.Seal([]byte(plain), context)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	st, _, err := openStore(ctx, c.env["ROSTER_DATABASE_URL"], time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	now := time.Now()
	if err := st.MFA().PutMFA(ctx, &directory.MFAState{OrgID: org.ID, UserID: u.ID, TOTPSecret: seal("SEED", auth.TOTPSeedContext(u.ID)),
		PendingSecret: seal("PENDING", auth.TOTPSeedContext(u.ID)), EnrolledAt: &now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.OIDC().PutOIDC(ctx, &directory.OIDCSettings{OrgID: org.ID, Issuer: "https://idp.acme.com", ClientID: "roster",
		ClientSecret: seal("client secret", auth.ClientSecretContext(org.ID)), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	conn := &directory.Connector{ID: directory.NewID(), OrgID: org.ID, Name: "dc", Kind: "ldap",
		Settings: json.RawMessage(`{}`), DefaultRole: directory.RoleUser, Deprovision: directory.DeprovisionSuspend,
		Threshold: 0.2, CreatedAt: now, UpdatedAt: now, Version: 1}
	if conn.Secrets, err = bytesSealer.Seal(conn.ID, []byte(`{"bindPassword":"pw"}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.Connectors().CreateConnector(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return sealedFixture{org: org.ID, user: u.ID, connector: conn.ID}
}

// openAll opens every secret of f with key alone and returns what failed.
func openAll(t *testing.T, c *cli, f sealedFixture, key []byte) []string {
	t.Helper()
	ctx := context.Background()
	st, _, err := openStore(ctx, c.env["ROSTER_DATABASE_URL"], time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	text, _ := auth.NewSealer(key)
	bytesSealer, _ := engine.NewSealer(key)
	var failed []string
	m, err := st.MFA().GetMFA(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := text.Open(m.TOTPSecret, auth.TOTPSeedContext(f.user)); err != nil || string(p) != "SEED" {
		failed = append(failed, "totp seed")
	}
	if p, err := text.Open(m.PendingSecret, auth.TOTPSeedContext(f.user)); err != nil || string(p) != "PENDING" {
		failed = append(failed, "pending seed")
	}
	o, err := st.OIDC().GetOIDC(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := text.Open(o.ClientSecret, auth.ClientSecretContext(f.org)); err != nil || string(p) != "client secret" {
		failed = append(failed, "sso client secret")
	}
	conn, err := st.Connectors().GetConnector(ctx, f.org, f.connector)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := bytesSealer.Open(f.connector, conn.Secrets); err != nil || string(p) != `{"bindPassword":"pw"}` {
		failed = append(failed, "connector secrets")
	}
	return failed
}

// testKeyRotation rotates from the old key of c's database to a new one:
// the new key seals, the old one still opens, reseal moves every secret
// under the new key and says so, and then the old key can go.
func testKeyRotation(t *testing.T, c *cli, old string) {
	f := sealUnder(t, c, old)
	oldKey, _ := base64.StdEncoding.DecodeString(old)

	newText := strings.TrimSpace(c.mustRun("key", "generate"))
	newKey, err := base64.StdEncoding.DecodeString(newText)
	if err != nil || len(newKey) != keyBytes || newText == old {
		t.Fatalf("key generate printed %q", newText)
	}

	// Without the old key listed, nothing opens and nothing is touched
	// (a SQLite database refuses a key that is not its key file's).
	c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] = newText
	code, out, stderr := c.run("key", "reseal")
	if code != 1 || !strings.Contains(out, "4 secrets are not under the new key") && !strings.Contains(stderr, "differs from the key Roster generated") {
		t.Fatalf("reseal without the previous key: exit %d\n%s%s", code, out, stderr)
	}
	if failed := openAll(t, c, f, oldKey); len(failed) != 0 {
		t.Fatalf("a failed reseal changed %v", failed)
	}

	c.env["ROSTER_SECURITY_PREVIOUS_ENCRYPTION_KEYS"] = old
	out = c.mustRun("key", "reseal")
	for _, want := range []string{
		"totp_seed          1          0                      0           0",
		"totp_pending_seed  1          0                      0           0",
		"sso_client_secret  1          0                      0           0",
		"connector_secrets  1          0                      0           0",
		"Every secret is under the new key: remove security.previous_encryption_keys and restart.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reseal output lacks %q:\n%s", want, out)
		}
	}
	if failed := openAll(t, c, f, newKey); len(failed) != 0 {
		t.Fatalf("after the reseal the new key alone does not open %v", failed)
	}
	if failed := openAll(t, c, f, oldKey); len(failed) != 4 {
		t.Fatalf("after the reseal the old key still opens %d secrets", 4-len(failed))
	}
	// Running it again finds nothing to do.
	out = c.mustRun("key", "reseal")
	if !strings.Contains(out, "totp_seed          0          1 ") || !strings.Contains(out, "connector_secrets  0          1 ") {
		t.Errorf("a second reseal:\n%s", out)
	}

	// Each re-seal is in its organization's audit log, naming no secret.
	page, err := c.service().ListAudit(context.Background(), f.org, directory.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	reseals := 0
	for _, e := range page.Events {
		if e.Action == "secret.reseal" {
			reseals++
			if e.ActorKind != directory.ActorOperator {
				t.Errorf("reseal audited as %s", e.ActorKind)
			}
		}
	}
	if reseals != 4 {
		t.Errorf("%d reseal audit events, want 4", reseals)
	}

	// The old key can go.
	delete(c.env, "ROSTER_SECURITY_PREVIOUS_ENCRYPTION_KEYS")
	if out := c.mustRun("key", "reseal"); !strings.Contains(out, "Every secret is under the key.") {
		t.Fatalf("reseal without the previous key after the rotation:\n%s", out)
	}
	if strings.Contains(out, old) || strings.Contains(out, newText) {
		t.Fatal("reseal printed a key")
	}
}
