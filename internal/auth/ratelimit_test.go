package auth

import (
	"strconv"
	"testing"
	"time"
)

func TestLimiterBucket(t *testing.T) {
	now := time.Unix(1_000, 0)
	l := NewLimiter(0.5, 3, func() time.Time { return now })
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

func TestLimiterOffAndBounded(t *testing.T) {
	off := NewLimiter(0, 1, time.Now)
	for range 100 {
		if ok, _ := off.Allow("k"); !ok {
			t.Fatal("a limiter with rate 0 limited")
		}
	}
	now := time.Unix(0, 0)
	l := NewLimiter(1, 1, func() time.Time { return now })
	l.maxKeys = 10
	for i := range 25 {
		l.Allow(strconv.Itoa(i))
	}
	if n := len(l.buckets); n > 10 {
		t.Fatalf("%d buckets kept, limit 10", n)
	}
}
