package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/internal/store/storetest"
)

// open opens and migrates a store at path, closed when tb ends.
func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func newFileStore(t *testing.T) directory.Store {
	return open(t, filepath.Join(t.TempDir(), "roster.db"))
}

func newMemoryStore(t *testing.T) directory.Store { return open(t, ":memory:") }

func TestConformance(t *testing.T) {
	t.Run("file", func(t *testing.T) { storetest.RunConformance(t, newFileStore) })
	t.Run("memory", func(t *testing.T) { storetest.RunConformance(t, newMemoryStore) })
}

func TestConcurrency(t *testing.T) {
	t.Run("file", func(t *testing.T) { storetest.RunConcurrency(t, newFileStore) })
	t.Run("memory", func(t *testing.T) { storetest.RunConcurrency(t, newMemoryStore) })
}

func BenchmarkStore(b *testing.B) {
	storetest.RunBenchmarks(b, func(b *testing.B) directory.Store {
		return open(b, filepath.Join(b.TempDir(), "roster.db"))
	})
}

func TestMigrateAgainChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s := open(t, path)
	ctx := context.Background()
	org := &directory.Org{ID: "org-1", Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(), Version: 1}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// A new process finds the schema and the data.
	again := open(t, path)
	if _, err := again.Orgs().GetOrg(ctx, "org-1"); err != nil {
		t.Fatalf("GetOrg after reopening: %v", err)
	}
}

func TestMigrateFromSeveralProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	ctx := context.Background()
	var stores []*sqlite.Store
	for range 4 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	if n, err := stores[0].Orgs().CountOrgs(ctx); err != nil || n != 0 {
		t.Errorf("CountOrgs = %d, %v", n, err)
	}
}

func TestPathsNeedNoEscaping(t *testing.T) {
	open(t, filepath.Join(t.TempDir(), "odd ?#% name.db"))
}

func TestAnalyze(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "roster.db"))
	if err := s.Analyze(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestANewDatabaseIsPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.db")
	open(t, path)
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read the password hashes", filepath.Base(f), mode)
		}
	}
	t.Run("an existing file keeps its mode", func(t *testing.T) {
		shared := filepath.Join(dir, "shared.db")
		if err := os.WriteFile(shared, nil, 0o640); err != nil {
			t.Fatal(err)
		}
		open(t, shared)
		if info, err := os.Stat(shared); err != nil || info.Mode().Perm() != 0o640 {
			t.Fatalf("mode %v, %v", info.Mode().Perm(), err)
		}
	})
}

func TestSeatRecountHeals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s := open(t, path)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	storetest.SeatRecountHeals(t, s, func(ctx context.Context, query string, args ...any) error {
		_, err := db.ExecContext(ctx, query, args...)
		return err
	})
}
