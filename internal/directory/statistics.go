package directory

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Bulk writes (an import, a bulk create, a first directory sync) change
// the users table faster than autovacuum notices: right after an import of
// 100k users, PostgreSQL still planned for a couple of hundred rows. The
// service counts the rows its bulk paths write and, past a threshold,
// refreshes the store's planner statistics in the background, one refresh
// at a time.

// DefaultAnalyzeAfter is how many rows bulk writes add or change before
// the statistics are refreshed.
const DefaultAnalyzeAfter = 5000

// analyzeTimeout bounds one refresh.
const analyzeTimeout = 5 * time.Minute

// Analyzer is a store that can refresh its planner statistics; both SQL
// stores are.
type Analyzer interface {
	Analyze(ctx context.Context) error
}

// statistics tracks the rows written since the last refresh.
type statistics struct {
	after     int64
	pending   atomic.Int64
	analyzing atomic.Bool
	running   sync.WaitGroup
}

// UseAnalyzeAfter sets how many rows bulk writes add before the planner
// statistics are refreshed (DefaultAnalyzeAfter by default; ≤ 0 never).
func (s *Service) UseAnalyzeAfter(n int) { s.stats.after = int64(n) }

// WaitStatistics waits for a refresh under way, for tests and shutdown.
func (s *Service) WaitStatistics() { s.stats.running.Wait() }

// bulkWritten records that a bulk path wrote n rows, and refreshes the
// statistics when enough have been written since the last refresh.
func (s *Service) bulkWritten(n int) {
	st := &s.stats
	a, ok := s.store.(Analyzer)
	if !ok || st.after <= 0 || n <= 0 {
		return
	}
	if st.pending.Add(int64(n)) < st.after || !st.analyzing.CompareAndSwap(false, true) {
		return
	}
	st.pending.Store(0)
	st.running.Add(1)
	go func() {
		defer st.running.Done()
		defer st.analyzing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), analyzeTimeout)
		defer cancel()
		// A failed refresh costs plans, not data: autovacuum catches up.
		_ = a.Analyze(ctx)
	}()
}
