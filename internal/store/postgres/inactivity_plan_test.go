package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// Each batch of the inactivity pass reads the idle users through
// users_active_activity_idx, from where the batch before it ended, and the
// org_admin it spares through users_active_admin_idx: at a million users
// a batch that read the table instead took seconds, and the pass minutes.
// The test records the batches the pass sends and asks PostgreSQL for the
// plan of the last one, with its arguments, with sequential scans priced
// out: an index that no longer matches the statement's expressions shows
// up as another index or a sequential scan.
func TestInactivityBatchesReadTheirIndexes(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	s, rec := openRecording(t, url)
	ctx := context.Background()
	now := time.Now().UTC()
	org := createAcme(ctx, t, s, now)
	idle, recent := now.AddDate(0, 0, -100), now.AddDate(0, 0, -10)
	users := make([]*directory.User, 3000)
	for i := range users {
		login, role := recent, directory.RoleUser
		if i%2 == 0 {
			login = idle
		}
		if i == 1 {
			role = directory.RoleOrgAdmin
		}
		name := fmt.Sprintf("u%05d@example.com", i)
		users[i] = &directory.User{ID: directory.NewID(), OrgID: org.ID, UserName: name, Email: name,
			Source: directory.SourceLocal, Role: role, AuthMethod: directory.AuthLocal, Status: directory.StatusActive,
			CreatedAt: idle, UpdatedAt: idle, ActivatedAt: &idle, LastLoginAt: &login, Version: 1}
	}
	if err := s.InTx(ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(ctx, users) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	svc := directory.NewService(s, func() time.Time { return now })
	marked, err := svc.DeactivateInactiveUsers(ctx, directory.Actor{Kind: directory.ActorJob, ID: "inactivity"}, org.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if marked != 1500 {
		t.Fatalf("marked %d users, want 1500", marked)
	}

	batches := rec.matching("WITH marked AS (UPDATE users SET status = 'inactive'", "status = 'active'")
	if len(batches) < 3 {
		t.Fatalf("the pass sent %d batches of active users, want several", len(batches))
	}
	last := batches[len(batches)-1]
	plan := connectForPlans(t, url, "SET enable_seqscan = off").explain(last.sql, last.args...)
	for _, index := range []string{"users_active_activity_idx", "users_active_admin_idx"} {
		if !strings.Contains(plan, index) {
			t.Errorf("the batch does not read %s:\n%s", index, plan)
		}
	}
	if strings.Contains(plan, "Seq Scan on users") {
		t.Errorf("the batch scans users:\n%s", plan)
	}
}
