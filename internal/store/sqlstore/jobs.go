package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// lastActivity is the inactivity clock of a user. It must read as in the
// index users_active_activity_idx, so that the queries below use it.
const lastActivity = `coalesce(last_login_at, activated_at, created_at)`

// liveInvitation holds for a user with an invitation (a password_set
// link) unused and still valid at placeholder %s: the inactivity pass
// leaves such a pending user alone. auth_links_user_idx serves it.
const liveInvitation = `EXISTS (SELECT 1 FROM auth_links l WHERE l.user_id = users.id
	AND l.purpose = '` + string(directory.LinkPasswordSet) + `' AND l.used_at IS NULL AND l.expires_at > %s)`

// One statement of the inactivity pass marks a batch of users, each batch
// its own transaction, so that SCIM writes and logins to the same
// organization wait at most one batch for a user's row lock (SQLite: for
// the database's one writer). A batch's time is its users' index writes:
// marking a user rewrites its entry in every index of users (the status
// is indexed), a millisecond or more each on a busy server, so a fixed
// 5,000 held some requests for seconds. The batch size adapts instead,
// after each batch, so that a batch takes about inactivityBatchTime,
// between inactivityBatchMin and inactivityBatchMax users (powers of two,
// so that the pass prepares few distinct statements).
//
// A batch takes the users in index order, (activity, id) for active users
// and id for pending ones. On PostgreSQL each batch starts after the last
// user of the one before (a keyset): the users a batch marked leave their
// old index entries behind until vacuum, and a batch that started from the
// beginning walked past all of them, so that a pass over a million users
// took minutes (migration 0155).
const (
	inactivityBatchMin   = 64
	inactivityBatchMax   = 4096
	inactivityBatchFirst = 256
	inactivityBatchTime  = 25 * time.Millisecond
)

// nextInactivityBatch is the size of the batch after one of size that took
// took: the power of two, within bounds, nearest to the size that would
// have taken inactivityBatchTime.
func nextInactivityBatch(size int, took time.Duration) int {
	if took <= 0 {
		return inactivityBatchMax
	}
	want := float64(size) * float64(inactivityBatchTime) / float64(took)
	next := inactivityBatchMin
	for next < inactivityBatchMax && float64(next)*1.5 < want {
		next *= 2
	}
	return next
}

// keepLastAdmin spares, in an active pass, the organization's active
// org_admin with the latest activity: the pass never leaves an
// organization without an active org_admin. When that admin is recent
// enough, the pass would not mark it anyway. users_active_admin_idx
// (migration 0155) serves it: every batch asks again, so that an admin
// suspended during the pass does not leave the others unguarded.
const keepLastAdmin = ` AND id NOT IN (SELECT a.id FROM users a
	WHERE a.org_id = $1 AND a.status = 'active' AND a.role = '` + string(directory.RoleOrgAdmin) + `'
	ORDER BY coalesce(a.last_login_at, a.activated_at, a.created_at) DESC, a.id DESC LIMIT 1)`

// inactivityOrder is the order in which a pass over the users of one
// status takes them, the one an index gives: by is the ORDER BY; after is
// the keyset condition that starts a batch after the last user of the one
// before ($13 its activity, $14 its id), and last the order that puts a
// batch's last user first.
type inactivityOrder struct{ by, after, last string }

// inactivityOrders are those of the active pass (users_active_activity_idx)
// and the pending one (users_org_sort_status_idx).
var inactivityOrders = map[directory.Status]inactivityOrder{
	directory.StatusActive: {by: lastActivity + `, id`,
		after: `(` + lastActivity + `, id) > ($13::timestamptz, $14::text)`, last: `activity DESC, id DESC`},
	directory.StatusPending: {by: `id`, after: `id > $14::text`, last: `id DESC`},
}

// markInactiveSQL is the UPDATE of one batch of an inactivity pass over
// the users of status from, in its inactivityOrder: $1 the organization,
// $2 the activity cutoff, $3 to $6 the status stamp; a pending pass reads
// the time live invitations are judged at from placeholder nowParam. It
// returns the ids of the users marked. In PostgreSQL's logged statement
// (markInactiveLoggedSQL) the batch also starts after the batch before it,
// skips the rows a request holds (the next pass marks them), and returns
// each user's activity too.
func markInactiveSQL(from directory.Status, nowParam string, logged bool, limit int) string {
	order := inactivityOrders[from]
	where := `status = 'active'` + keepLastAdmin
	if from == directory.StatusPending {
		where = `status = 'pending' AND NOT ` + fmt.Sprintf(liveInvitation, nowParam)
	}
	lock, returning := "", "id"
	if logged {
		where += " AND " + order.after
		lock, returning = " FOR UPDATE SKIP LOCKED", "id, "+lastActivity+" AS activity"
	}
	return `UPDATE users SET status = 'inactive', status_reason = $3, status_set_by = $4,
	status_set_by_id = $5, status_changed_at = $6, updated_at = $6, version = version + 1
WHERE id IN (SELECT id FROM users WHERE org_id = $1 AND ` + lastActivity + ` < $2 AND ` + where + `
	ORDER BY ` + order.by + ` LIMIT ` + fmt.Sprint(limit) + lock + `)
RETURNING ` + returning
}

// markInactiveLoggedSQL is markInactiveSQL with its audit events, for
// PostgreSQL, which can feed an UPDATE's RETURNING to an INSERT: one
// statement and no round trip per user. $7 to $12 are the event's fields;
// $13 is, in an active pass, the activity of the last user of the batch
// before, and in a pending pass the time live invitations are judged at;
// $14 is the id of the last user of the batch before. It returns the
// number of users marked and the activity and id of the last one. Event
// ids are UUIDv7 made in SQL (PostgreSQL 15 has no uuidv7()): the time in
// milliseconds over the first 48 bits of a random UUID, and the version
// bits set to 7.
func markInactiveLoggedSQL(from directory.Status, limit int) string {
	return `WITH marked AS (` + markInactiveSQL(from, "$13::timestamptz", true, limit) + `),
logged AS (
	INSERT INTO audit_events (id, org_id, occurred_at, actor_kind, actor_id, actor_name,
		action, target_kind, target_id, changes, request_id)
	SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
			placing substring(int8send(floor(extract(epoch from $6::timestamptz) * 1000)::bigint) from 3) from 1 for 6),
			52, 1), 53, 1), 'hex')::uuid::text,
		$1, $6, $7, $8, $9, $10, 'user', marked.id, $11::jsonb, $12
	FROM marked
	RETURNING 1
)
SELECT (SELECT count(*) FROM logged), activity, id FROM marked ORDER BY ` + inactivityOrders[from].last + ` LIMIT 1`
}

// markInactiveStatements are the statements of both passes for each batch
// size, built once.
type markInactiveStatements struct{ active, pending, activeLogged, pendingLogged string }

var markInactiveBySize = func() map[int]markInactiveStatements {
	m := map[int]markInactiveStatements{}
	for size := inactivityBatchMin; size <= inactivityBatchMax; size *= 2 {
		m[size] = markInactiveStatements{
			active:        markInactiveSQL(directory.StatusActive, "", false, size),
			pending:       markInactiveSQL(directory.StatusPending, "$7", false, size),
			activeLogged:  markInactiveLoggedSQL(directory.StatusActive, size),
			pendingLogged: markInactiveLoggedSQL(directory.StatusPending, size),
		}
	}
	return m
}()

const (
	// A user is claimed when it was never warned, or was warned about an
	// earlier activity.
	claimWarnings = `INSERT INTO inactivity_warnings (user_id, org_id, basis_at, warned_at)
SELECT id, org_id, ` + lastActivity + `, %s FROM users
WHERE org_id = $1 AND status = 'active' AND ` + lastActivity + ` >= $2 AND ` + lastActivity + ` < $3
ON CONFLICT (user_id) DO UPDATE SET basis_at = excluded.basis_at, warned_at = excluded.warned_at
WHERE inactivity_warnings.basis_at <> excluded.basis_at
RETURNING user_id`
	releaseWarning = `DELETE FROM inactivity_warnings WHERE org_id = $1 AND user_id = $2`
	// A tick is claimed when the job has no row yet or an earlier tick.
	claimTick = `INSERT INTO job_ticks (job, tick, runner, started_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (job) DO UPDATE SET tick = excluded.tick, runner = excluded.runner,
	started_at = excluded.started_at, finished_at = NULL, error = ''
WHERE job_ticks.tick < excluded.tick
RETURNING job`
	reclaimTick = `UPDATE job_ticks SET runner = $3, started_at = $4
WHERE job = $1 AND tick = $2 AND finished_at IS NULL
RETURNING job`
	finishTick = `UPDATE job_ticks SET finished_at = $3, error = $4 WHERE job = $1 AND tick = $2`

	beatReplica = `INSERT INTO replicas (id, seen_at) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`
	forgetStaleReplicas = `DELETE FROM replicas WHERE seen_at < $1`
	countReplicas       = `SELECT count(*) FROM replicas`
	leaveReplica        = `DELETE FROM replicas WHERE id = $1`
)

type jobStore struct{ r *Repos }

// MarkInactive implements directory.JobStore: batches of one UPDATE …
// RETURNING over the users of status m.From by last activity, each with
// its audit events in one transaction, until a batch comes up short. Every
// event is m.Event but for its id and target.
func (s jobStore) MarkInactive(ctx context.Context, m directory.InactivityMark) (int, error) {
	total := 0
	var after inactivityKey // before every user
	for size := inactivityBatchFirst; ; {
		start := time.Now()
		n, err := s.markInactiveBatch(ctx, m, size, &after)
		total += n
		if err != nil || n < size {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
		size = nextInactivityBatch(size, time.Since(start))
	}
}

// inactivityKey is where a batch of the inactivity pass ended: the
// activity and id of its last user (zero: before every user, since every
// activity is later than year 1 and every id longer than "").
type inactivityKey struct {
	activity time.Time
	id       string
}

// markInactiveBatch marks one batch of MarkInactive, of at most size users
// (a size of markInactiveBySize), after the key after, which it moves to
// the batch's last user (PostgreSQL; SQLite's batches need no keyset).
func (s jobStore) markInactiveBatch(ctx context.Context, m directory.InactivityMark, size int, after *inactivityKey) (int, error) {
	st, ok := markInactiveBySize[size]
	if !ok {
		return 0, directory.Internal(fmt.Errorf("sqlstore: no inactivity batch of %d users", size))
	}
	switch m.From {
	case "":
		m.From = directory.StatusActive
	case directory.StatusActive, directory.StatusPending:
	default:
		return 0, directory.Errorf(directory.CodeInvalid, "the inactivity pass does not mark %s users", m.From)
	}
	if m.Now.IsZero() {
		m.Now = m.At
	}
	d := s.r.c.Dialect
	if d == sqlbuild.Postgres {
		return s.markInactiveLogged(ctx, m, st, after)
	}
	q, args := st.active, []any{m.OrgID, d.Time(m.Before), m.Reason, string(m.SetBy), m.SetByID, d.Time(m.At)}
	if m.From == directory.StatusPending {
		q, args = st.pending, append(args, d.Time(m.Now))
	}
	var n int
	err := s.r.c.Atomic(ctx, func(db DB) error {
		rows, err := queryCustom(ctx, db, q, args...)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		events := make([]*directory.AuditEvent, len(ids))
		for i, id := range ids {
			e := m.Event
			e.ID, e.OrgID, e.TargetKind, e.TargetID = "", m.OrgID, "user", id
			if e.Time.IsZero() {
				e.Time = m.At
			}
			events[i] = &e
		}
		n = len(ids)
		return appendAuditEvents(ctx, db, d, events)
	})
	return n, s.r.fail(err)
}

func (s jobStore) markInactiveLogged(ctx context.Context, m directory.InactivityMark, st markInactiveStatements, after *inactivityKey) (int, error) {
	d := s.r.c.Dialect
	changes, err := marshal(m.Event.Changes)
	if err != nil {
		return 0, directory.Internal(err)
	}
	requestID := m.Event.RequestID
	if requestID == "" {
		requestID = directory.RequestID(ctx)
	}
	at := m.Event.Time
	if at.IsZero() {
		at = m.At
	}
	if !at.Equal(m.At) {
		return 0, directory.Internal(errors.New("sqlstore: the inactivity events must be stamped with the status change"))
	}
	q, args := st.activeLogged, []any{m.OrgID, d.Time(m.Before), m.Reason, string(m.SetBy),
		m.SetByID, d.Time(m.At), string(m.Event.ActorKind), m.Event.ActorID, m.Event.ActorName, m.Event.Action,
		changes, requestID, after.activity, after.id}
	if m.From == directory.StatusPending {
		q, args[12] = st.pendingLogged, d.Time(m.Now)
	}
	rows, err := queryCustom(ctx, s.r.c.Write, q, args...)
	if err != nil {
		return 0, s.r.fail(err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n, &after.activity, &after.id); err != nil {
			return 0, s.r.fail(err)
		}
	}
	return n, s.r.fail(rows.Err())
}

// ClaimInactivityWarnings implements directory.JobStore.
func (s jobStore) ClaimInactivityWarnings(ctx context.Context, orgID string, from, until, at time.Time) ([]string, error) {
	d := s.r.c.Dialect
	at = sqlbuild.UTCMicro(at)
	q := fmt.Sprintf(claimWarnings, timeParam(d, "$4"))
	rows, err := queryCustom(ctx, s.r.c.Write, q, orgID, d.Time(from), d.Time(until), d.Time(at))
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.r.fail(err)
		}
		ids = append(ids, id)
	}
	return ids, s.r.fail(rows.Err())
}

// ReleaseInactivityWarning implements directory.JobStore.
func (s jobStore) ReleaseInactivityWarning(ctx context.Context, orgID, userID string) error {
	_, err := s.r.c.Write.Exec(ctx, releaseWarning, orgID, userID)
	return s.r.fail(err)
}

// ClaimJobTick implements directory.JobStore in one statement, which two
// replicas may run at once: the second waits on the row and then finds the
// tick taken.
func (s jobStore) ClaimJobTick(ctx context.Context, job string, tick time.Time, runner string, at time.Time) (bool, error) {
	d := s.r.c.Dialect
	var got string
	err := s.r.c.Write.QueryRow(ctx, claimTick, job, d.Time(tick), runner, d.Time(at)).Scan(&got)
	if noRows(err) {
		return false, nil
	}
	return err == nil, s.r.fail(err)
}

// ReclaimJobTick implements directory.JobStore.
func (s jobStore) ReclaimJobTick(ctx context.Context, job string, tick time.Time, runner string, at time.Time) (bool, error) {
	d := s.r.c.Dialect
	var got string
	err := s.r.c.Write.QueryRow(ctx, reclaimTick, job, d.Time(tick), runner, d.Time(at)).Scan(&got)
	if noRows(err) {
		return false, nil
	}
	return err == nil, s.r.fail(err)
}

// FinishJobTick implements directory.JobStore.
func (s jobStore) FinishJobTick(ctx context.Context, job string, tick, at time.Time, errText string) error {
	d := s.r.c.Dialect
	_, err := s.r.c.Write.Exec(ctx, finishTick, job, d.Time(tick), d.Time(at), errText)
	return s.r.fail(err)
}

// BeatReplica implements directory.JobStore. The beat is written before
// the count, so the count includes it.
func (s jobStore) BeatReplica(ctx context.Context, id string, at, staleBefore time.Time) (int, error) {
	d := s.r.c.Dialect
	if _, err := s.r.c.Write.Exec(ctx, beatReplica, id, d.Time(at)); err != nil {
		return 0, s.r.fail(err)
	}
	if _, err := s.r.c.Write.Exec(ctx, forgetStaleReplicas, d.Time(staleBefore)); err != nil {
		return 0, s.r.fail(err)
	}
	var live int
	err := s.r.c.Write.QueryRow(ctx, countReplicas).Scan(&live)
	return live, s.r.fail(err)
}

// LeaveReplica implements directory.JobStore.
func (s jobStore) LeaveReplica(ctx context.Context, id string) error {
	_, err := s.r.c.Write.Exec(ctx, leaveReplica, id)
	return s.r.fail(err)
}

// timeParam is placeholder p where PostgreSQL cannot infer that it is a
// time (a select list), and p itself for SQLite, which keeps times as text.
func timeParam(d sqlbuild.Dialect, p string) string {
	if d == sqlbuild.Postgres {
		return p + "::timestamptz"
	}
	return p
}
