package ratelimit

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	now := time.Unix(1_000, 0)
	l := New(0.5, 3, nil, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("10.0.0.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("10.0.0.1")
	if ok || wait != 2*time.Second {
		t.Fatalf("past the burst: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("10.0.0.2"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(2 * time.Second)
	if ok, _ := l.Allow("10.0.0.1"); !ok {
		t.Fatal("a refilled token was refused")
	}
	if ok, _ := l.Allow("10.0.0.1"); ok {
		t.Fatal("only one token refilled in two seconds")
	}
}

func TestOffAndBounded(t *testing.T) {
	off := New(0, 1, nil, time.Now)
	for range 100 {
		if ok, _ := off.Allow("k"); !ok {
			t.Fatal("a limiter with rate 0 limited")
		}
	}
	var nilLimiter *Limiter
	if ok, _ := nilLimiter.Allow("k"); !ok {
		t.Fatal("a nil limiter limited")
	}
	now := time.Unix(0, 0)
	l := New(1, 1, nil, func() time.Time { return now })
	l.maxKeys = 10
	for i := range 25 {
		l.Allow(strconv.Itoa(i))
	}
	if n := len(l.buckets); n > 10 {
		t.Fatalf("%d buckets kept, limit 10", n)
	}
}

func TestBurstDefaultsToTheRate(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(2.5, 0, nil, func() time.Time { return now })
	if got := allowed(l, "k", 100); got != 3 {
		t.Fatalf("burst of rate 2.5 with no burst set: %d, want 3", got)
	}
}

// Three replicas, each with its own limiter over the same Share, allow
// together what one process alone allows: the configured burst at once and
// the configured rate after that.
func TestReplicasSplitTheRate(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	var live atomic.Int64
	live.Store(3)
	share := func() int { return int(live.Load()) }
	const rate, burst = 30, 60
	replicas := []*Limiter{New(rate, burst, share, clock), New(rate, burst, share, clock), New(rate, burst, share, clock)}
	total := func(per int) int {
		n := 0
		for _, r := range replicas {
			n += allowed(r, "token-1", per)
		}
		return n
	}
	// A balancer spreading evenly: each replica sees a third of the traffic.
	if got := total(1_000); got != burst {
		t.Fatalf("burst across three replicas: %d, want %d", got, burst)
	}
	now = now.Add(10 * time.Second)
	if got := total(1_000); got != burst {
		// Ten seconds refill 300 tokens of rate, capped by the burst.
		t.Fatalf("after a refill across three replicas: %d, want %d", got, burst)
	}
	now = now.Add(time.Second)
	if got := total(1_000); got != rate {
		t.Fatalf("one second across three replicas: %d, want %d", got, rate)
	}
	// A replica leaves: the two left take its share within a refill.
	live.Store(2)
	replicas = replicas[:2]
	now = now.Add(time.Second)
	if got := total(1_000); got != rate {
		t.Fatalf("one second across two replicas: %d, want %d", got, rate)
	}
}

// A bucket filled while the replica served alone holds no more than the
// smaller burst once others join.
func TestJoiningReplicasShrinkFullBuckets(t *testing.T) {
	now := time.Unix(0, 0)
	var live atomic.Int64
	live.Store(1)
	l := New(10, 40, func() int { return int(live.Load()) }, func() time.Time { return now })
	l.Allow("k") // the bucket now holds 39
	live.Store(4)
	if got := allowed(l, "k", 100); got != 10 {
		t.Fatalf("after three replicas joined: %d allowed, want a burst of 10", got)
	}
}

func TestManyReplicasStillAllowOne(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(1, 2, func() int { return 50 }, func() time.Time { return now })
	if got := allowed(l, "k", 10); got != 1 {
		t.Fatalf("50 replicas sharing a burst of 2: %d allowed, want 1", got)
	}
}

func allowed(l *Limiter, key string, tries int) int {
	n := 0
	for range tries {
		if ok, _ := l.Allow(key); ok {
			n++
		}
	}
	return n
}
