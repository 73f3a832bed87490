package jobs

import (
	"context"
	"sync"
	"time"
)

// Locker grants a named lock to one holder at a time, without waiting.
// release gives the lock back; it may be called more than once.
type Locker interface {
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// LocalLocker is a Locker for one process: the single-node SQLite setup,
// where no other replica exists to exclude.
type LocalLocker struct {
	mu   sync.Mutex
	held map[string]bool
}

// NewLocalLocker returns an in-process locker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{held: map[string]bool{}} }

// TryLock takes the lock if nobody in this process holds it.
func (l *LocalLocker) TryLock(_ context.Context, name string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return nil, false, nil
	}
	l.held[name] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.held, name)
			l.mu.Unlock()
		})
	}, true, nil
}

// Ledger remembers, per job, the latest tick a replica claimed.
type Ledger interface {
	// Claim records that runner starts job's run for tick, and reports
	// false if a run for this tick or a later one was claimed already.
	Claim(ctx context.Context, job string, tick time.Time, runner string) (bool, error)
	// Reclaim hands runner the run claimed for tick if it never finished,
	// and reports false otherwise (it finished, or a later tick was
	// claimed). Only a holder of the job's lock may call it: the claimant
	// held that lock until it finished, so an unfinished run whose lock is
	// free lost its claimant (a killed process, a dropped connection).
	Reclaim(ctx context.Context, job string, tick time.Time, runner string) (bool, error)
	// Finish records the end of the run claimed for tick; errText is ""
	// on success.
	Finish(ctx context.Context, job string, tick, at time.Time, errText string) error
}

// MemoryLedger is a Ledger for one process.
type MemoryLedger struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// NewMemoryLedger returns an in-process ledger.
func NewMemoryLedger() *MemoryLedger { return &MemoryLedger{last: map[string]time.Time{}} }

// Claim implements Ledger.
func (m *MemoryLedger) Claim(_ context.Context, job string, tick time.Time, _ string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.last[job]; ok && !last.Before(tick) {
		return false, nil
	}
	m.last[job] = tick
	return true, nil
}

// Reclaim implements Ledger: in one process a claimant cannot die
// without the ledger.
func (m *MemoryLedger) Reclaim(context.Context, string, time.Time, string) (bool, error) {
	return false, nil
}

// Finish implements Ledger; one process needs no record of the outcome.
func (m *MemoryLedger) Finish(context.Context, string, time.Time, time.Time, string) error {
	return nil
}
