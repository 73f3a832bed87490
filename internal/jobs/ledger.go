package jobs

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
)

// StoreLedger is the Ledger of replicas sharing a database: one row per
// job in the store, claimed by a conditional upsert.
type StoreLedger struct {
	store directory.JobStore
	now   func() time.Time
}

// NewStoreLedger returns a ledger over store; now stamps the claims.
func NewStoreLedger(store directory.JobStore, now func() time.Time) *StoreLedger {
	if now == nil {
		now = time.Now
	}
	return &StoreLedger{store: store, now: now}
}

// Claim implements Ledger.
func (l *StoreLedger) Claim(ctx context.Context, job string, tick time.Time, runner string) (bool, error) {
	return l.store.ClaimJobTick(ctx, job, tick, runner, l.now())
}

// Reclaim implements Ledger.
func (l *StoreLedger) Reclaim(ctx context.Context, job string, tick time.Time, runner string) (bool, error) {
	return l.store.ReclaimJobTick(ctx, job, tick, runner, l.now())
}

// Finish implements Ledger.
func (l *StoreLedger) Finish(ctx context.Context, job string, tick, at time.Time, errText string) error {
	return l.store.FinishJobTick(ctx, job, tick, at, errText)
}
