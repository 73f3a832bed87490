package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/ratelimit"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
)

// Three replicas on one PostgreSQL database each count three, split the
// SCIM rate three ways between them, and count two once one leaves.
func TestReplicasOnPostgresShareTheRate(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	ctx := context.Background()
	var members []*Membership
	for range 3 {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		members = append(members, New(st.Jobs(), time.Second, nil, nil))
	}
	for _, m := range members {
		if m.Live() != 1 {
			t.Fatalf("before its first beat a replica counts %d, want 1", m.Live())
		}
	}
	for range 2 { // the first round's early beats saw fewer replicas
		for _, m := range members {
			if err := m.Beat(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Unix(0, 0)
	const rate, burst = 90, 90
	allowed := 0
	for _, m := range members {
		if m.Live() != 3 {
			t.Fatalf("replica %s counts %d live, want 3", m.ID(), m.Live())
		}
		l := ratelimit.New(rate, burst, m.Live, func() time.Time { return now })
		for range 1000 {
			if ok, _ := l.Allow("token"); ok {
				allowed++
			}
		}
	}
	if allowed != burst {
		t.Errorf("three replicas allowed %d at once, want the configured burst %d", allowed, burst)
	}

	// One replica shuts down: Run takes it out on its way out.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- members[2].Run(runCtx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := members[0].Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if members[0].Live() != 2 {
		t.Errorf("after one replica left: %d live, want 2", members[0].Live())
	}
}

func TestOneReplicaOnSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := New(st.Jobs(), time.Second, nil, nil)
	if err := m.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.Live() != 1 {
		t.Errorf("one replica counts %d, want 1", m.Live())
	}
}

type failingStore struct {
	mu    sync.Mutex
	fail  bool
	count int
}

func (s *failingStore) BeatReplica(context.Context, string, time.Time, time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return 0, errors.New("connection refused")
	}
	return s.count, nil
}

func (s *failingStore) LeaveReplica(context.Context, string) error { return nil }

// A database that cannot be reached leaves the last count standing:
// replicas do not each take the whole rate because the heartbeat failed.
func TestAFailedBeatKeepsTheLastCount(t *testing.T) {
	st := &failingStore{count: 4}
	m := New(st, time.Second, nil, nil)
	if err := m.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.fail = true
	if err := m.Beat(context.Background()); err == nil {
		t.Fatal("a failed beat reported no error")
	}
	if m.Live() != 4 {
		t.Errorf("after a failed beat: %d live, want the last count 4", m.Live())
	}
}
