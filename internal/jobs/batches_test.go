package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// The pass marks more users than one batch holds: every one of them, each
// with its audit event, and none twice. On PostgreSQL only: the loop over
// batches is the same code for both stores, and seeding 5,000 users into
// SQLite under the race detector takes minutes; the conformance suite runs
// each store's batch statement.
func TestInactivityPassCrossesBatches(t *testing.T) {
	const idle = 5_001 // a full batch of 5,000 and a short one
	run := func(t *testing.T, st directory.Store) {
		ctx := context.Background()
		svc := directory.NewService(st, time.Now)
		org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "batches", Name: "Batches"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		old := now.AddDate(0, 0, -200)
		users := make([]*directory.User, 0, idle+1)
		for i := range idle + 1 {
			login := old
			if i == idle {
				login = now // the one user still in use
			}
			name := fmt.Sprintf("u%05d@batches.example", i)
			users = append(users, &directory.User{
				ID: directory.NewID(), OrgID: org.ID, UserName: name, Email: name,
				Source: directory.SourceLocal, Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
				Status: directory.StatusActive, StatusSetBy: directory.AuthorityAdmin,
				CreatedAt: old, UpdatedAt: old, ActivatedAt: &old, LastLoginAt: &login, Version: 1,
			})
		}
		if err := st.InTx(ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(ctx, users) }); err != nil {
			t.Fatal(err)
		}
		n, err := svc.DeactivateInactiveUsers(ctx, InactivityActor, org.ID, now)
		if err != nil || n != idle {
			t.Fatalf("the pass marked %d (%v), want %d", n, err, idle)
		}
		counts, err := svc.CountUsersByStatus(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := counts[directory.StatusInactive][directory.SourceLocal]; got != idle {
			t.Errorf("%d users inactive, want %d", got, idle)
		}
		if got := counts[directory.StatusActive][directory.SourceLocal]; got != 1 {
			t.Errorf("%d users active, want the one in use", got)
		}
		events := 0
		q := directory.AuditQuery{Action: "user.status", Limit: 1000}
		for {
			page, err := st.Audit().ListAudit(ctx, org.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			events += len(page.Events)
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		if events != idle {
			t.Errorf("%d audit events, want one per marked user (%d)", events, idle)
		}
		if again, err := svc.DeactivateInactiveUsers(ctx, InactivityActor, org.ID, now); err != nil || again != 0 {
			t.Errorf("a second pass marked %d (%v)", again, err)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		run(t, st)
	})
}
