// Package postgres is Roster's production store, on PostgreSQL through
// pgx's connection pool. Any number of Roster replicas may share one
// database: uniqueness rests on unique indexes, updates on optimistic
// versions, and migrations on an advisory lock.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlstore"
)

// Store implements directory.Store on PostgreSQL.
type Store struct {
	repos *sqlstore.Repos
	pool  *pgxpool.Pool
	now   func() time.Time
}

var _ directory.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock the store uses where the caller gives no time
// (UpdateOrg, the applied time of migrations). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database at url (a postgres:// URL or a keyword/value
// string; pgxpool's pool_* parameters apply). It does not migrate: call
// Migrate.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	s := &Store{pool: pool, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.repos = sqlstore.New(sqlstore.Config{
		Dialect:     sqlbuild.Postgres,
		Read:        conn{pool},
		Write:       conn{pool},
		Atomic:      s.atomic,
		UniqueIndex: uniqueIndex,
		Now:         s.now,
	})
	return s, nil
}

// InTx implements directory.Store. A transaction that fails on a
// serialization failure or a deadlock is run again, a few times.
func (s *Store) InTx(ctx context.Context, fn func(directory.Repos) error) error {
	return s.atomic(ctx, func(tx sqlstore.DB) error { return fn(s.repos.Tx(tx)) })
}

// maxAttempts bounds the runs of a transaction that keeps failing on
// serialization failures or deadlocks.
const maxAttempts = 5

// atomic runs fn in a transaction, again if it fails for a reason that
// running it again may cure.
func (s *Store) atomic(ctx context.Context, fn func(sqlstore.DB) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tx(ctx, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		// Back off a little, with jitter, so that the contenders do not
		// collide again in step.
		wait := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(5*time.Millisecond) //nolint:gosec // jitter, not a secret
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func (s *Store) tx(ctx context.Context, fn func(sqlstore.DB) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return directory.Internal(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		if err != nil {
			// The context may be done, and the rollback must still reach
			// the server; its error matters less than the one we return.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(conn{tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return directory.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// retryable reports whether err is a serialization failure or a deadlock,
// which running the transaction again may not meet.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// Orgs implements directory.Repos.
func (s *Store) Orgs() directory.OrgStore { return s.repos.Orgs() }

// Users implements directory.Repos.
func (s *Store) Users() directory.UserStore { return s.repos.Users() }

// Groups implements directory.Repos.
func (s *Store) Groups() directory.GroupStore { return s.repos.Groups() }

// Tokens implements directory.Repos.
func (s *Store) Tokens() directory.TokenStore { return s.repos.Tokens() }

// Audit implements directory.Repos.
func (s *Store) Audit() directory.AuditLog { return s.repos.Audit() }

// analyzeTables refreshes the planner's statistics of the directory's
// tables.
const analyzeTables = `ANALYZE organizations, org_domains, users, user_emails, groups, group_members, tokens, audit_events`

// Analyze refreshes the planner's statistics. Autovacuum does it in time;
// a bulk load (an import, a first sync) may call it so that the queries
// that follow are planned for the data as it now is.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, analyzeTables)
	return err
}

// Ping implements directory.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements directory.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool returns the store's connection pool, for the few features that need
// PostgreSQL itself rather than the directory's repositories, such as the
// advisory locks that elect the replica running scheduled jobs.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// conn adapts a pool or transaction to sqlstore.DB.
type conn struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return c.q.Query(ctx, query, args...) //nolint:sqlclosecheck // the caller closes the rows
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, query, args...)
}

// uniqueIndex names the unique index or constraint that err violates.
func uniqueIndex(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if pgErr.ConstraintName == "" {
			return "unknown"
		}
		return pgErr.ConstraintName
	}
	return ""
}
