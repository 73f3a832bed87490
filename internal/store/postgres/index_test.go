package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlstore"
	"github.com/roster/roster/internal/store/storetest"
)

// The lookups SCIM clients make by enterprise attributes, first, last and
// display name, manager, externalId and userName within one organization
// are index-backed.
func TestEnterpriseLookupsUseAnIndex(t *testing.T) {
	orgID, conn := seededForPlans(t, lookupOrg, "SET enable_seqscan = off")
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
		args := sqlbuild.Args{orgID}
		where, err := sqlbuild.Postgres.Where(sqlbuild.Users, directory.Eq(attr, "E-42"), &args)
		if err != nil {
			t.Fatal(err)
		}
		if plan := conn.explain("SELECT u.id FROM users u WHERE u.org_id = $1 AND "+where, args...); !strings.Contains(plan, index) {
			t.Errorf("%s eq does not use %s:\n%s", attr, index, plan)
		}
	}
}

// The other lookups SCIM clients make by equality (a user by an email
// address, a group by display name or externalId) are index-backed too.
func TestEqualityLookupsUseAnIndex(t *testing.T) {
	orgID, conn := seededForPlans(t, lookupOrg, "SET enable_seqscan = off")
	for _, c := range storetest.LookupCases {
		args := sqlbuild.Args{orgID}
		where, err := sqlbuild.Postgres.Where(c.Table, c.Expr, &args)
		if err != nil {
			t.Fatal(err)
		}
		if plan := conn.explain(c.Query+where, args...); !strings.Contains(plan, c.Index) {
			t.Errorf("%s does not use %s:\n%s", c.Name, c.Index, plan)
		}
	}
}

// The lookups of one live user by userName and by email (a login, an
// invitation, a SCIM client's match) read their unique index, planned
// once for any value as a prepared statement is.
func TestUserLookupsUseTheirUniqueIndex(t *testing.T) {
	orgID, conn := seededForPlans(t, lookupOrg, "SET plan_cache_mode = force_generic_plan")
	for by, index := range map[string]string{"userName": "users_org_user_name_key", "email": "users_org_email_key"} {
		if plan := conn.explain("SELECT u.id FROM users u"+sqlstore.UserLookups[by], orgID, "u000042@lookups.example"); !strings.Contains(plan, index) {
			t.Errorf("the lookup by %s does not use %s:\n%s", by, index, plan)
		}
	}
}

// The users list's search (q=) and SCIM's substring filters (co, sw, ew)
// on each searched attribute read the users search's trigram index, and
// equality on them reads a B-tree, never the trigram index: PostgreSQL
// once served a directory sync's batch of userName lookups from a trigram
// index, at a second per batch. Both parts read one organization of
// 20,000 users.
func TestSearchesUseTheTrigramIndex(t *testing.T) {
	orgID, conn := seededForPlans(t, func(tb testing.TB, s directory.Store) string { return storetest.SeedSearchOrg(tb, s, 20000) })

	// The users list's search of three characters or more reads the
	// matching users through the index, not every user of the
	// organization.
	t.Run("the users list's search", func(t *testing.T) {
		for _, q := range []string{"Hopper0042", "u0019999-0@search", "grace0001", "no such person"} {
			query, args := storetest.SearchPageQuery(t, sqlbuild.Postgres, orgID, q)
			if plan := conn.explain(query, args...); !strings.Contains(plan, "users_search_idx") {
				t.Errorf("q=%s does not use users_search_idx:\n%s", q, plan)
			}
		}
	})

	t.Run("SCIM substring filters, and equality does not", func(t *testing.T) {
		explain := func(f directory.Expr) string {
			t.Helper()
			args := sqlbuild.Args{orgID}
			where, err := sqlbuild.Postgres.Where(sqlbuild.Users, f, &args)
			if err != nil {
				t.Fatal(err)
			}
			return conn.explain("SELECT u.id FROM users u WHERE u.org_id = $1 AND u.status <> 'deleted' AND "+where, args...)
		}
		for _, f := range []directory.Compare{
			{Attr: directory.UserUserName, Op: directory.OpCo, Value: "0019999-0"},
			{Attr: directory.UserUserName, Op: directory.OpSw, Value: "u0019999"},
			{Attr: directory.UserEmail, Op: directory.OpEw, Value: "19999-0@search.example"},
			{Attr: directory.UserGivenName, Op: directory.OpCo, Value: "Grace0042"},
			{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: "hopper0042"},
		} {
			if plan := explain(f); !strings.Contains(plan, "users_search_idx") {
				t.Errorf("%s %s %q does not use users_search_idx:\n%s", f.Attr, f.Op, f.Value, plan)
			}
		}
		for _, attr := range []directory.Attr{directory.UserUserName, directory.UserEmail} {
			if plan := explain(directory.Eq(attr, "u0019999-0@search.example")); strings.Contains(plan, "users_search_idx") {
				t.Errorf("%s eq reads the trigram index:\n%s", attr, plan)
			}
		}
	})
}

// lookupOrg seeds the organization of the lookup tests.
func lookupOrg(tb testing.TB, s directory.Store) string { return storetest.SeedLookupOrg(tb, s, 2000) }

// seededForPlans makes a fresh database, seeds it with seed (which returns
// the organization's id), refreshes the planner's statistics, and connects
// for EXPLAIN with settings.
func seededForPlans(t *testing.T, seed func(testing.TB, directory.Store) string, settings ...string) (string, planConn) {
	t.Helper()
	url := pgtest.NewDatabaseURL(t)
	s := open(t, url)
	orgID := seed(t, s)
	if err := s.Analyze(context.Background()); err != nil {
		t.Fatal(err)
	}
	return orgID, connectForPlans(t, url, settings...)
}

// planConn is a connection of its own to a test's database, for EXPLAIN:
// settings made on it (enable_seqscan = off) leave the store's pool alone.
type planConn struct {
	t    *testing.T
	conn *pgx.Conn
}

// connectForPlans connects to url and runs each setting (a SET statement)
// on the connection, which closes when t ends.
func connectForPlans(t *testing.T, url string, settings ...string) planConn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	for _, set := range settings {
		if _, err := conn.Exec(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	return planConn{t, conn}
}

// explain returns the plan of query with args: EXPLAIN's lines, joined.
func (p planConn) explain(query string, args ...any) string {
	p.t.Helper()
	rows, err := p.conn.Query(context.Background(), "EXPLAIN "+query, args...)
	if err != nil {
		p.t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
