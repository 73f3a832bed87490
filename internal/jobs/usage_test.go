package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

type fakeUsageDirectory struct {
	mu  sync.Mutex
	at  []time.Time
	err error
}

func (f *fakeUsageDirectory) SnapshotUsage(_ context.Context, at time.Time) (directory.UsageSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, at)
	return directory.UsageSnapshot{Counts: 3}, f.err
}

func (f *fakeUsageDirectory) snapshots() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

// The scheduler runs the usage job once per tick, as of the tick.
func TestUsageRegisters(t *testing.T) {
	dir := &fakeUsageDirectory{}
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	if err := NewUsage(dir, nil).Register(s, "0 * * * *"); err != nil {
		t.Fatal(err)
	}
	if err := NewUsage(dir, nil).Register(s, "not a schedule"); err == nil {
		t.Fatal("a bad schedule was accepted")
	}
	defer start(t, s)()
	eventually(t, "the scheduler to sleep", func() bool { return clock.sleepers() > 0 })
	tick := t0.Truncate(time.Hour).Add(time.Hour)
	clock.Set(tick)
	eventually(t, "the snapshot", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.entries[UsageJobName].busy && len(dir.snapshots()) == 1
	})
	if got := dir.snapshots(); !got[0].Equal(tick) {
		t.Errorf("snapshot as of %s, want the tick %s", got[0], tick)
	}
	dir.err = errors.New("database down")
	if err := NewUsage(dir, nil).Run(context.Background(), tick); err == nil {
		t.Error("a failed snapshot reported no error")
	}
}
