package jobs

import (
	"context"
	"fmt"
	"sync"
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
