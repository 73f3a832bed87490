package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// contenders is how many goroutines race in each concurrency test.
const contenders = 16

// deadlockTimeout bounds each race; a store that deadlocks fails with every
// goroutine's stack instead of hanging the run.
const deadlockTimeout = 60 * time.Second

// RunConcurrency runs goroutines against one store at the same time and
// checks that uniqueness and optimistic versions hold under contention.
func RunConcurrency(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"one of many creations of a userName wins", testRaceCreateUser},
		{"one of many updates from the same version wins", testRaceUpdateUser},
		{"updates of a user read for update wait for each other", testRaceLockedUpdates},
		{"concurrent additions to one group add each member once", testRaceAddMembers},
		{"concurrent transactions all commit", testRaceTransactions},
		{"one of many assignments of a service's last seat wins", testRaceLastSeat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newFixture(t, newStore(t)))
		})
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released together and
// returns their errors. If they have not all returned after
// deadlockTimeout, it fails t with every goroutine's stack instead of
// hanging the run.
func race(t *testing.T, n int, fn func(i int) error) []error {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	close(start)
	select {
	case <-done:
	case <-time.After(deadlockTimeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("no result after %v; deadlock? goroutines:\n%s", deadlockTimeout, buf)
	}
	return errs
}

func testRaceCreateUser(t *testing.T, f *fixture) {
	orgs := []*directory.Org{f.org("a"), f.org("b")}
	errs := race(t, contenders, func(i int) error {
		name := "Race@Example.com"
		if i%2 == 1 {
			name = strings.ToUpper(name)
		}
		return f.s.Users().CreateUser(f.ctx, f.fullUser(orgs[i%2], name))
	})
	// Each organization has its own userNames: one creation wins in each.
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case directory.IsCode(err, directory.CodeConflict):
			var e *directory.Error
			if errors.As(err, &e) && e.Field != "userName" {
				t.Errorf("conflict on %q, want userName", e.Field)
			}
		default:
			t.Errorf("CreateUser: %v, want success or a conflict", err)
		}
	}
	if wins != len(orgs) {
		t.Errorf("%d creations succeeded, want exactly %d, one per organization", wins, len(orgs))
	}
}

func testRaceUpdateUser(t *testing.T, f *fixture) {
	org := f.org("a")
	u := f.user(org, "contended@example.com")
	errs := race(t, contenders, func(i int) error {
		c := u.Clone()
		c.DisplayName = fmt.Sprintf("writer %d", i)
		return f.s.Users().UpdateUser(f.ctx, c, f.at(time.Duration(i)*time.Second))
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, directory.ErrStale):
		default:
			t.Errorf("UpdateUser: %v, want success or ErrStale", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d updates succeeded, want exactly 1", wins)
	}
	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	if err != nil {
		t.Errorf("GetUser: %v", err)
		return
	}
	if got.Version != u.Version+1 {
		t.Errorf("Version = %d after one winning update, want %d", got.Version, u.Version+1)
	}
}

func testRaceAddMembers(t *testing.T, f *fixture) {
	org := f.org("a")
	g := f.group(org, "Crowd")
	var users []*directory.User
	for i := range 40 {
		users = append(users, f.user(org, fmt.Sprintf("crowd%02d@example.com", i)))
	}
	// Each goroutine adds an overlapping window of ten users, some in
	// reverse order, so that lock orders would differ if the store did not
	// impose one.
	added := make([][]string, contenders)
	errs := race(t, contenders, func(i int) error {
		window := ids(users[(i*2)%30 : (i*2)%30+10])
		if i%2 == 1 {
			for l, r := 0, len(window)-1; l < r; l, r = l+1, r-1 {
				window[l], window[r] = window[r], window[l]
			}
		}
		var err error
		added[i], err = f.s.Groups().AddMembers(f.ctx, org.ID, g.ID, window)
		return err
	})
	seen := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("AddMembers: %v", err)
		}
		for _, id := range added[i] {
			seen[id]++
		}
	}
	page, err := f.s.Groups().ListMembers(f.ctx, org.ID, g.ID, "", directory.MaxPageSize)
	if err != nil {
		t.Errorf("ListMembers: %v", err)
		return
	}
	for _, m := range page.Members {
		if seen[m.UserID] != 1 {
			t.Errorf("member %s was reported added %d times, want once", m.UserID, seen[m.UserID])
		}
	}
	if len(page.Members) != len(seen) {
		t.Errorf("%d members, but %d distinct users reported added", len(page.Members), len(seen))
	}
}

func testRaceTransactions(t *testing.T, f *fixture) {
	org := f.org("a")
	errs := race(t, contenders, func(i int) error {
		return f.s.InTx(f.ctx, func(r directory.Repos) error {
			u := f.newUser(org, fmt.Sprintf("tx%02d@example.com", i))
			if err := r.Users().CreateUser(f.ctx, u); err != nil {
				return err
			}
			return r.Audit().AppendAudit(f.ctx, &directory.AuditEvent{
				OrgID: org.ID, Time: f.base, ActorKind: directory.ActorSystem, Action: "user.create",
				TargetKind: "user", TargetID: u.ID,
			})
		})
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("InTx: %v", err)
		}
	}
	page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{CountTotal: true})
	if err != nil {
		t.Errorf("ListUsers: %v", err)
		return
	}
	events, err := f.s.Audit().ListAudit(f.ctx, org.ID, directory.AuditQuery{Limit: directory.MaxPageSize})
	if err != nil {
		t.Errorf("ListAudit: %v", err)
		return
	}
	if page.Total != contenders || len(events.Events) != contenders {
		t.Errorf("%d users and %d events after %d transactions", page.Total, len(events.Events), contenders)
	}
}
