package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to read query plans

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlstore"
	"github.com/roster/roster/internal/store/storetest"
)

// The lookups SCIM clients make by enterprise attributes, first, last and
// display name, manager, externalId and userName within one organization
// are index-backed.
func TestEnterpriseLookupsUseAnIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for attr, index := range map[directory.Attr]string{
		directory.UserEmployeeNumber: "users_org_employee_number_idx",
		directory.UserCostCenter:     "users_org_cost_center_idx",
		directory.UserFamilyName:     "users_org_family_name_idx",
		directory.UserManager:        "users_org_manager_idx",
		directory.UserGivenName:      "users_org_given_name_idx",
		directory.UserDisplayName:    "users_org_display_name_idx",
		directory.UserExternalID:     "users_org_external_id_idx",
		directory.UserUserName:       "users_org_user_name",
	} {
		args := sqlbuild.Args{"org"}
		where, err := sqlbuild.SQLite.Where(sqlbuild.Users, directory.Eq(attr, "E-42"), &args)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := queryPlan(db, "SELECT u.id FROM users u WHERE u.org_id = $1 AND "+where, args...)
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, index) {
			t.Errorf("%s eq does not use %s:\n%s", attr, index, text)
		}
	}
}

// The other lookups SCIM clients make by equality (a user by an email
// address, a group by display name or externalId) are index-backed too.
func TestEqualityLookupsUseAnIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for _, c := range storetest.LookupCases {
		args := sqlbuild.Args{"org"}
		where, err := sqlbuild.SQLite.Where(c.Table, c.Expr, &args)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := queryPlan(db, c.Query+where, args...)
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, c.Index) {
			t.Errorf("%s does not use %s:\n%s", c.Name, c.Index, text)
		}
	}
}

// seededForPlans makes a database holding an organization of 2,000 users
// (storetest.SeedLookupOrg), its statistics refreshed, and opens it for
// EXPLAIN QUERY PLAN; the connection closes when t ends.
func seededForPlans(t *testing.T) (orgID string, db *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.db")
	s := open(t, path)
	orgID = storetest.SeedLookupOrg(t, s, 2000)
	if err := s.Analyze(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return orgID, db
}

// The lookups of one live user by userName and by email (a login, an
// invitation, a SCIM client's match) read their unique index.
func TestUserLookupsUseTheirUniqueIndex(t *testing.T) {
	orgID, db := seededForPlans(t)
	for by, index := range map[string]string{"userName": "users_org_user_name_key", "email": "users_org_email_key"} {
		plan, err := queryPlan(db, "SELECT u.id FROM users u"+sqlstore.UserLookups[by], orgID, "u000042@lookups.example")
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, index) {
			t.Errorf("the lookup by %s does not use %s:\n%s", by, index, text)
		}
	}
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN for query.
func queryPlan(db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// A page of the users holding one email address ("emails[value eq …]")
// starts from the email index and reads those users by primary key, not
// every user of the organization in id order testing each: SQLite runs a
// correlated EXISTS once per row, which at a million users took seconds.
func TestEmailLookupPageStartsFromTheEmailIndex(t *testing.T) {
	orgID, db := seededForPlans(t)
	args := sqlbuild.Args{orgID}
	where, err := sqlbuild.SQLite.Where(sqlbuild.Users,
		directory.Has{Attr: directory.UserEmails, Where: directory.Eq(directory.EmailValue, "u000042@lookups.example")}, &args)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := queryPlan(db, "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.status <> 'deleted' AND "+where+" ORDER BY u.id LIMIT 101", args...)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "user_emails_value_idx") || strings.Contains(text, "SCAN u") {
		t.Errorf("the page does not start from the email index:\n%s", text)
	}
}

// A prefix (sw) is a range of the attribute's index, searched from the
// organization's users sharing it: SQLite's search index names every user
// for each trigram of a prefix thousands of users share (a load test's
// "lt-<run>-"), and took 380 ms a page where the range takes a few.
func TestPrefixFiltersReadARangeOfTheAttributesIndex(t *testing.T) {
	orgID, db := seededForPlans(t)
	for attr, index := range map[directory.Attr]string{
		directory.UserUserName:    "users_org_user_name",
		directory.UserEmail:       "users_org_email",
		directory.UserFamilyName:  "users_org_family_name_idx",
		directory.UserDisplayName: "users_org_display_name_idx",
		directory.UserExternalID:  "users_org_external_id_idx",
	} {
		args := sqlbuild.Args{orgID}
		where, err := sqlbuild.SQLite.Where(sqlbuild.Users, directory.Compare{Attr: attr, Op: directory.OpSw, Value: "u000"}, &args)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := queryPlan(db, "SELECT count(*) FROM users u WHERE u.org_id = $1 AND "+where, args...)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, index) || !strings.Contains(text, ">? AND") || strings.Contains(text, "users_search") {
			t.Errorf("%s sw does not read a range of %s:\n%s", attr, index, text)
		}
	}
}
