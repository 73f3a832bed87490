package sqlite_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUpgradeCountsExistingSeats migrates a database holding services
// (through entitlements, a mapped group, both, and a deleted user) to the
// seats kept on write, and checks that the seats are counted from the
// start, the same as a recount.
func TestUpgradeCountsExistingSeats(t *testing.T) {
	ctx := context.Background()
	path, db, exec := migratedThrough(t, 144)
	const at = "2026-01-01T00:00:00.000000Z"
	exec(`INSERT INTO organizations (id, slug, name, mfa_policy, lockout_threshold, inactivity_days, password_min_length, created_at, updated_at, version)
		VALUES ('acme-id', 'acme', 'Acme', 'optional', 10, 90, 12, ?, ?, 1)`, at, at)
	for _, u := range []struct{ id, status string }{{"ada", "active"}, {"bob", "suspended"}, {"cyd", "active"}, {"gone", "deleted"}, {"dan", "active"}} {
		exec(`INSERT INTO users (id, org_id, user_name, user_name_lower, email, email_lower, source, role, auth_method, status, created_at, updated_at, version)
			VALUES (?, 'acme-id', ?, ?, ?, ?, 'local', 'user', 'local', ?, ?, ?, 1)`, u.id, u.id, u.id, u.id+"@acme.example", u.id+"@acme.example", u.status, at, at)
	}
	for _, s := range []string{"crm", "wiki"} {
		exec(`INSERT INTO services (id, org_id, key, name, created_at, updated_at, version) VALUES (?, 'acme-id', ?, ?, ?, ?, 1)`, s+"-id", s, s, at, at)
	}
	for _, g := range []struct{ user, value string }{{"ada", "CRM"}, {"ada", "crm"}, {"bob", "crm"}, {"gone", "crm"}, {"dan", "other"}} {
		exec(`INSERT INTO user_grants (user_id, kind, ordinal, value, value_lower) VALUES (?, 'entitlement',
			(SELECT count(*) FROM user_grants WHERE user_id = ?), ?, lower(?))`, g.user, g.user, g.value, g.value)
	}
	exec(`INSERT INTO groups (id, org_id, display_name, display_name_lower, source, created_at, updated_at, version)
		VALUES ('sales-id', 'acme-id', 'Sales', 'sales', 'local', ?, ?, 1)`, at, at)
	for _, u := range []string{"ada", "cyd", "gone"} {
		exec(`INSERT INTO group_members (group_id, user_id, org_id) VALUES ('sales-id', ?, 'acme-id')`, u)
	}
	exec(`INSERT INTO service_groups (service_id, group_id, org_id) VALUES ('crm-id', 'sales-id', 'acme-id'), ('wiki-id', 'sales-id', 'acme-id')`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path)
	want := map[string]int{"crm": 3, "wiki": 2} // crm: ada, bob, cyd; wiki: ada, cyd
	got, err := s.Services().CountSeats(ctx, "acme-id", []string{"crm", "wiki"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seats after the upgrade (-want +got):\n%s", diff)
	}
	for _, recount := range []bool{false, true} {
		if _, err := s.Jobs().SnapshotUsage(ctx, "2026-01-02", recount); err != nil {
			t.Fatal(err)
		}
		rows, err := s.Jobs().UsageServiceSeries(ctx, "acme-id", "2026-01-02", "2026-01-02")
		if err != nil {
			t.Fatal(err)
		}
		snapped := map[string]int{}
		for _, r := range rows {
			snapped[r.Key] = r.Seats
		}
		if diff := cmp.Diff(want, snapped); diff != "" {
			t.Errorf("the snapshot after the upgrade, recount %v (-want +got):\n%s", recount, diff)
		}
	}
}
