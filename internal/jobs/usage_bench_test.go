package jobs

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// The usage benchmarks are opt-in, on PostgreSQL:
//
//	ROSTER_BENCH_USAGE=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench Usage -benchtime 3x -timeout 30m ./internal/jobs
const (
	benchUsageEnv = "ROSTER_BENCH_USAGE"
	// benchDeltasEnv sets the writes folded per snapshot by
	// BenchmarkUsageFold (default 1,000,000).
	benchDeltasEnv = "ROSTER_BENCH_DELTAS"
	// benchCombosEnv sets how many combinations of status, role and
	// source each organization has in BenchmarkUsageFold (default and
	// at most 120, every one; a real organization has far fewer).
	benchCombosEnv = "ROSTER_BENCH_COMBOS"
	benchUsageOrgs = 1000
)

func benchUsageStore(b *testing.B) (*postgres.Store, *directory.Service) {
	b.Helper()
	if os.Getenv(benchUsageEnv) == "" {
		b.Skipf("set %s=1 to seed the data and time the usage snapshot", benchUsageEnv)
	}
	st, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st, directory.NewService(st, time.Now)
}

func createBenchOrgs(b *testing.B, svc *directory.Service) []string {
	b.Helper()
	ids := make([]string, benchUsageOrgs)
	for i := range ids {
		org, err := svc.CreateOrg(context.Background(), operator, &directory.Org{Slug: fmt.Sprintf("bench-%04d", i), Name: "Bench"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = org.ID
	}
	return ids
}

// BenchmarkUsageSnapshot seeds 1,000 organizations that hold
// ROSTER_BENCH_USERS users between them (default 1,000,000), one in five
// holding a service (through an entitlement, a mapped group, or both), and
// times the snapshot four ways: the full recount (every user read: the
// first snapshot, the weekly one, and what every snapshot cost before the
// counts were kept on write); a fold after 1,000 status changes; a fold
// after 1,000 seat changes (entitlements and group members); and a fold
// with nothing written since the last snapshot. Each run checks the seats
// of the day against a count of the holders, untimed.
func BenchmarkUsageSnapshot(b *testing.B) {
	st, svc := benchUsageStore(b)
	ctx := context.Background()
	n := benchSize(b, 1_000_000)
	now := time.Now().UTC()
	seedStart := time.Now()
	for _, id := range createBenchOrgs(b, svc) {
		if err := seed(ctx, st, id, n/benchUsageOrgs, now); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Pool().Exec(ctx, `INSERT INTO services (id, org_id, key, name, created_at, updated_at, version)
VALUES (gen_random_uuid()::text, $1, 'crm', 'CRM', now(), now(), 1)`, id); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO user_grants (user_id, kind, ordinal, value, value_lower)
SELECT id, 'entitlement', 0, 'crm', 'crm' FROM users WHERE right(user_name, 1) = '0'`); err != nil {
		b.Fatal(err)
	}
	// Each organization also maps a group to crm, whose members are
	// another one in ten users and half of the entitled ones (who hold
	// crm once): one in five users holds a seat.
	for _, q := range []string{
		`INSERT INTO groups (id, org_id, display_name, display_name_lower, source, created_at, updated_at, version)
SELECT gen_random_uuid()::text, id, 'CRM users', 'crm users', 'scim', now(), now(), 1 FROM organizations WHERE slug LIKE 'bench-%'`,
		`INSERT INTO group_members (group_id, user_id, org_id)
SELECT g.id, u.id, u.org_id FROM users u JOIN groups g ON g.org_id = u.org_id WHERE right(u.user_name, 1) IN ('5', '0') AND right(u.user_name, 2) <> '10'`,
		`INSERT INTO service_groups (service_id, group_id, org_id) SELECT s.id, g.id, s.org_id FROM services s JOIN groups g ON g.org_id = s.org_id`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Pool().Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %d organizations in %v", n, benchUsageOrgs, time.Since(seedStart).Round(time.Second))
	check := func(b *testing.B, got directory.UsageSnapshot, recounted bool) {
		b.Helper()
		if got.Counts != benchUsageOrgs || got.Services != benchUsageOrgs || got.Recounted != recounted {
			b.Fatalf("the snapshot: %+v, want one count and one service per organization, recounted %v", got, recounted)
		}
	}
	// checkSeats compares, untimed, the day's seats with a count of the
	// holders.
	checkSeats := func(b *testing.B) {
		b.Helper()
		b.StopTimer()
		defer b.StartTimer()
		var snapped, held int64
		if err := st.Pool().QueryRow(ctx, `SELECT sum(seats) FROM usage_service_snapshots WHERE day = $1`,
			now.Format(directory.UsageDayLayout)).Scan(&snapped); err != nil {
			b.Fatal(err)
		}
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM users u WHERE u.status <> 'deleted' AND (
	EXISTS (SELECT 1 FROM user_grants g WHERE g.user_id = u.id AND g.kind = 'entitlement' AND g.value_lower = 'crm')
	OR EXISTS (SELECT 1 FROM group_members gm JOIN service_groups sg ON sg.group_id = gm.group_id WHERE gm.user_id = u.id))`).Scan(&held); err != nil {
			b.Fatal(err)
		}
		if snapped != held {
			b.Fatalf("the snapshot has %d seats, the users hold %d", snapped, held)
		}
	}
	b.Run("recount", func(b *testing.B) {
		for b.Loop() {
			got, err := svc.RecountUsage(ctx, now)
			if err != nil {
				b.Fatal(err)
			}
			check(b, got, true)
			checkSeats(b)
		}
		b.ReportMetric(float64(n), "users")
	})
	b.Run("fold-1000-writes", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// 1,000 users change status (and back, every other run):
			// 2,000 deltas.
			from, to := "active", "suspended"
			if i%2 == 1 {
				from, to = to, from
			}
			if _, err := st.Pool().Exec(ctx, `UPDATE users SET status = $2 WHERE id IN (
	SELECT id FROM users WHERE status = $1 AND right(user_name, 3) = '001' LIMIT 1000)`, from, to); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			got, err := svc.SnapshotUsage(ctx, now)
			if err != nil {
				b.Fatal(err)
			}
			if got.Recounted {
				b.Fatalf("the snapshot recounted: %+v", got)
			}
			checkSeats(b)
		}
		b.ReportMetric(float64(n), "users")
	})
	b.Run("fold-1000-seat-writes", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// 1,000 seat changes, taken back every other run: 250 users
			// lose their crm entitlement (and 250 regain it), 250
			// leave the crm group (and 250 rejoin it), across the
			// organizations.
			qs := []string{
				`DELETE FROM user_grants WHERE (user_id, kind, ordinal) IN (SELECT g.user_id, g.kind, g.ordinal FROM user_grants g
	JOIN users u ON u.id = g.user_id WHERE g.kind = 'entitlement' AND right(u.user_name, 4) = '0020' LIMIT 250)`,
				`DELETE FROM group_members WHERE (group_id, user_id) IN (SELECT gm.group_id, gm.user_id FROM group_members gm
	JOIN users u ON u.id = gm.user_id WHERE right(u.user_name, 4) = '0015' LIMIT 250)`,
			}
			if i%2 == 1 {
				qs = []string{
					`INSERT INTO user_grants (user_id, kind, ordinal, value, value_lower)
SELECT u.id, 'entitlement', 0, 'crm', 'crm' FROM users u WHERE right(u.user_name, 4) = '0020'
	AND NOT EXISTS (SELECT 1 FROM user_grants g WHERE g.user_id = u.id AND g.kind = 'entitlement') LIMIT 250`,
					`INSERT INTO group_members (group_id, user_id, org_id)
SELECT g.id, u.id, u.org_id FROM users u JOIN groups g ON g.org_id = u.org_id WHERE right(u.user_name, 4) = '0015'
	AND NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.user_id = u.id) LIMIT 250`,
				}
			}
			for _, q := range qs {
				if _, err := st.Pool().Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			got, err := svc.SnapshotUsage(ctx, now)
			if err != nil {
				b.Fatal(err)
			}
			if got.Recounted {
				b.Fatalf("the snapshot recounted: %+v", got)
			}
			checkSeats(b)
		}
		b.ReportMetric(float64(n), "users")
	})
	b.Run("fold-nothing", func(b *testing.B) {
		for b.Loop() {
			got, err := svc.SnapshotUsage(ctx, now)
			if err != nil {
				b.Fatal(err)
			}
			if got.Recounted || got.Folded != 0 || got.SeatsFolded != 0 {
				b.Fatalf("the snapshot: %+v, want a fold of nothing", got)
			}
			checkSeats(b)
		}
		b.ReportMetric(float64(n), "users")
	})
}

// BenchmarkUsageFold times the snapshot of 1,000 organizations of 100,000
// users each (100M users) without creating them: the users table is
// empty, usage_counts holds the counts of 100M users spread over
// ROSTER_BENCH_COMBOS combinations of status, role and source per
// organization (default 120: every one), and each run
// folds ROSTER_BENCH_DELTAS deltas (default 1,000,000: a very busy day)
// written straight into the log, and a tenth as many seat changes of the
// organizations' services (one each, 20,000 seats). The fold reads the
// deltas and the counts, never the users or the holdings.
func BenchmarkUsageFold(b *testing.B) {
	st, svc := benchUsageStore(b)
	ctx := context.Background()
	deltas := 1_000_000
	if s := os.Getenv(benchDeltasEnv); s != "" {
		var err error
		if deltas, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	combos := 120
	if s := os.Getenv(benchCombosEnv); s != "" {
		var err error
		if combos, err = strconv.Atoi(s); err != nil || combos < 1 || combos > 120 {
			b.Fatalf("%s=%s: want 1 to 120", benchCombosEnv, s)
		}
	}
	createBenchOrgs(b, svc)
	now := time.Now().UTC()
	day := now.Format(directory.UsageDayLayout)
	// The first `combos` combinations, numbered from 0 as k.
	const combosTable = `(SELECT * FROM (SELECT s, r, src, row_number() OVER (ORDER BY s, r, src) - 1 AS k
	FROM unnest(ARRAY['pending','active','locked','suspended','inactive','deleted']) s,
	unnest(ARRAY['user','org_admin','org_viewer','billing_admin']) r,
	unnest(ARRAY['local','import','scim','ldap','entra']) src) a WHERE k < $1) c`
	// 100,000 users per organization, spread over its combinations.
	if _, err := st.Pool().Exec(ctx, `INSERT INTO usage_counts (org_id, status, role, source, users)
SELECT o.id, c.s, c.r, c.src, 100000 / $1 + CASE WHEN c.k = 0 THEN 100000 % $1 ELSE 0 END
FROM organizations o CROSS JOIN `+combosTable, combos); err != nil {
		b.Fatal(err)
	}
	// One service per organization, held by 20,000 of its users (20M
	// seats kept in service_seats; no holding rows, which a fold does not
	// read).
	if _, err := st.Pool().Exec(ctx, `INSERT INTO services (id, org_id, key, name, created_at, updated_at, version)
SELECT gen_random_uuid()::text, id, 'crm', 'CRM', now(), now(), 1 FROM organizations`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO service_seats (service_id, seats) SELECT id, 20000 FROM services`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO usage_recount (id, day) VALUES (1, $1)`, day); err != nil {
		b.Fatal(err)
	}
	var users int64
	if err := st.Pool().QueryRow(ctx, `SELECT sum(users) FROM usage_counts`).Scan(&users); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Pairs of -1 and +1 (a status change) spread over every
		// organization and combination.
		if _, err := st.Pool().Exec(ctx, `INSERT INTO usage_deltas (org_id, status, role, source, delta)
SELECT o.id, c.s, c.r, c.src, CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END
FROM generate_series(1, $2::int) g
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM organizations) o ON o.k = (g / 2) % 1000
JOIN `+combosTable+` ON c.k = (g / 2000 + g % 2) % $1`, combos, deltas); err != nil {
			b.Fatal(err)
		}
		// A tenth as many seat changes, pairs of -1 and +1 spread over
		// the services.
		if _, err := st.Pool().Exec(ctx, `INSERT INTO service_seat_deltas (service_id, delta)
SELECT s.id, CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END
FROM generate_series(1, $1::int) g
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM services) s ON s.k = (g / 2) % 1000`, deltas/10); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Pool().Exec(ctx, "ANALYZE usage_deltas, service_seat_deltas"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := svc.SnapshotUsage(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		if got.Recounted || got.Counts != benchUsageOrgs*combos || got.Services != benchUsageOrgs {
			b.Fatalf("the snapshot: %+v, want a fold, %d counts and %d services", got, benchUsageOrgs*combos, benchUsageOrgs)
		}
	}
	b.ReportMetric(float64(users), "users")
	b.ReportMetric(float64(deltas), "deltas")
	b.ReportMetric(float64(deltas/10), "seat-deltas")
	b.ReportMetric(float64(benchUsageOrgs*combos), "counts")
}
