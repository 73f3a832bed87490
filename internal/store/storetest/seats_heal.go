package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// SeatRecountHeals checks on s that seats the triggers did not keep
// (rows exec writes behind their back, on s's database) are wrong until
// the next recount, which repairs them, and that a fold that would leave
// seats below zero recounts at once.
func SeatRecountHeals(t *testing.T, s directory.Store, exec func(ctx context.Context, query string, args ...any) error) {
	ctx := context.Background()
	now := time.Now()
	org := &directory.Org{ID: directory.NewID(), Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(),
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	crm := &directory.OrgService{ID: directory.NewID(), OrgID: org.ID, Key: "crm", Name: "CRM", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Services().CreateService(ctx, crm); err != nil {
		t.Fatal(err)
	}
	var ada *directory.User
	for i := range 2 {
		name := fmt.Sprintf("u%02d@acme.example", i)
		u := &directory.User{ID: directory.NewID(), OrgID: org.ID, UserName: name, Email: name,
			Role: directory.RoleUser, AuthMethod: directory.AuthSSO, Status: directory.StatusActive,
			Source: directory.SourceSCIM, CreatedAt: now, UpdatedAt: now, Version: 1}
		u.Entitlements = []directory.Grant{{Value: "crm"}}
		if err := s.Users().CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ada = u
	}
	day := now.UTC().Format(directory.UsageDayLayout)
	snapshot := func(recount bool) (directory.UsageSnapshot, int) {
		t.Helper()
		got, err := s.Jobs().SnapshotUsage(ctx, day, recount)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Jobs().UsageServiceSeries(ctx, org.ID, day, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("service rows %+v, want crm's", rows)
		}
		return got, rows[0].Seats
	}
	if _, n := snapshot(true); n != 2 {
		t.Fatalf("the first recount counts %d seats, want 2", n)
	}

	// A holding lost: the seats follow it, wrongly, until a recount.
	if err := exec(ctx, `DELETE FROM service_holdings WHERE user_id = $1`, ada.ID); err != nil {
		t.Fatal(err)
	}
	if got, n := snapshot(false); got.Recounted || n != 1 {
		t.Fatalf("a fold after a lost holding: %+v, %d seats; want a fold of the drift, 1 seat", got, n)
	}
	if got, n := snapshot(true); !got.Recounted || n != 2 {
		t.Errorf("the recount: %+v, %d seats; want 2", got, n)
	}
	// The holding is back: ada's loss gives its seat back again.
	if err := exec(ctx, `DELETE FROM service_holdings WHERE user_id = $1`, ada.ID); err != nil {
		t.Fatal(err)
	}
	if got, n := snapshot(false); got.Recounted || n != 1 {
		t.Fatalf("a fold after the holding, recounted, is lost again: %+v, %d seats; want 1", got, n)
	}
	if got, n := snapshot(true); !got.Recounted || n != 2 {
		t.Errorf("the second recount: %+v, %d seats; want 2", got, n)
	}

	// Seats given back that were never taken: the fold goes below zero
	// and recounts.
	if err := exec(ctx, `INSERT INTO service_seat_deltas (service_id, delta) VALUES ($1, -5)`, crm.ID); err != nil {
		t.Fatal(err)
	}
	if got, n := snapshot(false); !got.Recounted || n != 2 {
		t.Errorf("a fold to negative seats: %+v, %d seats; want a recount, 2 seats", got, n)
	}
	seats, err := s.Services().CountSeats(ctx, org.ID, []string{"crm"}, nil)
	if err != nil || seats["crm"] != 2 {
		t.Errorf("CountSeats after the recount = %v, %v; want crm 2", seats, err)
	}
}
