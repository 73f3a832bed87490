// Package sqlite is Roster's embedded store, on modernc.org/sqlite (no cgo).
//
// A Store holds two pools on one database file in WAL mode: a single
// writing connection, whose transactions begin IMMEDIATE so that writers
// queue for the lock instead of failing to upgrade a read lock, and a pool
// of query-only connections that read alongside the writer. Inside InTx
// every statement runs on the writing connection, and transactions that
// wait for it share one commit (see group.go).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlstore"
)

// Store implements directory.Store on SQLite.
type Store struct {
	repos       *sqlstore.Repos
	read, write *sql.DB
	// readStmts and writeStmts keep each pool's statements prepared.
	readStmts, writeStmts *stmtCache
	now                   func() time.Time
	// observe, if set, sees every statement sent to SQLite.
	observe func(query string)
	// writer groups the transactions of InTx (see group.go).
	writer writer
}

var _ directory.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock the store uses where the caller gives no time
// (UpdateOrg, the applied time of migrations). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithObserver calls observe with every statement the store sends to
// SQLite, BEGIN and COMMIT included: tests count the statements each
// request costs.
func WithObserver(observe func(query string)) Option {
	return func(s *Store) { s.observe = observe }
}

// busyTimeout is how long a statement waits for another process's lock
// before failing with SQLITE_BUSY. Within one process the writing pool
// queues writers, so this only matters across processes (a CLI command
// next to the server).
const busyTimeout = 10 * time.Second

// Open opens (creating it if needed) the database at path, a file name or
// ":memory:". It does not migrate: call Migrate.
//
// An in-memory database lives in one connection, so reads and writes share
// it, and fn of InTx must use only the Repos it is given.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	drv, err := sharedDriver()
	if err != nil {
		return nil, err
	}
	s := &Store{now: time.Now}
	s.writer.maxAge = maxGroupAge
	for _, o := range opts {
		o(s)
	}
	// Every connection waits for other processes' locks and enforces
	// foreign keys. Writes are durable once committed: synchronous stays
	// at SQLite's default, FULL.
	pragmas := []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "foreign_keys(1)"}
	if path == "" || path == ":memory:" {
		s.write = sql.OpenDB(connector{drv, dsn(":memory:", pragmas, true)})
		s.read = s.write
	} else {
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
		}
		s.write = sql.OpenDB(connector{drv, dsn(path, slices.Concat(pragmas, []string{"journal_mode(WAL)"}), true)})
		s.read = sql.OpenDB(connector{drv, dsn(path, slices.Concat(pragmas, []string{"query_only(1)"}), false)})
		s.read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
		s.read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	}
	// One writing connection: writers queue in the pool, not in SQLite's
	// busy handler. It is kept open for good, which an in-memory database
	// needs to survive.
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)

	// Connect the writer first: it switches the file to WAL, which the
	// readers then find.
	if err := s.write.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	s.writeStmts = newStmtCache(s.write)
	s.readStmts = s.writeStmts
	if s.read != s.write {
		s.readStmts = newStmtCache(s.read)
	}
	s.repos = sqlstore.New(sqlstore.Config{
		Dialect:       sqlbuild.SQLite,
		Read:          conn{q: s.read, cache: s.readStmts, owner: s, observe: s.observe},
		Write:         conn{q: s.write, cache: s.writeStmts, owner: s, observe: s.observe},
		Atomic:        s.atomic,
		UniqueIndex:   uniqueIndex,
		NotNullColumn: notNullColumn,
		Now:           s.now,
	})
	return s, nil
}

// dsn is the data source name of a connection to path with the given
// pragmas; immediate makes its transactions BEGIN IMMEDIATE. The path
// becomes a SQLite URI, with the characters a URI gives meaning to escaped,
// so that any file name works.
func dsn(path string, pragmas []string, immediate bool) string {
	v := url.Values{"_pragma": pragmas}
	if immediate {
		v.Set("_txlock", "immediate")
	}
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?" + v.Encode()
}

// InTx implements directory.Store. SQLite transactions are serializable and
// writers queue for the one writing connection, so fn runs once. fn must
// use the Repos it is given: a write through the Store itself would wait
// for the connection the transaction holds.
func (s *Store) InTx(ctx context.Context, fn func(directory.Repos) error) error {
	return s.atomic(ctx, func(tx sqlstore.DB) error { return fn(s.repos.Tx(tx)) })
}

// observed reports query to the observer, if any.
func (s *Store) observed(query string) {
	if s.observe != nil {
		s.observe(query)
	}
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

// Services implements directory.Repos.
func (s *Store) Services() directory.ServiceStore { return s.repos.Services() }

// Analyze refreshes the query planner's statistics. SQLite plans without
// them by rules that suit most data; a bulk load (an import, a first sync)
// may call it so that the queries that follow are planned for the data as
// it now is.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.write.ExecContext(ctx, "ANALYZE")
	return err
}

// Ping implements directory.Store.
func (s *Store) Ping(ctx context.Context) error {
	return errors.Join(s.write.PingContext(ctx), s.read.PingContext(ctx))
}

// Close implements directory.Store.
func (s *Store) Close() error {
	for _, c := range []*stmtCache{s.readStmts, s.writeStmts} {
		if c != nil {
			c.close()
		}
	}
	if s.read == s.write {
		return s.write.Close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// createPrivate creates a missing database file readable by its owner only:
// it holds password hashes and sealed secrets. SQLite gives the -wal and
// -shm files it creates later the mode of the database file. An existing
// file keeps the mode its operator chose.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the operator configures the database path
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
