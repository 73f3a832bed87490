package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/migrate"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/migrations"
)

// TestUpgradeToPerOrganizationUserNames migrates a database written under
// the old identity rules (userNames unique across organizations, domains
// exclusive) and checks that nothing is lost.
func TestUpgradeToPerOrganizationUserNames(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewEmptyDatabaseURL(t)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrate.Load(migrations.Postgres())
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`)
	for _, m := range all {
		if m.Version > 45 {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations VALUES ($1, $2, now())`, m.Version, m.Name)
	}
	for _, o := range []string{"acme", "globex"} {
		exec(`INSERT INTO organizations (id, slug, name, mfa_policy, lockout_threshold, inactivity_days, password_min_length, created_at, updated_at, version)
			VALUES ($1, $2, $2, 'optional', 10, 90, 12, now(), now(), 1)`, o+"-id", o)
		exec(`INSERT INTO org_domains (domain, org_id, ordinal, is_primary) VALUES ($1, $2, 0, true)`, o+".example", o+"-id")
	}
	user := func(id, org, name, email, created string) {
		exec(`INSERT INTO users (id, org_id, user_name, user_name_lower, email, email_lower, source, role, auth_method, status, created_at, updated_at, version)
			VALUES ($1, $2, $3, lower($3), $4, lower($4), 'local', 'user', 'local', 'active', $5, $5, 1)`, id, org, name, email, created)
	}
	user("01000000-0000-7000-8000-000000000001", "acme-id", "Ann@acme.example", "Ann@acme.example", "2026-01-01T00:00:00Z")
	// Two users of one organization who shared a primary email.
	user("01000000-0000-7000-8000-000000000002", "acme-id", "bob@acme.example", "team@acme.example", "2026-01-02T00:00:00Z")
	user("01000000-0000-7000-8000-000000000003", "acme-id", "cy@acme.example", "TEAM@acme.example", "2026-01-03T00:00:00Z")
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s := open(t, url)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
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
	bob, err := s.Users().FindUserByEmail(ctx, acme.ID, "team@acme.example")
	if err != nil || bob.UserName != "bob@acme.example" {
		t.Errorf("the login email team@ found %+v, %v; want bob", bob, err)
	}
	cy, err := s.Users().FindUserByUserName(ctx, acme.ID, "cy@acme.example")
	if err != nil || cy.Email != "" {
		t.Errorf("cy after the upgrade: %+v, %v", cy, err)
	}
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
