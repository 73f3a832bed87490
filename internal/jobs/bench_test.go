package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
)

// The inactivity benchmarks seed an organization with many users (a
// million on PostgreSQL, which takes a couple of minutes), so they are
// opt-in, and run once:
//
//	ROSTER_BENCH_INACTIVITY=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench Inactivity -benchtime 1x -timeout 30m ./internal/jobs
//
// ROSTER_BENCH_USERS sets the size for both stores (defaults: 1,000,000
// on PostgreSQL, 100,000 on SQLite). One user in ten last logged in 100
// days ago, the others 10 days ago: the first pass marks the tenth, as on
// the day the job is first enabled; a second pass, as on every day after,
// looks at the others and marks none. Run it with -benchtime 1x: a second
// iteration would find nobody to mark.
const (
	benchEnv      = "ROSTER_BENCH_INACTIVITY"
	benchUsersEnv = "ROSTER_BENCH_USERS"
)

func benchSize(b *testing.B, def int) int {
	if s := os.Getenv(benchUsersEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return def
}

func BenchmarkInactivityPass(b *testing.B) {
	if os.Getenv(benchEnv) == "" {
		b.Skipf("set %s=1 to seed the users and time the inactivity pass", benchEnv)
	}
	b.Run("postgres", func(b *testing.B) {
		ctx := context.Background()
		st, err := postgres.Open(ctx, pgtest.NewDatabaseURL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchPass(b, st, benchSize(b, 1_000_000), func() error {
			_, err := st.Pool().Exec(ctx, "ANALYZE users")
			return err
		})
	})
	b.Run("sqlite", func(b *testing.B) {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		benchPass(b, st, benchSize(b, 100_000), func() error { return st.Analyze(ctx) })
	})
}

// benchPass seeds n users through the bulk store and times one pass.
func benchPass(b *testing.B, st directory.Store, n int, analyze func() error) {
	ctx := context.Background()
	svc := directory.NewService(st, time.Now)
	org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	seedStart := time.Now()
	if err := seed(ctx, st, org.ID, n, now); err != nil {
		b.Fatal(err)
	}
	if err := analyze(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %v", n, time.Since(seedStart).Round(time.Second))
	var marked int
	for b.Loop() {
		// The first pass marks the tenth of the users that is idle; the
		// second finds nobody left to mark among the 90% that remain
		// active.
		start := time.Now()
		m, err := svc.DeactivateInactiveUsers(ctx, InactivityActor, org.ID, now)
		if err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		start = time.Now()
		again, err := svc.DeactivateInactiveUsers(ctx, InactivityActor, org.ID, now)
		if err != nil || again != 0 {
			b.Fatalf("second pass marked %d: %v", again, err)
		}
		marked = m
		b.ReportMetric(first.Seconds(), "s/first-pass")
		b.ReportMetric(time.Since(start).Seconds(), "s/second-pass")
	}
	if marked != n/10 {
		b.Fatalf("marked %d users, want %d", marked, n/10)
	}
	b.ReportMetric(float64(marked), "marked")
}

// seed creates n active users, 5,000 per transaction on two connections.
func seed(ctx context.Context, st directory.Store, orgID string, n int, now time.Time) error {
	const chunk = 5000
	old, recent := now.AddDate(0, 0, -100), now.AddDate(0, 0, -10)
	created := now.AddDate(-1, 0, 0)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for start := 0; start < n; start += chunk {
		g.Go(func() error {
			users := make([]*directory.User, 0, chunk)
			for i := start; i < min(start+chunk, n); i++ {
				login := recent
				if i%10 == 0 {
					login = old
				}
				name := fmt.Sprintf("u%07d@bench.example", i)
				users = append(users, &directory.User{
					ID: directory.NewID(), OrgID: orgID, UserName: name, Email: name,
					Source: directory.SourceLocal, Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
					Status: directory.StatusActive, StatusSetBy: directory.AuthorityAdmin,
					CreatedAt: created, UpdatedAt: created, ActivatedAt: &created, LastLoginAt: &login, Version: 1,
				})
			}
			return st.InTx(ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(ctx, users) })
		})
	}
	return g.Wait()
}
