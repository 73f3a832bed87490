package postgres_test

import (
	"context"
	"testing"

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
	s := open(t, pgtest.NewDatabaseURL(t))
	if err := s.Analyze(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
