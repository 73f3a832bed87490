package sqlstore

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const (
	insertImportRun = `INSERT INTO import_runs (id, org_id, actor_kind, actor_id, actor_name, file_name, mode,
	started_at, finished_at, summary, report, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	selectImportRun = `SELECT id, org_id, actor_kind, actor_id, actor_name, file_name, mode,
	started_at, finished_at, summary, report, status
FROM import_runs WHERE org_id = $1 AND id = $2`
	updateImportRun = `UPDATE import_runs SET status = $3, finished_at = $4, summary = $5, report = $6
WHERE org_id = $1 AND id = $2 AND status = $7`
	// A running run that a live commit holds is locked by its
	// transaction: PostgreSQL skips it.
	abandonImportRunsPostgres = `UPDATE import_runs SET status = 'failed', finished_at = $2
WHERE id IN (SELECT id FROM import_runs WHERE org_id = $1 AND status = 'running' FOR UPDATE SKIP LOCKED)`
	// SQLite has one writer: the statement waits for a live commit's
	// transaction, which leaves its run committed or failed.
	abandonImportRunsSQLite = `UPDATE import_runs SET status = 'failed', finished_at = $2
WHERE org_id = $1 AND status = 'running'`
	deleteImportRuns = `DELETE FROM import_runs WHERE org_id = $1 AND started_at < $2`
)

type importRunStore struct{ r *Repos }

// CreateImportRun implements directory.ImportRunStore.
func (s importRunStore) CreateImportRun(ctx context.Context, run *directory.ImportRun) error {
	setID(&run.ID)
	run.StartedAt, run.FinishedAt = sqlbuild.UTCMicro(run.StartedAt), sqlbuild.UTCMicro(run.FinishedAt)
	d := s.r.c.Dialect
	summary := string(run.Summary)
	if summary == "" {
		summary = "{}"
	}
	report := run.Report
	if report == nil {
		report = []byte{}
	}
	if run.Status == "" {
		run.Status = directory.ImportCommitted
	}
	_, err := s.r.c.Write.Exec(ctx, insertImportRun, run.ID, run.OrgID, string(run.ActorKind), run.ActorID, run.ActorName,
		run.FileName, run.Mode, d.Time(run.StartedAt), d.Time(run.FinishedAt), summary, report, string(run.Status))
	return s.r.fail(err)
}

// UpdateImportRun implements directory.ImportRunStore.
func (s importRunStore) UpdateImportRun(ctx context.Context, run *directory.ImportRun, from directory.ImportRunStatus) (bool, error) {
	run.FinishedAt = sqlbuild.UTCMicro(run.FinishedAt)
	summary := string(run.Summary)
	if summary == "" {
		summary = "{}"
	}
	report := run.Report
	if report == nil {
		report = []byte{}
	}
	n, err := s.r.c.Write.Exec(ctx, updateImportRun, run.OrgID, run.ID, string(run.Status),
		s.r.c.Dialect.Time(run.FinishedAt), summary, report, string(from))
	return n == 1, s.r.fail(err)
}

// AbandonImportRuns implements directory.ImportRunStore.
func (s importRunStore) AbandonImportRuns(ctx context.Context, orgID string, at time.Time) (int, error) {
	q := abandonImportRunsSQLite
	if s.r.c.Dialect == sqlbuild.Postgres {
		q = abandonImportRunsPostgres
	}
	n, err := s.r.c.Write.Exec(ctx, q, orgID, s.r.c.Dialect.Time(sqlbuild.UTCMicro(at)))
	return int(n), s.r.fail(err)
}

// GetImportRun implements directory.ImportRunStore.
func (s importRunStore) GetImportRun(ctx context.Context, orgID, id string) (*directory.ImportRun, error) {
	var run directory.ImportRun
	var summary string
	err := s.r.c.Read.QueryRow(ctx, selectImportRun, orgID, id).Scan(&run.ID, &run.OrgID, &run.ActorKind, &run.ActorID,
		&run.ActorName, &run.FileName, &run.Mode, sqlbuild.ScanTime(&run.StartedAt), sqlbuild.ScanTime(&run.FinishedAt),
		&summary, &run.Report, &run.Status)
	if noRows(err) {
		return nil, notFound("import run")
	}
	if err != nil {
		return nil, s.r.fail(err)
	}
	run.Summary = []byte(summary)
	return &run, nil
}

// DeleteImportRunsBefore implements directory.ImportRunStore.
func (s importRunStore) DeleteImportRunsBefore(ctx context.Context, orgID string, t time.Time) (int, error) {
	n, err := s.r.c.Write.Exec(ctx, deleteImportRuns, orgID, s.r.c.Dialect.Time(t))
	return int(n), s.r.fail(err)
}
