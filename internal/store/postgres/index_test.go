package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// The lookups SCIM clients make by enterprise attributes, family name and
// manager within one organization are index-backed.
func TestEnterpriseLookupsUseAnIndex(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	open(t, url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	for attr, index := range map[directory.Attr]string{
		directory.UserEmployeeNumber: "users_org_employee_number_idx",
		directory.UserCostCenter:     "users_org_cost_center_idx",
		directory.UserFamilyName:     "users_org_family_name_idx",
		directory.UserManager:        "users_org_manager_idx",
	} {
		args := sqlbuild.Args{"org"}
		where, err := sqlbuild.Postgres.Where(sqlbuild.Users, directory.Eq(attr, "E-42"), &args)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN SELECT u.id FROM users u WHERE u.org_id = $1 AND "+where, args...)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, index) {
			t.Errorf("%s eq does not use %s:\n%s", attr, index, text)
		}
	}
}
