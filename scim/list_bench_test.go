package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/internal/store/storetest"
)

// BenchmarkListsAtScale times the listings of an organization of 100,000
// users (ROSTER_BENCH_USERS changes it, e.g. to 1000000), on SQLite and on
// PostgreSQL: SCIM pages (first, deep startIndex cold and then paged
// onwards, cursor), SCIM filters (userName, name.familyName,
// name.givenName, externalId, emails.value eq; co), and the admin users
// list's queries (first page, search, filter, the count=true count)
// through the directory service. The users are written by the database
// itself (storetest.BulkUserStatements); seeding a million takes minutes,
// so it is opt-in:
//
//	ROSTER_BENCH_LISTS=1 ROSTER_BENCH_USERS=1000000 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench ListsAtScale -benchtime 1x -timeout 60m ./scim
//
// Each request is timed in process, from the handler's call to its
// answer (server time, no network): the median and the worst of several.
func BenchmarkListsAtScale(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_LISTS") == "" {
		b.Skip("set ROSTER_BENCH_LISTS=1 to seed the users and time the listings")
	}
	n := 100_000
	if s := os.Getenv("ROSTER_BENCH_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10_000 {
			b.Fatalf("ROSTER_BENCH_USERS=%q: a number of users of at least 10000", s)
		}
	}
	forEachBenchStore(b, func(b *testing.B, st directory.Store, db bulkDB) { benchLists(b, st, n, db) })
}

// bulkDB is what a benchmark needs to seed a store in the database itself.
type bulkDB struct {
	d       sqlbuild.Dialect
	exec    func(q string, args ...any) error
	columns func() ([]string, error)
	analyze func() error
}

// forEachBenchStore runs bench on a fresh SQLite store and, when
// ROSTER_TEST_POSTGRES_URL is set, a fresh PostgreSQL one.
func forEachBenchStore(b *testing.B, bench func(b *testing.B, st directory.Store, db bulkDB)) {
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "roster.db")
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = st.Close() }()
		if err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		exec := func(q string, args ...any) error { _, err := db.ExecContext(ctx, q, args...); return err }
		columns := func() ([]string, error) {
			rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info('users') ORDER BY cid")
			if err != nil {
				return nil, err
			}
			defer func() { _ = rows.Close() }()
			var out []string
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					return nil, err
				}
				out = append(out, c)
			}
			return out, rows.Err()
		}
		bench(b, st, bulkDB{sqlbuild.SQLite, exec, columns, func() error { return st.Analyze(ctx) }})
	})
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv("ROSTER_TEST_POSTGRES_URL") == "" {
			b.Skip("ROSTER_TEST_POSTGRES_URL is not set")
		}
		u := pgtest.NewDatabaseURL(b)
		st, err := postgres.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = st.Close() }()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = conn.Close(ctx) }()
		exec := func(q string, args ...any) error { _, err := conn.Exec(ctx, q, args...); return err }
		columns := func() ([]string, error) {
			rows, err := conn.Query(ctx, "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position")
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		}
		// VACUUM as autovacuum would after a bulk load, so that the
		// visibility map lets counts and OFFSET walks read the index only.
		bench(b, st, bulkDB{sqlbuild.Postgres, exec, columns, func() error { return exec("VACUUM (ANALYZE) users, user_emails") }})
	})
}

func benchLists(b *testing.B, st directory.Store, n int, db bulkDB) {
	e := newEnv(b, st)
	seedBulk(b, e, db, n, nil)

	const reps = 15
	var lines []string
	measure := func(name string, f func(i int)) {
		t0 := time.Now()
		f(-1) // warms the caches (the token's, the organization's schema, a count)
		first := time.Since(t0)
		times := make([]time.Duration, reps)
		for i := range times {
			t0 := time.Now()
			f(i)
			times[i] = time.Since(t0)
		}
		slices.Sort(times)
		med, worst := times[reps/2], times[reps-1]
		b.ReportMetric(ms(med), strings.ReplaceAll(name, " ", "_")+"-p50-ms")
		lines = append(lines, fmt.Sprintf("%-28s median %7.2f ms  worst %7.2f ms  first %7.2f ms", name, ms(med), ms(worst), ms(first)))
	}
	get := func(path string) map[string]any {
		return e.must(e.call(http.MethodGet, path, ""), http.StatusOK)
	}
	pick := func(i int) int { return (i+2)*7919%n + 1 }
	filter := func(f string) string { return "/Users?count=100&filter=" + url.QueryEscape(f) }

	measure("scim first page", func(int) { get("/Users?count=100") })
	deep := n * 9 / 10
	// Cold: no page served near it before (each a different position).
	measure("scim deep startIndex cold", func(i int) { get(fmt.Sprintf("/Users?count=100&startIndex=%d", deep-(i+1)*1000)) })
	// Onwards: the next page of each, as a client paging by startIndex asks.
	next := deep - 20*1000
	get(fmt.Sprintf("/Users?count=100&startIndex=%d", next))
	measure("scim deep startIndex next", func(int) {
		next += 100
		get(fmt.Sprintf("/Users?count=100&startIndex=%d", next))
	})
	cursor := get("/Users?count=100&cursor=")["nextCursor"].(string)
	measure("scim cursor page", func(int) {
		cursor = get("/Users?count=100&cursor=" + cursor)["nextCursor"].(string)
	})
	measure("scim userName eq", func(i int) { get(filter(fmt.Sprintf(`userName eq "u%07d@bench.example"`, pick(i)))) })
	measure("scim externalId eq", func(i int) { get(filter(fmt.Sprintf(`externalId eq "ext-%d"`, pick(i)))) })
	measure("scim emails.value eq", func(i int) { get(filter(fmt.Sprintf(`emails[value eq "u%07d@bench.example"]`, pick(i)))) })
	measure("scim name.familyName eq", func(i int) { get(filter(fmt.Sprintf(`name.familyName eq "Family%d"`, pick(i)%5000))) })
	measure("scim name.givenName eq", func(i int) { get(filter(fmt.Sprintf(`name.givenName eq "Given%d"`, pick(i)%1000))) })
	measure("scim userName co", func(i int) { get(filter(fmt.Sprintf(`userName co "%05d@"`, pick(i)%100000))) })
	measure("scim familyName co", func(i int) { get(filter(fmt.Sprintf(`name.familyName co "ily%d"`, pick(i)%5000))) })

	ctx := context.Background()
	list := func(q directory.UserQuery) {
		if _, err := e.svc.ListUsers(ctx, e.org.ID, q); err != nil {
			b.Fatal(err)
		}
	}
	search := func(s string) directory.Expr {
		return directory.Or{
			directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: s},
		}
	}
	measure("admin first page", func(int) { list(directory.UserQuery{Limit: 50}) })
	measure("admin search q=", func(i int) {
		list(directory.UserQuery{Limit: 50, Filter: search(fmt.Sprintf("%05d@", pick(i)%100000))})
	})
	measure("admin filter status", func(int) {
		list(directory.UserQuery{Limit: 50, Filter: directory.Eq(directory.UserStatus, string(directory.StatusSuspended))})
	})
	measure("admin count=true", func(int) { list(directory.UserQuery{Limit: 50, CountTotal: true}) })
	// Printed rather than logged: a benchmark's log is cut at ten lines.
	fmt.Printf("%s, %d users:\n%s\n", b.Name(), n, strings.Join(lines, "\n"))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seedBulk adds users 1…n to e's organization (see
// storetest.BulkUserStatements; extra and args set more columns) and
// refreshes the planner's statistics.
func seedBulk(b *testing.B, e *env, db bulkDB, n int, extra map[string]string, args ...any) {
	start := time.Now()
	template := e.createUser("template@bench.example", `,"name":{"givenName":"Template","familyName":"User"},"emails":[{"value":"template@bench.example","primary":true}]`)
	cols, err := db.columns()
	if err != nil {
		b.Fatal(err)
	}
	users, emails := storetest.BulkUserStatements(db.d, cols, extra)
	const chunk = 100_000
	for from := 1; from <= n; from += chunk {
		to := min(from+chunk, n+1)
		if err := db.exec(users, append([]any{template, from, to}, args...)...); err != nil {
			b.Fatalf("seeding users: %v", err)
		}
		if err := db.exec(emails, template, from, to); err != nil {
			b.Fatalf("seeding emails: %v", err)
		}
	}
	if err := db.analyze(); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("%s: seeded %d users in %v\n", b.Name(), n, time.Since(start).Round(time.Second))
}

// benchUserID is the id seedBulk gives user i.
func benchUserID(i int) string { return fmt.Sprintf("01900000-0000-7000-8000-%012d", i) }
