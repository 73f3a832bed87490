package sqlstore

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// The usage snapshot (see migrations 0096, 0110, 0111 and 0145). Triggers
// on users append +1/-1 rows to usage_deltas, and triggers on the grants,
// memberships and mappings that give services keep service_holdings and
// append +1/-1 rows to service_seat_deltas; a snapshot folds both logs into
// usage_counts and service_seats and copies the counts into the day's
// rows, so that its cost is the number of deltas and counts rather than the
// number of users or holders. A recount rebuilds usage_counts from users
// and service_holdings from the grants and memberships, then service_seats
// from service_holdings: the first snapshot, then once a week, or when a
// fold leaves a count below zero.
const (
	usageRecountDays = 7

	// PostgreSQL deletes the deltas it sums in the same statement: a delta
	// committed meanwhile is neither summed nor deleted, and waits for the
	// next fold.
	foldUsagePostgres = `WITH gone AS (DELETE FROM usage_deltas RETURNING org_id, status, role, source, delta)
INSERT INTO usage_counts (org_id, status, role, source, users)
SELECT org_id, status, role, source, sum(delta) FROM gone GROUP BY org_id, status, role, source
ON CONFLICT (org_id, status, role, source) DO UPDATE SET users = usage_counts.users + excluded.users`
	// SQLite has one writer: nothing comes between the sum and the delete.
	foldUsageSQLite = `INSERT INTO usage_counts (org_id, status, role, source, users)
SELECT org_id, status, role, source, sum(delta) FROM usage_deltas WHERE true GROUP BY org_id, status, role, source
ON CONFLICT (org_id, status, role, source) DO UPDATE SET users = usage_counts.users + excluded.users`
	clearUsageDeltas = `DELETE FROM usage_deltas`
	// Two snapshots at once (the job runs on one replica, but an operator
	// or a test may start another) take turns, so that a fold never adds
	// its deltas to counts a recount is rebuilding. SQLite writers take
	// turns anyway.
	lockUsagePostgres = `LOCK TABLE usage_counts IN SHARE ROW EXCLUSIVE MODE`
	// Seats as usage: PostgreSQL deletes the deltas it sums in the same
	// statement, SQLite sums then deletes.
	foldSeatsPostgres = `WITH gone AS (DELETE FROM service_seat_deltas RETURNING service_id, delta)
INSERT INTO service_seats (service_id, seats)
SELECT service_id, sum(delta) FROM gone GROUP BY service_id
ON CONFLICT (service_id) DO UPDATE SET seats = service_seats.seats + excluded.seats`
	foldSeatsSQLite = `INSERT INTO service_seats (service_id, seats)
SELECT service_id, sum(delta) FROM service_seat_deltas WHERE true GROUP BY service_id
ON CONFLICT (service_id) DO UPDATE SET seats = service_seats.seats + excluded.seats`
	clearSeatDeltas = `DELETE FROM service_seat_deltas`
	// Counts of nobody, or of an organization deleted since, are dropped;
	// so are the seats of nobody, or of a service deleted since.
	pruneUsageCounts = `DELETE FROM usage_counts WHERE users = 0 OR NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = usage_counts.org_id)`
	pruneSeats       = `DELETE FROM service_seats WHERE seats = 0 OR NOT EXISTS (SELECT 1 FROM services s WHERE s.id = service_seats.service_id)`
	negativeUsage    = `SELECT (SELECT count(*) FROM usage_counts WHERE users < 0) + (SELECT count(*) FROM service_seats WHERE seats < 0)`
	lastUsageRecount = `SELECT day FROM usage_recount WHERE id = 1`
	markUsageRecount = `INSERT INTO usage_recount (id, day) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET day = excluded.day`
	clearUsageCounts = `DELETE FROM usage_counts`
	// One statement, so one snapshot of users and of the deltas it
	// deletes: the deltas of writes it does not see stay for the next fold.
	recountUsagePostgres = `WITH gone AS (DELETE FROM usage_deltas RETURNING 1)
INSERT INTO usage_counts (org_id, status, role, source, users)
SELECT org_id, status, role, source, count(*) FROM users GROUP BY org_id, status, role, source`
	recountUsageSQLite = `INSERT INTO usage_counts (org_id, status, role, source, users)
SELECT org_id, status, role, source, count(*) FROM users GROUP BY org_id, status, role, source`

	// holdingSources lists each source of a holding: an entitlement of
	// the service's key, a membership of a group mapped to it.
	holdingSources = `
	SELECT s.id AS sid, g.user_id AS uid, s.org_id AS oid FROM services s
	JOIN user_grants g ON g.kind = 'entitlement' AND g.value_lower = s.key
	UNION ALL
	SELECT sg.service_id, gm.user_id, sg.org_id FROM service_groups sg JOIN group_members gm ON gm.group_id = sg.group_id`

	// The seats' recount rebuilds service_holdings from what gives a
	// service, as countSeats counted before the holdings were kept: the
	// users of the service's organization holding its key as an
	// entitlement or belonging to a group mapped to it. It writes only the
	// rows that are wrong, so that the triggers on service_holdings fire
	// for those alone. On SQLite the recount's transaction is the only
	// writer: its deltas are all seen, and service_seats is counted from
	// service_holdings.
	//
	// On PostgreSQL the recount does not stop writers (a lock would hold
	// every entitlement and membership write for as long as it reads, minutes
	// at 100M users). One statement reads, in one snapshot, what each
	// holding should be and what it is, and adds the difference to the
	// row as it is when written: the triggers change sources by relative
	// amounts too, so a write the statement did not see keeps its effect.
	// A row left without a source then goes, and held follows the
	// user's status. A correction that meets a write of the same holding
	// made during the recount may be off until the next one: the
	// recount heals what the triggers missed, and must not stop them.
	repairHoldingsPostgres = `WITH truth AS (
	SELECT h.sid, u.id AS uid, count(*) AS sources, u.status <> 'deleted' AS held FROM (` + holdingSources + `
	) h JOIN users u ON u.id = h.uid AND u.org_id = h.oid
	GROUP BY h.sid, u.id, u.status
), diff AS (
	SELECT COALESCE(t.sid, k.service_id) AS sid, COALESCE(t.uid, k.user_id) AS uid,
		COALESCE(t.sources, 0) - COALESCE(k.sources, 0) AS d, COALESCE(t.held, k.held) AS held
	FROM truth t FULL JOIN service_holdings k ON k.service_id = t.sid AND k.user_id = t.uid
	WHERE COALESCE(t.sources, 0) <> COALESCE(k.sources, 0)
)
INSERT INTO service_holdings (service_id, user_id, sources, held) SELECT sid, uid, d, held FROM diff
ON CONFLICT (service_id, user_id) DO UPDATE SET sources = service_holdings.sources + excluded.sources`
	pruneEmptyHoldings = `DELETE FROM service_holdings WHERE sources <= 0`
	repairHeld         = `UPDATE service_holdings h SET held = u.status <> 'deleted' FROM users u
WHERE u.id = h.user_id AND h.held <> (u.status <> 'deleted')`
	// recountSeatsPostgres counts the seats from the holdings and
	// deletes the seat log in one snapshot: a change it does not see is
	// neither counted nor deleted, and the next fold adds it.
	recountSeatsPostgres = `WITH gone AS (DELETE FROM service_seat_deltas RETURNING 1)
INSERT INTO service_seats (service_id, seats)
SELECT service_id, count(*) FROM service_holdings WHERE held GROUP BY service_id`
	recountHoldings = `INSERT INTO service_holdings (service_id, user_id, sources, held)
SELECT h.sid, u.id, count(*), u.status <> 'deleted' FROM (` + holdingSources + `
) h JOIN users u ON u.id = h.uid AND u.org_id = h.oid
WHERE true GROUP BY h.sid, u.id, u.status
ON CONFLICT (service_id, user_id) DO UPDATE SET sources = excluded.sources, held = excluded.held
WHERE service_holdings.sources <> excluded.sources OR service_holdings.held <> excluded.held`
	pruneHoldings = `DELETE FROM service_holdings WHERE NOT EXISTS (
	SELECT 1 FROM services s JOIN users u ON u.id = service_holdings.user_id AND u.org_id = s.org_id
	WHERE s.id = service_holdings.service_id AND (
		EXISTS (SELECT 1 FROM user_grants g WHERE g.user_id = u.id AND g.kind = 'entitlement' AND g.value_lower = s.key)
		OR EXISTS (SELECT 1 FROM service_groups sg JOIN group_members gm ON gm.group_id = sg.group_id AND gm.user_id = u.id
			WHERE sg.service_id = s.id AND sg.org_id = u.org_id)))`
	clearSeats   = `DELETE FROM service_seats`
	recountSeats = `INSERT INTO service_seats (service_id, seats)
SELECT service_id, count(*) FROM service_holdings WHERE held GROUP BY service_id`

	// A snapshot replaces the day's rows: a combination of status, role
	// and source that no user has any more must not keep its old count.
	clearUsageDay = `DELETE FROM usage_snapshots WHERE day = $1`
	snapshotUsage = `INSERT INTO usage_snapshots (org_id, day, status, role, source, users)
SELECT org_id, $1, status, role, source, users FROM usage_counts`
	clearUsageServiceDay = `DELETE FROM usage_service_snapshots WHERE day = $1`
	// snapshotServices copies the seats of every service, folded.
	snapshotServices = `INSERT INTO usage_service_snapshots (org_id, day, service, name, seats, seat_limit)
SELECT s.org_id, $1, s.key, s.name, COALESCE(c.seats, 0), s.seat_limit
FROM services s LEFT JOIN service_seats c ON c.service_id = s.id`

	usageSeries = `SELECT day, status, role, source, users FROM usage_snapshots
WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, status, role, source`
	usageServiceSeries = `SELECT day, service, name, seats, seat_limit FROM usage_service_snapshots
WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, service`
)

// SnapshotUsage implements directory.JobStore in one transaction.
func (s jobStore) SnapshotUsage(ctx context.Context, day string, recount bool) (directory.UsageSnapshot, error) {
	d := s.r.c.Dialect
	var out directory.UsageSnapshot
	err := s.r.c.Atomic(ctx, func(db DB) error {
		out = directory.UsageSnapshot{}
		if d == sqlbuild.Postgres {
			if _, err := db.Exec(ctx, lockUsagePostgres); err != nil {
				return err
			}
		}
		due, err := usageRecountDue(ctx, db, day)
		if err != nil {
			return err
		}
		if recount || due {
			return s.recountUsage(ctx, db, day, &out)
		}
		fold := foldUsagePostgres
		if d == sqlbuild.SQLite {
			fold = foldUsageSQLite
		}
		if out.Folded, err = db.Exec(ctx, fold); err != nil {
			return err
		}
		foldSeats := foldSeatsPostgres
		if d == sqlbuild.SQLite {
			foldSeats = foldSeatsSQLite
		}
		if out.SeatsFolded, err = db.Exec(ctx, foldSeats); err != nil {
			return err
		}
		if d == sqlbuild.SQLite {
			for _, q := range []string{clearUsageDeltas, clearSeatDeltas} {
				if _, err := db.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		var negative int
		if err := db.QueryRow(ctx, negativeUsage).Scan(&negative); err != nil {
			return err
		}
		if negative > 0 {
			// The counts are wrong (a write the triggers did not see):
			// start again from the users.
			return s.recountUsage(ctx, db, day, &out)
		}
		return writeUsageDay(ctx, db, day, &out)
	})
	return out, s.r.fail(err)
}

// usageRecountDue reports whether the counts were never recounted, or
// last recounted a week or more before day.
func usageRecountDue(ctx context.Context, db DB, day string) (bool, error) {
	var last string
	err := db.QueryRow(ctx, lastUsageRecount).Scan(&last)
	if noRows(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	t, err := time.Parse(time.DateOnly, last)
	if err != nil {
		return true, nil //nolint:nilerr // a day the store cannot read: recount, which writes a good one
	}
	return day >= t.AddDate(0, 0, usageRecountDays).Format(time.DateOnly), nil
}

// recountUsage rebuilds the counts from the users and writes the day.
func (s jobStore) recountUsage(ctx context.Context, db DB, day string, out *directory.UsageSnapshot) error {
	out.Recounted = true
	if _, err := db.Exec(ctx, clearUsageCounts); err != nil {
		return err
	}
	if s.r.c.Dialect == sqlbuild.SQLite {
		if _, err := db.Exec(ctx, clearUsageDeltas); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, recountUsageSQLite); err != nil {
			return err
		}
	} else if _, err := db.Exec(ctx, recountUsagePostgres); err != nil {
		return err
	}
	if err := s.recountSeats(ctx, db); err != nil {
		return err
	}
	if _, err := db.Exec(ctx, markUsageRecount, day); err != nil {
		return err
	}
	return writeUsageDay(ctx, db, day, out)
}

// recountSeats repairs service_holdings from the grants and memberships
// and counts service_seats from it again.
func (s jobStore) recountSeats(ctx context.Context, db DB) error {
	qs := []string{recountHoldings, pruneHoldings, clearSeatDeltas, clearSeats, recountSeats}
	if s.r.c.Dialect == sqlbuild.Postgres {
		qs = []string{repairHoldingsPostgres, pruneEmptyHoldings, repairHeld, clearSeats, recountSeatsPostgres}
	}
	for _, q := range qs {
		if _, err := db.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// writeUsageDay replaces the day's snapshot with the counts and the
// services' seats.
func writeUsageDay(ctx context.Context, db DB, day string, out *directory.UsageSnapshot) error {
	for _, q := range []string{pruneUsageCounts, pruneSeats} {
		if _, err := db.Exec(ctx, q); err != nil {
			return err
		}
	}
	if _, err := db.Exec(ctx, clearUsageDay, day); err != nil {
		return err
	}
	n, err := db.Exec(ctx, snapshotUsage, day)
	if err != nil {
		return err
	}
	out.Counts = int(n)
	if _, err := db.Exec(ctx, clearUsageServiceDay, day); err != nil {
		return err
	}
	n, err = db.Exec(ctx, snapshotServices, day)
	out.Services = int(n)
	return err
}

// UsageSeries implements directory.JobStore.
func (s jobStore) UsageSeries(ctx context.Context, orgID, from, to string) ([]directory.UsageRow, error) {
	rows, err := s.r.staleRead(ctx).Query(ctx, usageSeries, orgID, from, to)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []directory.UsageRow
	for rows.Next() {
		var r directory.UsageRow
		if err := rows.Scan(&r.Day, &r.Status, &r.Role, &r.Source, &r.Users); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, r)
	}
	return out, s.r.fail(rows.Err())
}

// UsageServiceSeries implements directory.JobStore.
func (s jobStore) UsageServiceSeries(ctx context.Context, orgID, from, to string) ([]directory.UsageServiceRow, error) {
	rows, err := s.r.staleRead(ctx).Query(ctx, usageServiceSeries, orgID, from, to)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []directory.UsageServiceRow
	for rows.Next() {
		var r directory.UsageServiceRow
		var limit *int64
		if err := rows.Scan(&r.Day, &r.Key, &r.Name, &r.Seats, &limit); err != nil {
			return nil, s.r.fail(err)
		}
		if limit != nil {
			n := int(*limit)
			r.Limit = &n
		}
		out = append(out, r)
	}
	return out, s.r.fail(rows.Err())
}
