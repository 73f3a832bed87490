package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
)

// BenchmarkUsersListFirstByte times the users list of an organization of
// 100,000 users (ROSTER_BENCH_USERS changes it), from the request to its
// first byte, on SQLite and PostgreSQL: the first page, a later page by
// its cursor, a search, filters, and a sort by email. Seeding takes a
// while, so it is opt-in:
//
//	ROSTER_BENCH_CONSOLE=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench UsersListFirstByte -benchtime 20x ./internal/console
//
// The page is rendered whole before its first byte, so this is also the
// time of the whole answer. It reports the median and the worst.
func BenchmarkUsersListFirstByte(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_CONSOLE") == "" {
		b.Skip("set ROSTER_BENCH_CONSOLE=1 to seed the users and time the users list")
	}
	n := 100_000
	if s := os.Getenv("ROSTER_BENCH_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = st.Close() }()
		if err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		benchList(b, st, n, func() error { return st.Analyze(ctx) })
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(ctx, pgtest.NewDatabaseURL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = st.Close() }()
		benchList(b, st, n, func() error { return st.Analyze(ctx) })
	})
}

func benchList(b *testing.B, st consoletest.Store, n int, analyze func() error) {
	e := consoletest.New(b, consoletest.WithStore(st))
	start := time.Now()
	if err := seedUsers(e, st, n); err != nil {
		b.Fatal(err)
	}
	if err := analyze(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %v", n, time.Since(start).Round(time.Second))
	c := e.SignIn("org_viewer")
	first := c.Get("/users")
	next := ""
	if i := strings.Index(first.Body, `id="next-page"`); i >= 0 {
		next = hrefBefore(first.Body, i)
	}
	if next == "" {
		b.Fatal("the first page has no next page")
	}
	cases := []struct{ name, path string }{
		{"first-page", "/users"},
		{"next-page", next},
		{"search-name", "/users?q=Hopper0042"},
		{"search-email", "/users?q=u0099999%40bench"},
		{"filter-status-role", "/users?status=suspended&role=org_viewer"},
		{"sort-email", "/users?sort=email&order=asc"},
		{"deleted", "/users?status=deleted"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req, err := http.NewRequestWithContext(e.Ctx, http.MethodGet, e.URL+tc.path, nil)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				r := c.Do(req) // Do returns once the body is read; the page is written at once
				times = append(times, time.Since(t0))
				if r.Status != 200 {
					b.Fatalf("%s: %d", tc.path, r.Status)
				}
			}
			med, worst := medianMax(times)
			b.ReportMetric(float64(med.Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(worst.Microseconds())/1000, "ms-max")
		})
	}
}

// seedUsers adds n users to acme through the bulk store, in chunks: every
// tenth suspended, every hundredth a view-only admin, one in fifty
// deleted.
func seedUsers(e *consoletest.Env, st consoletest.Store, n int) error {
	const chunk = 5000
	now := time.Now().UTC()
	for start := 0; start < n; start += chunk {
		users := make([]*directory.User, 0, chunk)
		for i := start; i < min(start+chunk, n); i++ {
			name := fmt.Sprintf("u%07d@bench.example", i)
			created := now.Add(-time.Duration(n-i) * time.Second)
			u := &directory.User{
				ID: directory.NewID(), OrgID: e.Acme.ID, UserName: name, Email: name,
				GivenName: fmt.Sprintf("Grace%05d", i%100000), FamilyName: fmt.Sprintf("Hopper%04d", i%10000),
				Source: directory.SourceLocal, Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
				Status: directory.StatusActive, StatusSetBy: directory.AuthorityAdmin,
				CreatedAt: created, UpdatedAt: created, ActivatedAt: &created, LastLoginAt: &created, Version: 1,
			}
			switch {
			case i%50 == 7:
				u.Status, u.DeletedAt = directory.StatusDeleted, &created
			case i%10 == 3:
				u.Status = directory.StatusSuspended
			}
			if i%100 == 3 {
				u.Role = directory.RoleOrgViewer
			}
			users = append(users, u)
		}
		if err := st.InTx(e.Ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(e.Ctx, users) }); err != nil {
			return err
		}
	}
	return nil
}

// hrefBefore is the link of the anchor whose attributes end at i.
func hrefBefore(body string, i int) string {
	j := strings.LastIndex(body[:i], `href="`) + len(`href="`)
	return strings.ReplaceAll(body[j:j+strings.IndexByte(body[j:], '"')], "&amp;", "&")
}

func medianMax(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}
