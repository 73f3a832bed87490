package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlstore"
)

// The bulk, job and import-run stores are implemented once, in sqlstore;
// the Store hands them out like the other repositories.

// Bulk implements directory.JobRepos.
func (s *Store) Bulk() directory.BulkUserStore { return s.repos.Bulk() }

// Jobs implements directory.JobRepos.
func (s *Store) Jobs() directory.JobStore { return s.repos.Jobs() }

// ImportRuns implements directory.JobRepos.
func (s *Store) ImportRuns() directory.ImportRunStore { return s.repos.ImportRuns() }

// QueryCustom implements sqlstore.CustomPlanner: an unnamed statement,
// which PostgreSQL plans for the arguments it is given.
func (c conn) QueryCustom(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	c = c.in(ctx)
	return c.q.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...) //nolint:sqlclosecheck // the caller closes the rows
}

var _ sqlstore.CustomPlanner = conn{}

// The lock of a job is a session-level advisory lock keyed by the job's
// name and the schema, so that schemas of one database (tests use one
// each) do not exclude each other.
const (
	tryJobLock = `SELECT pg_try_advisory_lock(hashtextextended('roster.job.' || current_schema() || '.' || $1, 0))`
	jobUnlock  = `SELECT pg_advisory_unlock(hashtextextended('roster.job.' || current_schema() || '.' || $1, 0))`
)

// AdvisoryLocker elects the replica that runs a scheduled job (it is a
// jobs.Locker). A lock lives in a session, so each one holds a pooled
// connection of its own until it is released; should that connection die,
// PostgreSQL releases the lock with it.
type AdvisoryLocker struct{ pool *pgxpool.Pool }

// JobLocker returns the store's advisory locker.
func (s *Store) JobLocker() *AdvisoryLocker { return &AdvisoryLocker{pool: s.pool} }

// unlockTimeout bounds the unlock, which runs after the job's context may
// have ended.
const unlockTimeout = 10 * time.Second

// TryLock takes the named lock if no session holds it, without waiting.
func (l *AdvisoryLocker) TryLock(ctx context.Context, name string) (func(), bool, error) {
	c, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("job lock %s: %w", name, err)
	}
	var ok bool
	if err := c.QueryRow(ctx, tryJobLock, name).Scan(&ok); err != nil || !ok {
		c.Release()
		if err != nil {
			return nil, false, fmt.Errorf("job lock %s: %w", name, err)
		}
		return nil, false, nil
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var unlocked bool
			if err := c.QueryRow(ctx, jobUnlock, name).Scan(&unlocked); err != nil || !unlocked {
				// Ending the session is the other way to release the lock.
				_ = c.Hijack().Close(ctx)
				return
			}
			c.Release()
		})
	}
	return release, true, nil
}
