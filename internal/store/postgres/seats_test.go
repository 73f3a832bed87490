package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/storetest"
)

// Sixteen transactions each give one user a service without a seat
// limit and wait, uncommitted, until all sixteen have: were the seats one
// counter row per service, the second would wait for the first to commit
// and the sixteen would never all get there. Committed, the next snapshot
// counts them.
func TestSeatDeltasDoNotSerialiseAssignments(t *testing.T) {
	s := open(t, withPool(pgtest.NewDatabaseURL(t), 24))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	org := createAcme(ctx, t, s, now)
	createCRM(ctx, t, s, org, now)
	const writers = 16
	users := make([]*directory.User, writers)
	for i := range users {
		users[i] = usageTestUser(org, i, now)
		if err := s.Users().CreateUser(ctx, users[i]); err != nil {
			t.Fatal(err)
		}
	}
	day := now.UTC().Format(directory.UsageDayLayout)
	if _, err := s.Jobs().SnapshotUsage(ctx, day, true); err != nil {
		t.Fatal(err)
	}

	var written sync.WaitGroup
	written.Add(writers)
	all := make(chan struct{})
	go func() { written.Wait(); close(all) }()
	errs := make(chan error, writers)
	for _, u := range users {
		go func() {
			errs <- s.InTx(ctx, func(r directory.Repos) error {
				u.Entitlements = []directory.Grant{{Value: "crm"}}
				err := r.Users().UpdateUser(ctx, u, now)
				if err == nil {
					// The read sends an update the transaction may hold.
					_, err = r.Users().GetUser(ctx, org.ID, u.ID)
				}
				written.Done()
				if err != nil {
					return err
				}
				select {
				case <-all:
					return nil
				case <-time.After(10 * time.Second):
					return fmt.Errorf("user %s: the other assignments never got past their write", u.UserName)
				}
			})
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seats, err := s.Services().CountSeats(ctx, org.ID, []string{"crm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seats["crm"] != writers {
		t.Errorf("CountSeats = %v, want crm %d", seats, writers)
	}
	if got, err := s.Jobs().SnapshotUsage(ctx, day, false); err != nil || got.Recounted || got.SeatsFolded != 1 {
		t.Fatalf("the snapshot: %+v, %v, want a fold of one service's seats", got, err)
	}
	rows, err := s.Jobs().UsageServiceSeries(ctx, org.ID, day, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Seats != writers {
		t.Errorf("the snapshot's seats: %+v, want crm %d", rows, writers)
	}
}

func TestSeatRecountHeals(t *testing.T) {
	s := open(t, pgtest.NewDatabaseURL(t))
	storetest.SeatRecountHeals(t, s, func(ctx context.Context, query string, args ...any) error {
		_, err := s.Pool().Exec(ctx, query, args...)
		return err
	})
}

// The weekly recount does not stop entitlement writes: it finishes while
// one is open, uncommitted, and does not undo it. The recount before the
// commit counts the seat of what it saw; the fold after it adds the
// open write's.
func TestSeatRecountDoesNotWaitForWriters(t *testing.T) {
	s := open(t, withPool(pgtest.NewDatabaseURL(t), 8))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	org := createAcme(ctx, t, s, now)
	createCRM(ctx, t, s, org, now)
	var users []*directory.User
	for i := range 3 {
		u := usageTestUser(org, i, now)
		if i < 2 {
			u.Entitlements = []directory.Grant{{Value: "crm"}}
		}
		if err := s.Users().CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	day := now.UTC().Format(directory.UsageDayLayout)

	written, release := make(chan struct{}), make(chan struct{})
	writer := make(chan error, 1)
	go func() {
		writer <- s.InTx(ctx, func(r directory.Repos) error {
			u := users[2]
			u.Entitlements = []directory.Grant{{Value: "crm"}}
			if err := r.Users().UpdateUser(ctx, u, now); err != nil {
				return err
			}
			// The read sends the update the transaction may hold.
			if _, err := r.Users().GetUser(ctx, org.ID, u.ID); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	select {
	case <-written:
	case err := <-writer:
		t.Fatalf("the writer: %v", err)
	}
	recounted := make(chan error, 1)
	go func() {
		got, err := s.Jobs().SnapshotUsage(ctx, day, true)
		if err == nil && !got.Recounted {
			err = fmt.Errorf("the snapshot did not recount: %+v", got)
		}
		recounted <- err
	}()
	select {
	case err := <-recounted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the recount waited for an uncommitted entitlement write")
	}
	close(release)
	if err := <-writer; err != nil {
		t.Fatal(err)
	}
	seatsOn := func(when string) int {
		rows, err := s.Jobs().UsageServiceSeries(ctx, org.ID, day, day)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: the day's seats %+v, %v", when, rows, err)
		}
		return rows[0].Seats
	}
	if n := seatsOn("after the recount"); n != 2 {
		t.Errorf("the recount counted %d seats, want the 2 committed before it", n)
	}
	if _, err := s.Jobs().SnapshotUsage(ctx, day, false); err != nil {
		t.Fatal(err)
	}
	if n := seatsOn("after the next fold"); n != 3 {
		t.Errorf("the fold after the write's commit counted %d seats, want 3", n)
	}
	seats, err := s.Services().CountSeats(ctx, org.ID, []string{"crm"}, nil)
	if err != nil || seats["crm"] != 3 {
		t.Errorf("CountSeats = %v, %v; want crm 3", seats, err)
	}
}

// createCRM gives org the service crm, without a seat limit.
func createCRM(ctx context.Context, t *testing.T, s directory.Store, org *directory.Org, now time.Time) {
	t.Helper()
	crm := &directory.OrgService{ID: directory.NewID(), OrgID: org.ID, Key: "crm", Name: "CRM", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Services().CreateService(ctx, crm); err != nil {
		t.Fatal(err)
	}
}
