package storetest

import (
	"fmt"
	"strings"

	"github.com/roster/roster/internal/store/sqlbuild"
)

// Benchmarks at a million users cannot seed them a batch at a time from Go
// in reasonable time: BulkUserStatements writes them in the database, each
// chunk one INSERT … SELECT over a generated series (generate_series on
// PostgreSQL, a recursive CTE on SQLite).

// BulkUserStatements returns the statements that add the users numbered
// from to to-1 (arguments $1 = the template user's id, $2 = from, $3 = to):
// copies of the template user (its organization, status, role, times…)
// named u0000042@bench.example (userName, email and a work email row),
// Given<i mod 1000> Family<i mod 5000>, externalId ext-<i>, with ids that
// sort in their number's order; one in a hundred is suspended. columns are
// the users table's columns; extra maps more of them to expressions (of
// s.i, the user's number, t.*, the template's columns, and arguments from
// $4 on).
func BulkUserStatements(d sqlbuild.Dialect, columns []string, extra map[string]string) (users, emails string) {
	pad := func(w int) string {
		if d == sqlbuild.Postgres {
			return fmt.Sprintf("lpad(s.i::text, %d, '0')", w)
		}
		return fmt.Sprintf("printf('%%0%dd', s.i)", w)
	}
	id := "'01900000-0000-7000-8000-' || " + pad(12)
	name := "'u' || " + pad(7) + " || '@bench.example'"
	override := map[string]string{
		"id": id, "user_name": name, "user_name_lower": name, "email": name, "email_lower": name,
		"given_name": "'Given' || (s.i % 1000)", "family_name": "'Family' || (s.i % 5000)",
		"display_name": "'Given' || (s.i % 1000) || ' Family' || (s.i % 5000)",
		"external_id":  "'ext-' || s.i",
		"status":       "CASE WHEN s.i % 100 = 0 THEN 'suspended' ELSE t.status END",
	}
	for c, e := range extra {
		override[c] = e
	}
	exprs := make([]string, len(columns))
	for i, c := range columns {
		if e, ok := override[c]; ok {
			exprs[i] = e
		} else {
			exprs[i] = "t." + c
		}
	}
	series, with := "generate_series($2::int, $3::int - 1) AS s(i)", ""
	primary := "true"
	if d == sqlbuild.SQLite {
		series, with = "s", "WITH RECURSIVE s(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $3) "
		primary = "1"
	}
	users = with + "INSERT INTO users (" + strings.Join(columns, ", ") + ") SELECT " + strings.Join(exprs, ", ") +
		" FROM users t CROSS JOIN " + series + " WHERE t.id = $1"
	emails = with + "INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary) SELECT " +
		id + ", 0, " + name + ", " + name + ", 'work', 'work', " + primary +
		" FROM users t CROSS JOIN " + series + " WHERE t.id = $1"
	return users, emails
}
