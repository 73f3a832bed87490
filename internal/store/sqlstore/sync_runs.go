package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// runColumns leave out the plan, which can be large; GetRun adds it.
const runColumns = `r.id, r.org_id, r.connector_id, r.run_trigger, r.dry_run, r.status, r.started_by,
	r.approval_of, r.started_at, r.ended_at, r.full_sync, r.counts, r.errors, r.message,
	r.decided_by, r.decided_at, r.progress`

const (
	insertRun = `INSERT INTO sync_runs (id, org_id, connector_id, run_trigger, dry_run, status, started_by,
	approval_of, started_at, full_sync)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	finishRun = `UPDATE sync_runs SET status = $3, ended_at = $4, full_sync = $5, counts = $6, errors = $7,
	plan = $8, message = $9, progress = COALESCE($10, progress)
WHERE org_id = $1 AND id = $2 AND status = 'running'`
	saveProgress = `UPDATE sync_runs SET progress = $3 WHERE org_id = $1 AND id = $2 AND status = 'running'`
	abandonRuns  = `UPDATE sync_runs SET status = 'failed', ended_at = $4, message = $5
WHERE org_id = $1 AND connector_id = $2 AND status = 'running' AND id <> $3`
	decideRun = `UPDATE sync_runs SET status = $3, decided_by = $4, decided_at = $5
WHERE org_id = $1 AND id = $2 AND status = 'held'`
	selectRun  = `SELECT ` + runColumns + `, r.plan FROM sync_runs r WHERE r.org_id = $1 AND r.id = $2`
	selectRuns = `SELECT ` + runColumns + ` FROM sync_runs r
WHERE r.org_id = $1 AND r.connector_id = $2 AND ($3 = '' OR r.id < $3)
ORDER BY r.id DESC
LIMIT $4`
)

type syncRunStore struct{ r *Repos }

// CreateRun implements directory.SyncRunStore.
func (s syncRunStore) CreateRun(ctx context.Context, r *directory.SyncRun) error {
	setID(&r.ID)
	r.StartedAt = sqlbuild.UTCMicro(r.StartedAt)
	_, err := s.r.c.Write.Exec(ctx, insertRun, r.ID, r.OrgID, r.ConnectorID, string(r.Trigger), r.DryRun,
		string(r.Status), r.StartedBy, r.ApprovalOf, s.r.c.Dialect.Time(r.StartedAt), r.Full)
	return s.r.fail(err)
}

// FinishRun implements directory.SyncRunStore.
func (s syncRunStore) FinishRun(ctx context.Context, r *directory.SyncRun) error {
	d := s.r.c.Dialect
	if r.EndedAt != nil {
		t := sqlbuild.UTCMicro(*r.EndedAt)
		r.EndedAt = &t
	}
	counts := map[string]int{}
	for k, v := range r.Counts {
		counts[k] = v
	}
	countsJSON, err := marshal(counts)
	if err != nil {
		return directory.Internal(err)
	}
	errs := "[]"
	if len(r.Errors) > 0 {
		errs = string(r.Errors)
	}
	var plan any
	if len(r.Plan) > 0 {
		plan = string(r.Plan)
	}
	var progress any
	if len(r.Progress) > 0 {
		progress = string(r.Progress)
	}
	n, err := s.r.c.Write.Exec(ctx, finishRun, r.OrgID, r.ID, string(r.Status), d.NullTime(r.EndedAt), r.Full,
		countsJSON, errs, plan, r.Message, progress)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		if _, err := s.GetRun(ctx, r.OrgID, r.ID); err != nil {
			return err
		}
		return directory.Errorf(directory.CodeConflict, "run %s has ended already", r.ID)
	}
	return nil
}

// SaveProgress implements directory.SyncRunStore.
func (s syncRunStore) SaveProgress(ctx context.Context, orgID, id string, progress json.RawMessage) error {
	if len(progress) == 0 {
		return nil
	}
	_, err := s.r.c.Write.Exec(ctx, saveProgress, orgID, id, string(progress))
	return s.r.fail(err)
}

// AbandonRuns implements directory.SyncRunStore.
func (s syncRunStore) AbandonRuns(ctx context.Context, orgID, connectorID, keepID string, at time.Time, message string) (int, error) {
	n, err := s.r.c.Write.Exec(ctx, abandonRuns, orgID, connectorID, keepID, s.r.c.Dialect.Time(at), message)
	return int(n), s.r.fail(err)
}

// GetRun implements directory.SyncRunStore.
func (s syncRunStore) GetRun(ctx context.Context, orgID, id string) (*directory.SyncRun, error) {
	return s.get(ctx, s.r.c.Read, orgID, id)
}

func (s syncRunStore) get(ctx context.Context, db DB, orgID, id string) (*directory.SyncRun, error) {
	var row runRow
	var plan []byte
	if err := db.QueryRow(ctx, selectRun, orgID, id).Scan(append(row.dest(), &plan)...); err != nil {
		if noRows(err) {
			return nil, notFound("sync run")
		}
		return nil, s.r.fail(err)
	}
	r, err := row.run()
	if err != nil {
		return nil, s.r.fail(err)
	}
	if len(plan) > 0 && string(plan) != "null" {
		r.Plan = json.RawMessage(plan)
	}
	return r, nil
}

// ListRuns implements directory.SyncRunStore.
func (s syncRunStore) ListRuns(ctx context.Context, orgID, connectorID, before string, limit int) ([]*directory.SyncRun, error) {
	rows, err := s.r.c.Read.Query(ctx, selectRuns, orgID, connectorID, before, directory.ClampLimit(limit))
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*runRow).run)
	return out, s.r.fail(err)
}

// DecideRun implements directory.SyncRunStore.
func (s syncRunStore) DecideRun(ctx context.Context, orgID, id string, to directory.SyncRunStatus, by string, at time.Time) (*directory.SyncRun, error) {
	if to != directory.RunApproved && to != directory.RunRejected {
		return nil, directory.Errorf(directory.CodeInvalid, "a held run is approved or rejected, not %s", to)
	}
	var out *directory.SyncRun
	err := s.r.c.Atomic(ctx, func(db DB) error {
		n, err := db.Exec(ctx, decideRun, orgID, id, string(to), by, s.r.c.Dialect.Time(at))
		if err != nil {
			return err
		}
		if out, err = s.get(ctx, db, orgID, id); err != nil {
			return err
		}
		if n == 0 {
			return directory.Errorf(directory.CodeConflict, "run %s is %s, not held", id, out.Status)
		}
		return nil
	})
	if err != nil {
		return nil, s.r.fail(err)
	}
	return out, nil
}

// runRow is the scan destination of runColumns.
type runRow struct {
	r              directory.SyncRun
	counts, errors []byte
	progress       []byte
}

func (r *runRow) dest() []any {
	x := &r.r
	return []any{
		&x.ID, &x.OrgID, &x.ConnectorID, &x.Trigger, &x.DryRun, &x.Status, &x.StartedBy,
		&x.ApprovalOf, sqlbuild.ScanTime(&x.StartedAt), sqlbuild.ScanNullTime(&x.EndedAt), &x.Full,
		&r.counts, &r.errors, &x.Message, &x.DecidedBy, sqlbuild.ScanNullTime(&x.DecidedAt), &r.progress,
	}
}

func (r *runRow) run() (*directory.SyncRun, error) {
	x := &r.r
	if err := unmarshal(r.counts, &x.Counts); err != nil {
		return nil, err
	}
	switch string(r.errors) {
	case "", "[]", "null":
	default:
		x.Errors = json.RawMessage(r.errors)
	}
	if len(r.progress) > 0 && string(r.progress) != "null" {
		x.Progress = json.RawMessage(r.progress)
	}
	return x, nil
}
