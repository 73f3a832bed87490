package directory_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
)

// analyzingStore counts the refreshes of its planner statistics.
type analyzingStore struct {
	*sqlite.Store
	refreshes atomic.Int32
}

func (s *analyzingStore) Analyze(ctx context.Context) error {
	s.refreshes.Add(1)
	return s.Store.Analyze(ctx)
}

// analyzingService returns a service on an in-memory SQLite store that
// counts its refreshes, which start after 10 bulk rows, and an
// organization named slug.
func analyzingService(t *testing.T, slug string, now func() time.Time) (*analyzingStore, *directory.Service, *directory.Org) {
	t.Helper()
	ctx := context.Background()
	inner, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inner.Close() })
	if err := inner.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := &analyzingStore{Store: inner}
	svc := directory.NewService(st, now)
	svc.UseAnalyzeAfter(10)
	op := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	org, err := svc.CreateOrg(ctx, op, &directory.Org{Slug: slug, Name: slug,
		Domains: []directory.Domain{{Name: slug + ".example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	return st, svc, org
}

// Bulk creates refresh the planner statistics once enough rows were
// written since the last refresh, not on every write.
func TestBulkWritesRefreshStatistics(t *testing.T) {
	ctx := context.Background()
	st, svc, org := analyzingService(t, "stats", time.Now)
	op := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	batch := func(from, n int) {
		t.Helper()
		var in []*directory.User
		for i := from; i < from+n; i++ {
			in = append(in, &directory.User{UserName: fmt.Sprintf("u%03d@stats.example", i), GivenName: "U"})
		}
		res, err := svc.CreateUsers(ctx, op, org.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		svc.WaitStatistics()
	}
	batch(0, 6)
	if n := st.refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes after 6 rows, want none below the threshold of 10", n)
	}
	batch(6, 6)
	if n := st.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes after 12 rows, want 1", n)
	}
	batch(12, 3)
	if n := st.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes after 3 more rows, want still 1", n)
	}
	// A single write is not a bulk write: no refresh.
	if _, err := svc.CreateUser(ctx, op, org.ID, &directory.User{UserName: "one@stats.example", GivenName: "One"}); err != nil {
		t.Fatal(err)
	}
	svc.UseAnalyzeAfter(0)
	batch(15, 20)
	if n := st.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes with refreshing turned off, want still 1", n)
	}
}

// Within a burst of bulk writes each refresh doubles the rows the next one
// waits for; after a quiet spell the threshold is back at its start.
func TestBulkRefreshesDoubleWithinABurst(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	st, svc, org := analyzingService(t, "burst", func() time.Time { return clock })
	op := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	next := 0
	// write creates n users in batches of 5 and returns the refreshes so far.
	write := func(n int) int32 {
		t.Helper()
		for ; n > 0; n -= 5 {
			var in []*directory.User
			for range 5 {
				in = append(in, &directory.User{UserName: fmt.Sprintf("u%04d@burst.example", next), GivenName: "U"})
				next++
			}
			if _, err := svc.CreateUsers(ctx, op, org.ID, in); err != nil {
				t.Fatal(err)
			}
			svc.WaitStatistics()
		}
		return st.refreshes.Load()
	}
	// Refreshes at 10 rows, then 20 more, then 40 more.
	for _, step := range []struct {
		rows int
		want int32
	}{{10, 1}, {15, 1}, {5, 2}, {35, 2}, {5, 3}, {75, 3}} {
		if got := write(step.rows); got != step.want {
			t.Fatalf("after %d more rows (%d in all): %d refreshes, want %d", step.rows, next, got, step.want)
		}
	}
	// A quiet spell: the next 10 rows refresh again.
	clock = clock.Add(time.Hour)
	if got := write(10); got != 4 {
		t.Fatalf("10 rows after a quiet hour: %d refreshes, want 4", got)
	}
}
