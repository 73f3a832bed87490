package importer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// benchRowsEnv opts into the 100,000-row import benchmarks, which take a
// while: ROSTER_BENCH_IMPORT=1 go test -run '^$' -bench Import ./internal/importer
const benchRowsEnv = "ROSTER_BENCH_IMPORT"

const benchRows = 100_000

func skipUnlessOptedIn(b *testing.B) {
	if os.Getenv(benchRowsEnv) == "" {
		b.Skipf("set %s=1 to run the 100,000-row import benchmarks", benchRowsEnv)
	}
}

// BenchmarkImport100k commits a 100,000-row CSV of new users, each batch
// of 500 in one transaction with its audit events, and reports the peak
// heap seen while it ran.
func BenchmarkImport100k(b *testing.B) {
	skipUnlessOptedIn(b)
	path := filepath.Join(b.TempDir(), "users.csv")
	if err := os.WriteFile(path, generatedCSV(benchRows), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Run("sqlite", func(b *testing.B) {
		benchImport(b, path, func(b *testing.B) (*directory.Service, *directory.Org) { return serviceOver(b) })
	})
	b.Run("postgres", func(b *testing.B) {
		benchImport(b, path, func(b *testing.B) (*directory.Service, *directory.Org) {
			ctx := context.Background()
			st, err := postgres.Open(ctx, pgtest.NewDatabaseURL(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return serviceWithOrg(b, st)
		})
	})
}

func benchImport(b *testing.B, path string, open func(*testing.B) (*directory.Service, *directory.Org)) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		svc, org := open(b)
		im := New(svc, nil, Config{}, nil)
		f, err := im.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		peak := watchHeap()
		b.StartTimer()
		start := time.Now()
		sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeCreate}, nil)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || sum.Creates != benchRows {
			b.Fatalf("summary %+v, %v", sum, err)
		}
		b.ReportMetric(float64(peak()>>20), "peak-heap-MiB")
		b.ReportMetric(elapsed.Seconds(), "s/100k-rows")
		b.StartTimer()
	}
}

// watchHeap samples the heap until the returned function is called, which
// returns the largest size seen.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}
