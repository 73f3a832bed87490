package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/storetest"
)

// TestUpdatesOfUnindexedAttributesWriteNoIndexEntry updates the title of
// users written by a bulk insert, as an identity provider's PATCH does,
// and checks that PostgreSQL made heap-only (HOT) updates: the new row
// versions found room in their pages (migration 0160) and no index of
// users got an entry. At the default fillfactor none of them is HOT.
func TestUpdatesOfUnindexedAttributesWriteNoIndexEntry(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	s := open(t, url)
	ctx := context.Background()
	orgID := storetest.SeedLookupOrg(t, s, 600)
	conn := connectForPlans(t, url)
	rows, err := conn.conn.Query(ctx, `SELECT id FROM users WHERE org_id = $1 ORDER BY id LIMIT 300`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		u, err := s.Users().GetUser(ctx, orgID, id)
		if err != nil {
			t.Fatal(err)
		}
		u.Title = "Manager"
		if err := s.Users().UpdateUser(ctx, u, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// The pool's backends report their statistics as they end.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var updated, hot int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := conn.conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		if err := conn.conn.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
			WHERE relid = 'users'::regclass`).Scan(&updated, &hot); err != nil {
			t.Fatal(err)
		}
		if updated >= int64(len(ids)) {
			break
		}
	}
	if updated < int64(len(ids)) {
		t.Fatalf("the statistics show %d updates of users, want %d", updated, len(ids))
	}
	if hot < updated*9/10 {
		t.Errorf("%d of %d updates of a title were HOT, want nine in ten at least", hot, updated)
	}
}
