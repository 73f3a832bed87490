// Package postgres is Roster's production store, on PostgreSQL through
// pgx's connection pool. Any number of Roster replicas may share one
// database: uniqueness rests on unique indexes, updates on optimistic
// versions, and migrations on an advisory lock.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"syscall"
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
	// pool configures the pool before it connects (WithPoolConfig).
	poolConfig func(*pgxpool.Config)
	// replica, if set (WithReadURL), serves the reads that may be stale.
	replica    *replica
	readURL    string
	readMaxLag time.Duration
	logger     *slog.Logger
}

var _ directory.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock the store uses where the caller gives no time
// (UpdateOrg, the applied time of migrations). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithPoolConfig lets configure change the pool's configuration, parsed
// from the URL, before the pool connects: tests wrap the connections to
// count the round trips each request costs. It configures the read
// replica's pool too (WithReadURL).
func WithPoolConfig(configure func(*pgxpool.Config)) Option {
	return func(s *Store) { s.poolConfig = configure }
}

// Open connects to the database at url (a postgres:// URL or a keyword/value
// string; pgxpool's pool_* parameters apply, and pool_max_conns defaults to
// 4×GOMAXPROCS, at least 16). It does not migrate: call Migrate.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	cfg, err := s.parsePoolConfig(url)
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
	s.pool = pool
	var stale sqlstore.DB
	if s.readURL != "" {
		if s.replica, err = s.openReplica(ctx); err != nil {
			pool.Close()
			return nil, err
		}
		stale = s.replica
	}
	s.repos = sqlstore.New(sqlstore.Config{
		Dialect:       sqlbuild.Postgres,
		Read:          conn{q: pool, owner: s},
		Write:         conn{q: pool, owner: s},
		Stale:         stale,
		Atomic:        s.atomic,
		UniqueIndex:   uniqueIndex,
		NotNullColumn: notNullColumn,
		GuardFailed:   guardFailed,
		DomainTaken:   domainTaken,
		Unavailable:   unavailable,
		Now:           s.now,
	})
	return s, nil
}

// parsePoolConfig parses a pool's URL: pool_max_conns defaults to
// defaultMaxConns, and WithPoolConfig has its say.
func (s *Store) parsePoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns()
	}
	if s.poolConfig != nil {
		s.poolConfig(cfg)
	}
	return cfg, nil
}

// defaultMaxConns is the pool size when the URL sets none. pgxpool's own
// default, the number of CPUs (at least 4), queues concurrent requests
// behind a few connections while each waits on a round trip or a commit's
// flush; a few connections per CPU keep the server busy instead.
func defaultMaxConns() int32 {
	return int32(max(16, 4*runtime.GOMAXPROCS(0))) //nolint:gosec // GOMAXPROCS is small
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
	if b := s.batchOf(ctx); b != nil {
		return b.atomic(ctx, fn)
	}
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
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.repos.Fail(fmt.Errorf("begin: %w", err))
	}
	t := newPipeTx(c)
	defer func() {
		if err != nil {
			// The context may be done, and the rollback must still reach
			// the server; its error matters less than the one we return.
			t.rollback(context.WithoutCancel(ctx))
		}
		// A connection left inside a transaction (a failed rollback) is
		// closed rather than returned to the pool.
		c.Release()
	}()
	if err := fn(conn{q: t}); err != nil {
		return err
	}
	if err := t.commit(ctx); err != nil {
		// A statement held for the commit (an insert whose userName is
		// taken) reports its error here, and is the domain's.
		return s.repos.Fail(fmt.Errorf("commit: %w", err))
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

// Services implements directory.Repos.
func (s *Store) Services() directory.ServiceStore { return s.repos.Services() }

// analyzeTables refreshes the planner's statistics of the directory's
// tables.
const analyzeTables = `ANALYZE organizations, org_domains, users, user_emails, user_grants, groups, group_members, group_changes, tokens, audit_events, sync_links`

// cleanSearchIndexes merges the pending list of the users search's GIN
// index (migration 0150) into the index, which vacuum otherwise does in
// its own time: until then every search reads it whole.
const cleanSearchIndexes = `SELECT gin_clean_pending_list('users_search_idx'::regclass)`

// Analyze refreshes the planner's statistics. Autovacuum does it in time;
// a bulk load (an import, a first sync) may call it so that the queries
// that follow are planned for the data as it now is. It also folds the
// users search's pending index entries in, so that searches after the
// load are as fast as before it.
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, analyzeTables); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, cleanSearchIndexes)
	return err
}

// Ping implements directory.Store. It pings the primary only: a read
// replica that is down sends its reads to the primary, and the store
// still serves.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements directory.Store.
func (s *Store) Close() error {
	s.pool.Close()
	if s.replica != nil {
		s.replica.pool.Close()
	}
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
	// owner, for the pool, is the store whose batch (see Store.Batch) the
	// statements join when their context has one.
	owner *Store
}

// in returns the connection to run a statement in ctx on: the batch's
// shared transaction if ctx has one, else c.
func (c conn) in(ctx context.Context) conn {
	if c.owner != nil {
		if b := c.owner.batchOf(ctx); b != nil {
			return conn{q: b.t}
		}
	}
	return c
}

// QueryRowLater implements sqlstore.LaterQuerier, in a transaction.
func (c conn) QueryRowLater(noRows error, dest []any, query string, args ...any) bool {
	t, ok := c.q.(*pipeTx)
	return ok && t.QueryRowLater(noRows, dest, query, args...)
}

// ExecLater implements sqlstore.LaterExecer: in a transaction, the
// statement travels with the next one or with COMMIT.
func (c conn) ExecLater(query string, args ...any) bool {
	t, ok := c.q.(*pipeTx)
	if !ok || hasMode(args) {
		return false
	}
	t.ExecLater(query, args...)
	return true
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c = c.in(ctx)
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	c = c.in(ctx)
	return c.q.Query(ctx, query, args...) //nolint:sqlclosecheck // the caller closes the rows
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	c = c.in(ctx)
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

// unavailable reports whether err means PostgreSQL cannot answer now:
// it refused or dropped the connection (a restart, a failover), is
// shutting down or starting, or has no connection slot left. Running the
// request again in a moment may work, so clients get 503, not 500.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection exceptions
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) || pgconn.SafeToRetry(err)
}

// guardFailed reports whether err is roster_updated_one's (migration
// 0043): a guarded update found its row changed.
func guardFailed(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "RS001"
}

// domainTaken reports whether err is roster_check_login_domain's
// (migration 0076), and the domain it refused.
func domainTaken(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "RS002" {
		return pgErr.Detail, true
	}
	return "", false
}

// notNullColumn names the "table.column" whose NOT NULL constraint err
// violates.
func notNullColumn(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23502" {
		return pgErr.TableName + "." + pgErr.ColumnName
	}
	return ""
}

// pipeTx is a transaction on one pooled connection that saves round trips
// by pipelining: BEGIN travels with the transaction's first statement, and
// statements whose results nobody reads (ExecLater: audit events, a user's
// email rows) travel with the next statement or with COMMIT. A transaction
// costs one round trip per statement whose answer the caller waits for,
// plus one for COMMIT; BEGIN and held statements cost none of their own.
// (A SCIM user update was seven round trips, and is three.)
//
// Every statement of a batch runs in order in the transaction; the first
// that fails aborts it, and its error is the one reported.
type pipeTx struct {
	c     *pgxpool.Conn
	begun bool
	later []queued
	// laterRoom backs later for the few statements a transaction usually
	// holds, so that holding them allocates nothing.
	laterRoom [4]queued
}

func newPipeTx(c *pgxpool.Conn) *pipeTx {
	t := &pipeTx{c: c}
	t.later = t.laterRoom[:0]
	return t
}

type queued struct {
	sql  string
	args []any
	// A held query's row is scanned into dest, or noRows is its error.
	dest   []any
	noRows error
}

// ExecLater queues a statement to send with the next one.
func (t *pipeTx) ExecLater(sql string, args ...any) {
	t.later = append(t.later, queued{sql: sql, args: args})
}

// QueryRowLater implements sqlstore.LaterQuerier: it queues a query to
// send with the next statement, its row scanned into dest when that
// statement's batch is answered. Held with COMMIT, a query that finds no
// row reports noRows for a transaction that committed all the same.
func (t *pipeTx) QueryRowLater(noRows error, dest []any, sql string, args ...any) bool {
	if hasMode(args) {
		return false
	}
	t.later = append(t.later, queued{sql: sql, args: args, dest: dest, noRows: noRows})
	return true
}

// pending returns a batch of what must run before the next statement (the
// BEGIN, statements queued by ExecLater and QueryRowLater), or nil if
// nothing must.
func (t *pipeTx) pending() *batch {
	if t.begun && len(t.later) == 0 {
		return nil
	}
	b := newBatch()
	if !t.begun {
		b.add(queued{sql: "begin"})
		t.begun = true
	}
	for _, q := range t.later {
		b.add(q)
	}
	// The batch has copied them: later's array takes the next ones.
	clear(t.later)
	t.later = t.later[:0]
	return b
}

// batchRoom is how many statements a batch holds without allocating more:
// BEGIN, a few held ones, the one sent and COMMIT.
const batchRoom = 8

// batch is a pgx batch that remembers its statements, so that the rows of
// held queries can be scanned where they were asked for.
type batch struct {
	pgx.Batch
	stmts []queued
	// Room for the statements, their QueuedQuery (which pgx's Queue
	// allocates one by one) and the batch's list of them, so that a
	// batch is one allocation rather than several per statement.
	stmtRoom  [batchRoom]queued
	queryRoom [batchRoom]pgx.QueuedQuery
	listRoom  [batchRoom]*pgx.QueuedQuery
}

func newBatch() *batch {
	b := &batch{}
	b.stmts, b.QueuedQueries = b.stmtRoom[:0], b.listRoom[:0]
	return b
}

// add queues q, as b.Queue does.
func (b *batch) add(q queued) {
	if i := len(b.stmts); i < batchRoom {
		b.queryRoom[i] = pgx.QueuedQuery{SQL: q.sql, Arguments: q.args}
		b.QueuedQueries = append(b.QueuedQueries, &b.queryRoom[i])
	} else {
		b.Queue(q.sql, q.args...)
	}
	b.stmts = append(b.stmts, q)
}

// send sends b and reads the results of all but its last statement,
// leaving that one to the caller. It returns the results, to be closed, or
// the first error.
func (t *pipeTx) send(ctx context.Context, b *batch) (pgx.BatchResults, error) {
	br := t.c.SendBatch(ctx, &b.Batch)
	for i := range b.Len() - 1 {
		if err := readHeld(br, b, i); err != nil {
			_ = br.Close() // err says what went wrong
			return nil, err
		}
	}
	return br, nil
}

// readHeld reads the result of statement i of b: a held query's row into
// its destination, anything else as an Exec.
func readHeld(br pgx.BatchResults, b *batch, i int) error {
	q := b.stmts[i]
	if q.dest == nil {
		_, err := br.Exec()
		return err
	}
	err := br.QueryRow().Scan(q.dest...)
	if errors.Is(err, pgx.ErrNoRows) && q.noRows != nil {
		return q.noRows
	}
	return err
}

// hasMode reports whether args start with a query execution mode, which a
// batch does not take: such a statement goes on its own, after a flush.
func hasMode(args []any) bool {
	if len(args) == 0 {
		return false
	}
	_, ok := args[0].(pgx.QueryExecMode)
	return ok
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b := t.pending()
	if b == nil || hasMode(args) {
		if err := t.flushBatch(ctx, b); err != nil {
			return pgconn.CommandTag{}, err
		}
		return t.c.Exec(ctx, sql, args...)
	}
	b.add(queued{sql: sql, args: args})
	br, err := t.send(ctx, b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	b := t.pending()
	if b == nil || hasMode(args) {
		if err := t.flushBatch(ctx, b); err != nil {
			return nil, err
		}
		return t.c.Query(ctx, sql, args...)
	}
	b.add(queued{sql: sql, args: args})
	br, err := t.send(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	b := t.pending()
	if b == nil || hasMode(args) {
		if err := t.flushBatch(ctx, b); err != nil {
			return errRow{err}
		}
		return t.c.QueryRow(ctx, sql, args...)
	}
	b.add(queued{sql: sql, args: args})
	br, err := t.send(ctx, b)
	if err != nil {
		return errRow{err}
	}
	return batchRow{row: br.QueryRow(), br: br}
}

// flushBatch sends b, taken from pending, on its own; nil is nothing to send.
func (t *pipeTx) flushBatch(ctx context.Context, b *batch) error {
	if b == nil {
		return nil
	}
	br, err := t.send(ctx, b)
	if err != nil {
		return err
	}
	err = readHeld(br, b, b.Len()-1)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// commit sends what is pending with COMMIT. A transaction that never sent
// a statement has nothing to commit.
func (t *pipeTx) commit(ctx context.Context) error {
	if !t.begun && len(t.later) == 0 {
		return nil
	}
	b := t.pending()
	if b == nil {
		b = newBatch()
	}
	b.add(queued{sql: "commit"})
	br, err := t.send(ctx, b)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() == "ROLLBACK" {
		// COMMIT of a transaction that a failed statement aborted answers
		// ROLLBACK, not an error.
		return pgx.ErrTxCommitRollback
	}
	return err
}

// rollback ends the transaction, if it began; on failure the connection is
// closed, which ends it too.
func (t *pipeTx) rollback(ctx context.Context) {
	t.later = nil
	if !t.begun {
		return
	}
	if _, err := t.c.Exec(ctx, "rollback"); err != nil {
		_ = t.c.Conn().Close(ctx)
	}
}

// batchRows closes the batch with the rows, the batch's last statement.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close() // the rows' Err reports what failed
}

// batchRow closes the batch once the row, its last statement, is scanned.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
