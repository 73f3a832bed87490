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

// Bulk creates refresh the planner statistics once enough rows were
// written since the last refresh, not on every write.
func TestBulkWritesRefreshStatistics(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	if err := inner.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := &analyzingStore{Store: inner}
	svc := directory.NewService(st, time.Now)
	svc.UseAnalyzeAfter(10)
	op := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	org, err := svc.CreateOrg(ctx, op, &directory.Org{Slug: "stats", Name: "Stats",
		Domains: []directory.Domain{{Name: "stats.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
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
