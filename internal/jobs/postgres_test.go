package jobs

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// replica is one Roster process: its own pool on the shared database.
func replica(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestAdvisoryLocker(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	a, b := replica(t, url).JobLocker(), replica(t, url).JobLocker()
	ctx := context.Background()

	release, ok, err := a.TryLock(ctx, "inactivity")
	if err != nil || !ok {
		t.Fatalf("first lock: %v, %v", ok, err)
	}
	if _, ok, err := b.TryLock(ctx, "inactivity"); err != nil || ok {
		t.Fatalf("a second replica took a held lock: %v, %v", ok, err)
	}
	if _, ok, err := a.TryLock(ctx, "inactivity"); err != nil || ok {
		t.Fatalf("the same replica took a held lock again: %v, %v", ok, err)
	}
	otherRelease, ok, err := b.TryLock(ctx, "sync:connector-1")
	if err != nil || !ok {
		t.Fatalf("another job's lock: %v, %v", ok, err)
	}
	otherRelease()
	release()
	release() // twice is harmless
	release, ok, err = b.TryLock(ctx, "inactivity")
	if err != nil || !ok {
		t.Fatalf("lock after release: %v, %v", ok, err)
	}
	release()
}

func TestTwoReplicasOnPostgresRunEachTickOnce(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	const ticks = 6
	var mu sync.Mutex
	ran := map[time.Time][]string{}
	job := func(name string) Job {
		return func(ctx context.Context, tick time.Time) error {
			mu.Lock()
			ran[tick] = append(ran[tick], name)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // long enough for the other replica to find the lock held
			return nil
		}
	}
	type rep struct {
		clock  *fakeClock
		locker *countingLocker
		sched  *Scheduler
	}
	var reps []rep
	for _, name := range []string{"a", "b"} {
		st := replica(t, url)
		r := rep{clock: newFakeClock(t0), locker: &countingLocker{Locker: st.JobLocker()}}
		r.sched = New(Config{Clock: r.clock, Locker: r.locker, Ledger: NewStoreLedger(st.Jobs(), r.clock.Now), Runner: name})
		if err := r.sched.Add(InactivityJobName, "* * * * *", job(name)); err != nil {
			t.Fatal(err)
		}
		defer start(t, r.sched)()
		reps = append(reps, r)
	}
	observer := replica(t, url).JobLocker()
	lockFree := func() bool {
		release, ok, err := observer.TryLock(context.Background(), InactivityJobName)
		if ok {
			release()
		}
		return ok && err == nil
	}
	// A run ends for the scheduler only after it released the lock and
	// recorded its outcome; a tick that comes before that is skipped on
	// purpose ("its previous run is still going"), so wait for it.
	idle := func() bool {
		for _, r := range reps {
			r.sched.mu.Lock()
			busy := r.sched.entries[InactivityJobName].busy
			r.sched.mu.Unlock()
			if busy {
				return false
			}
		}
		return true
	}
	for i := 1; i <= ticks; i++ {
		for _, r := range reps {
			eventually(t, "the replicas to sleep", func() bool { return r.clock.sleepers() > 0 })
		}
		eventually(t, "the previous run to end", lockFree)
		eventually(t, "both schedulers to be idle", idle)
		tries := [2]int64{reps[0].locker.tries.Load(), reps[1].locker.tries.Load()}
		// Odd ticks reach both replicas together (the lock decides); even
		// ticks reach b two seconds late, after a finished (the ledger
		// decides).
		reps[0].clock.Set(minute(i))
		if i%2 == 0 {
			eventually(t, "a's run", func() bool { mu.Lock(); defer mu.Unlock(); return len(ran[minute(i)]) == 1 })
			eventually(t, "a's run to end", lockFree)
			eventually(t, "a's scheduler to be idle", idle)
			reps[1].clock.Set(minute(i).Add(2 * time.Second))
		} else {
			reps[1].clock.Set(minute(i))
		}
		for j, r := range reps {
			eventually(t, "each replica to try", func() bool { return r.locker.tries.Load() > tries[j] })
		}
	}
	eventually(t, "the last run to end", lockFree)
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i <= ticks; i++ {
		if got := ran[minute(i)]; len(got) != 1 {
			t.Errorf("tick %d ran on %v, want exactly one replica", i, got)
		}
	}
	if len(ran) != ticks {
		t.Errorf("%d ticks ran, want %d: %v", len(ran), ticks, fmt.Sprint(ran))
	}
}

// A replica that dies in the middle of a tick's run (here: PostgreSQL ends
// its session, which is what a killed process looks like to the database)
// leaves the tick claimed and unfinished. Another replica that found the
// run going looks again after RetryEvery, finds the lock free and the run
// unfinished, and runs the tick itself.
func TestTickOfADeadReplicaRunsOnAnother(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	const retry = 30 * time.Second
	started, unblock := make(chan struct{}), make(chan struct{})
	var bRan atomic.Int64
	aStore, bStore := replica(t, url), replica(t, url)
	aClock, bClock := newFakeClock(t0), newFakeClock(t0)
	bLocker := &countingLocker{Locker: bStore.JobLocker()}
	a := New(Config{Clock: aClock, Locker: aStore.JobLocker(), Ledger: NewStoreLedger(aStore.Jobs(), aClock.Now), Runner: "a", RetryEvery: retry})
	b := New(Config{Clock: bClock, Locker: bLocker, Ledger: NewStoreLedger(bStore.Jobs(), bClock.Now), Runner: "b", RetryEvery: retry})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// a's run hangs, as a process that is about to be killed.
	must(a.Add(InactivityJobName, "0 * * * *", func(context.Context, time.Time) error {
		close(started)
		<-unblock
		return nil
	}))
	must(b.Add(InactivityJobName, "0 * * * *", func(_ context.Context, tick time.Time) error {
		if !tick.Equal(hour(1)) {
			t.Errorf("b ran tick %s, want %s", tick, hour(1))
		}
		bRan.Add(1)
		return nil
	}))
	stopA := start(t, a)
	stopB := start(t, b)
	defer stopA()
	defer close(unblock)
	defer stopB()

	eventually(t, "the schedulers to sleep", func() bool { return aClock.sleepers() > 0 && bClock.sleepers() > 0 })
	aClock.Set(hour(1))
	<-started
	bClock.Set(hour(1))
	eventually(t, "b to find the run going elsewhere", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return !b.entries[InactivityJobName].retryAt.IsZero()
	})
	if bRan.Load() != 0 {
		t.Fatal("b ran a tick that a was running")
	}
	eventually(t, "b to sleep until its retry", func() bool { return bClock.sleepsUntil(hour(1).Add(retry)) })

	// While a lives, b's retry finds the lock held and waits again.
	tries := bLocker.tries.Load()
	bClock.Set(hour(1).Add(retry))
	eventually(t, "b to look again", func() bool { return bLocker.tries.Load() > tries })
	eventually(t, "b to set another retry", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.entries[InactivityJobName].retryAt.After(hour(1).Add(retry))
	})
	if bRan.Load() != 0 {
		t.Fatal("b took over a tick whose replica is alive")
	}
	eventually(t, "b to sleep until its next retry", func() bool { return bClock.sleepsUntil(hour(1).Add(2 * retry)) })

	// a dies: its session, and the advisory lock with it, end.
	observer := replica(t, url)
	var killed int
	err := observer.Pool().QueryRow(context.Background(), `
SELECT count(pg_terminate_backend(pid)) FROM pg_locks
WHERE locktype = 'advisory' AND granted
  AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('roster.job.' || current_schema() || '.' || $1, 0)`,
		InactivityJobName).Scan(&killed)
	must(err)
	if killed != 1 {
		t.Fatalf("ended %d sessions holding the job's lock, want 1", killed)
	}
	// pg_terminate_backend signals the session; it ends a moment later.
	eventually(t, "the dead replica's lock to be released", func() bool {
		release, ok, err := observer.JobLocker().TryLock(context.Background(), InactivityJobName)
		if ok {
			release()
		}
		return ok && err == nil
	})
	bClock.Set(hour(1).Add(2 * retry))
	eventually(t, "b to take the tick over", func() bool { return bRan.Load() == 1 })

	// The tick is finished now: no replica runs it again.
	bClock.Set(hour(1).Add(4 * retry))
	time.Sleep(50 * time.Millisecond)
	if n := bRan.Load(); n != 1 {
		t.Errorf("b ran the tick %d times, want 1", n)
	}
}

func hour(n int) time.Time { return t0.Truncate(time.Hour).Add(time.Duration(n) * time.Hour) }
