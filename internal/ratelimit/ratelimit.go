// Package ratelimit holds the token buckets that limit SCIM clients and
// login attempts, per key (a SCIM token, a login name, a client address).
//
// Replicas behind a load balancer each see a share of a client's requests,
// so each enforces a share of the configured rate: the rate and burst
// divided by the number of live replicas, which a Share function reports
// (see internal/cluster). The limit then holds across replicas without a
// database round-trip per request. A client whose requests all reach one
// replica (a sticky balancer) gets that share only: never more than the
// configured rate in total.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Share reports how many replicas split the configured rate (≥ 1).
type Share func() int

// Single is the Share of a process that serves alone.
func Single() int { return 1 }

// Limiter is a token bucket per key: each key may make Burst requests at
// once and Rate more per second after that, across all replicas. It keeps
// at most MaxKeys buckets; when full it forgets the buckets that have
// refilled, which are the same as new ones.
type Limiter struct {
	rate    float64
	burst   float64
	share   Share
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// DefaultMaxKeys bounds the buckets a Limiter keeps.
const DefaultMaxKeys = 100_000

// New returns a limiter of rate requests per second after a burst, split
// by share (nil: Single). A rate ≤ 0 turns limiting off; a burst < 1 is
// the rate rounded up (at least 1).
func New(rate float64, burst int, share Share, now func() time.Time) *Limiter {
	b := float64(burst)
	if burst < 1 {
		b = math.Max(1, math.Ceil(rate))
	}
	if share == nil {
		share = Single
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: b, share: share, now: now, maxKeys: DefaultMaxKeys, buckets: map[string]*bucket{}}
}

// Allow takes a token from key's bucket. When none is left it returns false
// and how long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	rate, burst := l.split()
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.prune(now, rate, burst)
		}
		b = &bucket{tokens: burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens += elapsed * rate
	}
	// A bucket filled while fewer replicas shared the rate holds no more
	// than the smaller burst it has now.
	b.tokens = math.Min(burst, b.tokens)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// split is this replica's rate and burst. The burst keeps at least one
// token, so that a key is never refused outright however many replicas
// there are.
func (l *Limiter) split() (rate, burst float64) {
	n := float64(max(l.share(), 1))
	return l.rate / n, math.Max(1, l.burst/n)
}

// prune drops full buckets; if every bucket is in use it drops them all
// rather than grow without bound (an attacker cycling keys gains nothing it
// would not have with fresh keys).
func (l *Limiter) prune(now time.Time, rate, burst float64) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxKeys {
		clear(l.buckets)
	}
}
