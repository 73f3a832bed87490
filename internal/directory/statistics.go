package directory

import (
	"context"
	"sync"
	"time"
)

// Bulk writes (an import, a bulk create, a first directory sync) change
// the users table faster than autovacuum notices: right after an import of
// 100k users, PostgreSQL still planned for a couple of hundred rows. The
// service counts the rows its bulk paths write and, past a threshold,
// refreshes the store's planner statistics in the background, one refresh
// at a time.
//
// Within one burst of bulk writes the threshold doubles after each
// refresh, so that a refresh runs each time the written rows have about
// doubled: statistics stay proportionate to the tables while a load of
// 100k users refreshes them five times, not twenty. A refresh of the
// directory's tables reads a sample of each and costs about a second of a
// core at 100k users; at a fixed threshold, a first sync spent a core on
// refreshes for its whole length and took 16 s instead of 12. A quiet
// spell ends the burst and brings the threshold back down.

// DefaultAnalyzeAfter is how many rows bulk writes add or change before
// the statistics are first refreshed.
const DefaultAnalyzeAfter = 5000

// burstGap is how long without a refresh ends a burst of bulk writes.
const burstGap = 10 * time.Minute

// analyzeTimeout bounds one refresh.
const analyzeTimeout = 5 * time.Minute

// Analyzer is a store that can refresh its planner statistics; both SQL
// stores are.
type Analyzer interface {
	Analyze(ctx context.Context) error
}

// statistics tracks the rows written since the last refresh.
type statistics struct {
	after int64 // the threshold at the start of a burst; ≤ 0 never refresh

	mu        sync.Mutex
	pending   int64     // rows written since the last refresh
	threshold int64     // rows that start the next refresh
	last      time.Time // when the last refresh started
	analyzing bool
	running   sync.WaitGroup
}

// UseAnalyzeAfter sets how many rows bulk writes add before the planner
// statistics are first refreshed (DefaultAnalyzeAfter by default; ≤ 0
// never).
func (s *Service) UseAnalyzeAfter(n int) {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.after, s.stats.threshold = int64(n), int64(n)
}

// WaitStatistics waits for a refresh under way, for tests and shutdown.
func (s *Service) WaitStatistics() { s.stats.running.Wait() }

// bulkWritten records that a bulk path wrote n rows, and refreshes the
// statistics when enough have been written since the last refresh.
func (s *Service) bulkWritten(n int) {
	a, ok := s.store.(Analyzer)
	if !ok || n <= 0 || !s.stats.due(int64(n), s.now()) {
		return
	}
	st := &s.stats
	st.running.Add(1)
	go func() {
		defer st.running.Done()
		defer st.done()
		ctx, cancel := context.WithTimeout(context.Background(), analyzeTimeout)
		defer cancel()
		// A failed refresh costs plans, not data: autovacuum catches up.
		_ = a.Analyze(ctx)
	}()
}

// due adds n written rows and reports whether a refresh starts now; the
// caller then runs it and calls done.
func (st *statistics) due(n int64, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.after <= 0 {
		return false
	}
	if !st.last.IsZero() && now.Sub(st.last) > burstGap {
		st.threshold = st.after
	}
	st.pending += n
	if st.pending < st.threshold || st.analyzing {
		return false
	}
	st.analyzing, st.pending, st.last = true, 0, now
	st.threshold *= 2
	return true
}

func (st *statistics) done() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.analyzing = false
}
