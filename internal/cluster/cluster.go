// Package cluster knows how many replicas serve on one database. Each
// replica writes a heartbeat row every few seconds and counts the rows
// beaten recently; the rate limiters divide their rates by that count
// (see internal/ratelimit), so that N replicas together allow what the
// configuration says, not N times that.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Store keeps the heartbeats (directory.JobStore is one).
type Store interface {
	BeatReplica(ctx context.Context, id string, at, staleBefore time.Time) (int, error)
	LeaveReplica(ctx context.Context, id string) error
}

// DefaultEvery is how often a replica beats by default. A replica that
// misses three beats no longer counts.
const DefaultEvery = 5 * time.Second

// Membership is this replica's place among the replicas of a database.
type Membership struct {
	store  Store
	id     string
	every  time.Duration
	now    func() time.Time
	logger *slog.Logger
	live   atomic.Int64
}

// New returns the membership of this process; every ≤ 0 is DefaultEvery.
// Until its first beat it counts itself alone.
func New(store Store, every time.Duration, now func() time.Time, logger *slog.Logger) *Membership {
	if every <= 0 {
		every = DefaultEvery
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Membership{store: store, id: replicaID(), every: every, now: now, logger: logger}
	m.live.Store(1)
	return m
}

// replicaID names this process: host and pid for people reading the
// table, and a random part, since containers often share a pid.
func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// ID names this replica in the heartbeat table.
func (m *Membership) ID() string { return m.id }

// Live is the number of replicas serving, this one included (≥ 1). It is
// a ratelimit.Share.
func (m *Membership) Live() int { return int(max(m.live.Load(), 1)) }

// Beat records this replica's heartbeat and counts the live replicas.
// When the database cannot be reached, the last count stands.
func (m *Membership) Beat(ctx context.Context) error {
	now := m.now()
	n, err := m.store.BeatReplica(ctx, m.id, now, now.Add(-3*m.every))
	if err != nil {
		return fmt.Errorf("cluster heartbeat: %w", err)
	}
	if old := m.live.Swap(int64(n)); old != int64(n) {
		m.logger.InfoContext(ctx, "replicas serving", "live", n)
	}
	return nil
}

// Run beats every interval until ctx ends, then takes this replica out of
// the count, so that the others take up its share at once.
func (m *Membership) Run(ctx context.Context) error {
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		if err := m.Beat(ctx); err != nil && ctx.Err() == nil {
			m.logger.WarnContext(ctx, "replica heartbeat failed; keeping the last count", "err", err, "live", m.Live())
		}
		select {
		case <-ctx.Done():
			leaveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := m.store.LeaveReplica(leaveCtx, m.id); err != nil {
				m.logger.WarnContext(ctx, "replica not taken out of the count; it goes stale in a few seconds", "err", err)
			}
			return nil
		case <-t.C:
		}
	}
}
