package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the driver of the raw database written before the upgrade

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/migrate"
	"github.com/roster/roster/migrations"
)

// TestUpgradeToPerOrganizationUserNames migrates a database written under
// the old identity rules (userNames unique across organizations, domains
// exclusive) and checks that nothing is lost.
func TestUpgradeToPerOrganizationUserNames(t *testing.T) {
	ctx := context.Background()
	path, db, exec := migratedThrough(t, 45)
	const at = "2026-01-01T00:00:00.000000Z"
	for _, o := range []string{"acme", "globex"} {
		exec(`INSERT INTO organizations (id, slug, name, mfa_policy, lockout_threshold, inactivity_days, password_min_length, created_at, updated_at, version)
			VALUES (?, ?, ?, 'optional', 10, 90, 12, ?, ?, 1)`, o+"-id", o, o, at, at)
		exec(`INSERT INTO org_domains (domain, org_id, ordinal, is_primary) VALUES (?, ?, 0, 1)`, o+".example", o+"-id")
	}
	user := func(id, org, name, email, created string) {
		exec(`INSERT INTO users (id, org_id, user_name, user_name_lower, email, email_lower, source, role, auth_method, status, created_at, updated_at, version)
			VALUES (?, ?, ?, lower(?), ?, lower(?), 'local', 'user', 'local', 'active', ?, ?, 1)`, id, org, name, name, email, email, created, created)
	}
	user("01000000-0000-7000-8000-000000000001", "acme-id", "Ann@acme.example", "Ann@acme.example", "2026-01-01T00:00:00.000000Z")
	// Two users of one organization who shared a primary email.
	user("01000000-0000-7000-8000-000000000002", "acme-id", "bob@acme.example", "team@acme.example", "2026-01-02T00:00:00.000000Z")
	user("01000000-0000-7000-8000-000000000003", "acme-id", "cy@acme.example", "TEAM@acme.example", "2026-01-03T00:00:00.000000Z")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path)
	acme, err := s.Orgs().GetOrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if d := acme.Domains[0]; d.Name != "acme.example" || !d.Primary || !d.Verified || d.VerifiedBy != directory.VerifiedByOperator || d.VerifiedAt == nil {
		t.Errorf("the existing domain after the upgrade: %+v", d)
	}
	if o, err := s.Orgs().FindOrgByDomain(ctx, "globex.example"); err != nil || o.Slug != "globex" {
		t.Errorf("FindOrgByDomain(globex.example) = %v, %v", o, err)
	}
	ann, err := s.Users().FindUserByUserName(ctx, acme.ID, "ann@ACME.example")
	if err != nil || ann.UserName != "Ann@acme.example" || ann.Email != "Ann@acme.example" {
		t.Errorf("Ann after the upgrade: %+v, %v", ann, err)
	}
	// The oldest keeps the shared email as its login email; the other
	// keeps everything but its primary email.
	bob, err := s.Users().FindUserByEmail(ctx, acme.ID, "team@acme.example")
	if err != nil || bob.UserName != "bob@acme.example" {
		t.Errorf("the login email team@ found %+v, %v; want bob", bob, err)
	}
	cy, err := s.Users().FindUserByUserName(ctx, acme.ID, "cy@acme.example")
	if err != nil || cy.Email != "" {
		t.Errorf("cy after the upgrade: %+v, %v", cy, err)
	}
	// The new rules hold: jdoe may exist in both organizations.
	globex, err := s.Orgs().GetOrgBySlug(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []*directory.Org{acme, globex} {
		u := &directory.User{ID: directory.NewID(), OrgID: org.ID, UserName: "jdoe", Source: directory.SourceLocal, Role: directory.RoleUser,
			AuthMethod: directory.AuthLocal, Status: directory.StatusActive, CreatedAt: ann.CreatedAt, UpdatedAt: ann.CreatedAt, Version: 1}
		if err := s.Users().CreateUser(ctx, u); err != nil {
			t.Errorf("jdoe in %s: %v", org.Slug, err)
		}
	}
}

// migratedThrough opens a new SQLite database migrated through version
// last, as a release that ended there left it, and returns its path, the
// open database and a statement runner that fails the test on error.
func migratedThrough(t *testing.T, last int) (string, *sql.DB, func(q string, args ...any)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrate.Load(migrations.SQLite())
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
	for _, m := range all {
		if m.Version > last {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00.000000Z')`, m.Version, m.Name)
	}
	return path, db, exec
}
