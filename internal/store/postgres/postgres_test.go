package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/storetest"
)

// open connects to url and closes the store when tb ends.
func open(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(t *testing.T) directory.Store { return open(t, pgtest.NewDatabaseURL(t)) }

func TestConformance(t *testing.T) { storetest.RunConformance(t, newStore) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, newStore) }

func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, func(b *testing.B) directory.Store { return open(b, pgtest.NewDatabaseURL(b)) })
}

func TestMigrateAgainChangesNothing(t *testing.T) {
	s := open(t, pgtest.NewDatabaseURL(t))
	ctx := context.Background()
	org := &directory.Org{ID: "org-1", Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(), Version: 1}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := s.Orgs().GetOrg(ctx, "org-1"); err != nil {
		t.Fatalf("GetOrg after migrating again: %v", err)
	}
}

func TestMigrateFromSeveralReplicas(t *testing.T) {
	url := pgtest.NewEmptyDatabaseURL(t)
	ctx := context.Background()
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		s := open(t, url)
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	if n, err := open(t, url).Orgs().CountOrgs(ctx); err != nil || n != 0 {
		t.Errorf("CountOrgs = %d, %v", n, err)
	}
}

func TestAnalyze(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	s := open(t, url)
	ctx := context.Background()
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Every table a bulk write fills gets statistics: without those of
	// sync_links, the first incremental run after a first sync of 100k
	// users looked its links up through a plan that read every user for
	// each of them (2.2 s instead of 0.9 s).
	conn := connectForPlans(t, url)
	rows, err := conn.conn.Query(ctx, `SELECT relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND last_analyze IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	analyzed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"users", "user_emails", "user_grants", "groups", "group_members", "audit_events", "sync_links"} {
		if !slices.Contains(analyzed, table) {
			t.Errorf("Analyze left %s without statistics (analyzed: %v)", table, analyzed)
		}
	}
}
