package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 30, 0, time.UTC)

// runs records the ticks a job ran for.
type runs struct {
	mu    sync.Mutex
	ticks []time.Time
}

func (r *runs) record(_ context.Context, tick time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks = append(r.ticks, tick)
	return nil
}

func (r *runs) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ticks)
}

func (r *runs) list() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.ticks...)
}

// countingLocker counts lock attempts, so that a test knows a replica
// looked at a tick even when it did not run it.
type countingLocker struct {
	Locker
	tries atomic.Int64
}

func (c *countingLocker) TryLock(ctx context.Context, name string) (func(), bool, error) {
	defer c.tries.Add(1)
	return c.Locker.TryLock(ctx, name)
}

func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func minute(n int) time.Time { return t0.Truncate(time.Minute).Add(time.Duration(n) * time.Minute) }

func TestSchedulerRunsEachTickOnce(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	var r runs
	if err := s.Add("every-minute", "* * * * *", r.record); err != nil {
		t.Fatal(err)
	}
	defer start(t, s)()
	for i := 1; i <= 3; i++ {
		eventually(t, "the scheduler to sleep", func() bool { return clock.sleepers() > 0 })
		clock.Set(minute(i).Add(time.Second))
		eventually(t, "the run", func() bool { return r.count() == i })
	}
	if diff := cmp.Diff([]time.Time{minute(1), minute(2), minute(3)}, r.list()); diff != "" {
		t.Fatalf("ticks (-want +got):\n%s", diff)
	}
}

func TestTwoReplicasRunEachTickOnce(t *testing.T) {
	// Two schedulers sharing a lock and a ledger, as two replicas share a
	// database. Replica b's clock runs late: it reaches each tick after a
	// has finished and released the lock, and must not run it again.
	inner := NewLocalLocker()
	locker := &countingLocker{Locker: inner}
	ledger := NewMemoryLedger()
	free := func() bool {
		release, ok, _ := inner.TryLock(context.Background(), "inactivity")
		if ok {
			release()
		}
		return ok
	}
	clockA, clockB := newFakeClock(t0), newFakeClock(t0)
	a := New(Config{Clock: clockA, Locker: locker, Ledger: ledger, Runner: "a"})
	b := New(Config{Clock: clockB, Locker: locker, Ledger: ledger, Runner: "b"})
	var ranA, ranB runs
	_ = a.Add("inactivity", "* * * * *", ranA.record)
	_ = b.Add("inactivity", "* * * * *", ranB.record)
	defer start(t, a)()
	defer start(t, b)()
	for i := 1; i <= 5; i++ {
		eventually(t, "both to sleep", func() bool { return clockA.sleepers() > 0 && clockB.sleepers() > 0 })
		tries := locker.tries.Load()
		clockA.Set(minute(i))
		eventually(t, "a to run", func() bool { return ranA.count() == i })
		eventually(t, "a to release the lock", free)
		clockB.Set(minute(i).Add(2 * time.Second))
		eventually(t, "b to try", func() bool { return locker.tries.Load() == tries+2 })
	}
	if ranA.count() != 5 || ranB.count() != 0 {
		t.Fatalf("a ran %d ticks, b ran %d; want 5 and 0", ranA.count(), ranB.count())
	}
}

func TestLockedJobIsNotRun(t *testing.T) {
	clock := newFakeClock(t0)
	locker := NewLocalLocker()
	counting := &countingLocker{Locker: locker}
	s := New(Config{Clock: clock, Locker: counting})
	var r runs
	_ = s.Add("sync", "* * * * *", r.record)
	release, ok, _ := locker.TryLock(context.Background(), "sync") // another replica runs it
	if !ok {
		t.Fatal("lock")
	}
	defer start(t, s)()
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	clock.Set(minute(1))
	// The tick of minute 1 found the lock taken, and the scheduler sleeps
	// until the next. (Waiting for any sleeper did not do: under load the
	// test released the lock before the tick's goroutine tried it, and
	// minute 1 ran.)
	eventually(t, "the try of minute 1", func() bool { return counting.tries.Load() == 1 })
	eventually(t, "sleep until minute 2", func() bool { return clock.sleepsUntil(minute(2)) })
	release()
	clock.Set(minute(2))
	eventually(t, "the run", func() bool { return r.count() == 1 })
	if diff := cmp.Diff([]time.Time{minute(2)}, r.list()); diff != "" {
		t.Fatalf("ticks (-want +got):\n%s", diff)
	}
}

func TestJobsAreAddedAndRemovedWhileRunning(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	defer start(t, s)()
	var hourly, minutely runs
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	if err := s.Add("connector-1", "@every 1h", hourly.record); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("connector-2", "* * * * *", minutely.record); err != nil {
		t.Fatal(err)
	}
	want := []Entry{{Name: "connector-1", Next: t0.Truncate(time.Hour).Add(time.Hour)}, {Name: "connector-2", Next: minute(1)}}
	if diff := cmp.Diff(want, s.Entries()); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	clock.Set(minute(1))
	eventually(t, "connector-2", func() bool { return minutely.count() == 1 })
	if !s.Remove("connector-2") || s.Remove("connector-2") {
		t.Fatal("Remove should report the job once")
	}
	clock.Set(t0.Truncate(time.Hour).Add(time.Hour))
	eventually(t, "connector-1", func() bool { return hourly.count() == 1 })
	if minutely.count() != 1 {
		t.Fatalf("removed job ran %d times", minutely.count())
	}
}

func TestSlowJobSkipsTicksInsteadOfPilingUp(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	unblock := make(chan struct{})
	var started atomic.Int64
	_ = s.Add("slow", "* * * * *", func(ctx context.Context, _ time.Time) error {
		started.Add(1)
		<-unblock
		return nil
	})
	defer start(t, s)()
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	clock.Set(minute(1))
	eventually(t, "the first run", func() bool { return started.Load() == 1 })
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	clock.Set(minute(2))
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	close(unblock)
	if n := started.Load(); n != 1 {
		t.Fatalf("%d runs started", n)
	}
}

func TestStopCancelsRunsAndWaits(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	var canceled atomic.Bool
	running := make(chan struct{})
	_ = s.Add("long", "* * * * *", func(ctx context.Context, _ time.Time) error {
		close(running)
		<-ctx.Done()
		canceled.Store(true)
		return ctx.Err()
	})
	stop := start(t, s)
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	clock.Set(minute(1))
	<-running
	stop()
	if !canceled.Load() {
		t.Fatal("Run returned before its job ended")
	}
}

func TestPanickingJobIsAnError(t *testing.T) {
	err := runJob(context.Background(), func(context.Context, time.Time) error { panic("boom") }, t0)
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("got %v", err)
	}
}

func TestRunNow(t *testing.T) {
	locker := NewLocalLocker()
	s := New(Config{Locker: locker, Clock: newFakeClock(t0)})
	var r runs
	_ = s.Add("inactivity", "@daily", r.record)
	if err := s.RunNow(context.Background(), "inactivity"); err != nil || r.count() != 1 {
		t.Fatalf("RunNow: %v, %d runs", err, r.count())
	}
	release, _, _ := locker.TryLock(context.Background(), "inactivity")
	defer release()
	if err := s.RunNow(context.Background(), "inactivity"); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if err := s.RunNow(context.Background(), "nope"); err == nil {
		t.Fatal("an unknown job ran")
	}
}

func TestParseSchedule(t *testing.T) {
	at := time.Date(2026, 3, 10, 14, 7, 0, 0, time.UTC)
	cases := []struct {
		spec string
		next time.Time
	}{
		{"@daily", time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"0 3 * * *", time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Paris 0 3 * * *", time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)},
		{"@every 30m", time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)},
		{"@every 40m", time.Date(2026, 3, 10, 14, 40, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := s.Next(at).UTC(); !got.Equal(c.next) {
			t.Errorf("%s: next %v, want %v", c.spec, got, c.next)
		}
	}
	for _, bad := range []string{"", "61 * * * *", "@every 10s", "@every soon", "@fortnightly"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestAPausedSchedulerRunsOnceAsOfTheLatestTick(t *testing.T) {
	clock := newFakeClock(t0)
	s := New(Config{Clock: clock})
	var r runs
	_ = s.Add("every-minute", "* * * * *", r.record)
	defer start(t, s)()
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	clock.Set(minute(90).Add(time.Second))
	eventually(t, "the run", func() bool { return r.count() == 1 })
	eventually(t, "sleep", func() bool { return clock.sleepers() > 0 })
	if diff := cmp.Diff([]time.Time{minute(90)}, r.list()); diff != "" {
		t.Fatalf("ticks (-want +got):\n%s", diff)
	}
}

// busy reports whether a run of the named job is under way here.
func (s *Scheduler) busy(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[name]
	return e != nil && e.busy
}
