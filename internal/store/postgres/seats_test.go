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
	crm := &directory.OrgService{ID: directory.NewID(), OrgID: org.ID, Key: "crm", Name: "CRM", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Services().CreateService(ctx, crm); err != nil {
		t.Fatal(err)
	}
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
