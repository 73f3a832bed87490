package jobs

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// BenchmarkUsageSnapshot times the daily usage snapshot over 1,000
// organizations that hold ROSTER_BENCH_USERS users between them (default
// 1,000,000), on PostgreSQL. Opt-in, like the inactivity benchmark:
//
//	ROSTER_BENCH_USAGE=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench UsageSnapshot -benchtime 3x -timeout 30m ./internal/jobs
func BenchmarkUsageSnapshot(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_USAGE") == "" {
		b.Skip("set ROSTER_BENCH_USAGE=1 to seed the users and time the usage snapshot")
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgtest.NewDatabaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := directory.NewService(st, time.Now)
	const orgs = 1000
	n := benchSize(b, 1_000_000)
	now := time.Now().UTC()
	seedStart := time.Now()
	for i := range orgs {
		org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: fmt.Sprintf("bench-%04d", i), Name: "Bench"})
		if err != nil {
			b.Fatal(err)
		}
		if err := seed(ctx, st, org.ID, n/orgs, now); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Pool().Exec(ctx, "ANALYZE users"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %d organizations in %v", n, orgs, time.Since(seedStart).Round(time.Second))
	var counts directory.UsageSnapshot
	for b.Loop() {
		if counts, err = svc.SnapshotUsage(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
	if counts.Counts != orgs {
		b.Fatalf("the snapshot wrote %d counts, want one per organization (%d)", counts.Counts, orgs)
	}
	b.ReportMetric(float64(n), "users")
}
