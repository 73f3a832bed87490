// Package sqlstore implements the directory's repositories once for both SQL
// stores. The statements are written for both dialects (see sqlbuild); where
// the two differ, sqlbuild.Dialect supplies the fragment. The sqlite and
// postgres packages adapt their drivers to DB, own transactions and error
// codes, and embed Repos in their Store.
package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// DB runs statements: a connection pool or a transaction.
type DB interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is the result of Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of QueryRow. Its Scan returns an error that
// errors.Is(err, sql.ErrNoRows) recognizes when there is no row (pgx's
// ErrNoRows does).
type Row interface {
	Scan(dest ...any) error
}

// LaterExecer is a DB that can hold back a statement whose result nobody
// reads and send it with the next one, or with the commit, saving a round
// trip: PostgreSQL transactions are. ExecLater reports whether it did; if
// not, the caller runs the statement itself. An error of a held statement
// fails the statement it travels with, or the commit, so the transaction
// still succeeds or fails as a whole.
type LaterExecer interface {
	ExecLater(query string, args ...any) bool
}

// LaterQuerier is a DB that can hold back a query of one row whose result
// the caller needs only after the transaction, and scan it into dest when
// the statement it travels with (or the commit) is answered. A query that
// finds no row then reports noRows. QueryRowLater reports whether it held
// the query; if not, the caller runs it itself.
type LaterQuerier interface {
	QueryRowLater(noRows error, dest []any, query string, args ...any) bool
}

// execLater runs a statement whose result nobody reads, later if db can.
func execLater(ctx context.Context, db DB, query string, args ...any) error {
	if l, ok := db.(LaterExecer); ok && l.ExecLater(query, args...) {
		return nil
	}
	_, err := db.Exec(ctx, query, args...)
	return err
}

// Config binds the repositories to a database.
type Config struct {
	Dialect sqlbuild.Dialect
	// Read runs queries outside a transaction, Write single-statement
	// writes outside a transaction. They may be the same pool; SQLite uses
	// a read-only pool for Read and its one writing connection for Write.
	Read, Write DB
	// Stale, if set, runs the reads of a context marked by
	// directory.WithStaleReads, outside a transaction: a read replica,
	// seconds behind. Nil: they run on Read like the others.
	Stale DB
	// Atomic runs fn in a new transaction: the writes that take more than
	// one statement go through it.
	Atomic func(ctx context.Context, fn func(DB) error) error
	// UniqueIndex returns the name of the unique index or constraint that
	// err violates (as named in the migrations), or "".
	UniqueIndex func(err error) string
	// NotNullColumn returns the "table.column" whose NOT NULL constraint
	// err violates, or "".
	NotNullColumn func(err error) string
	// Unavailable, if set, reports whether err means the database cannot
	// be reached now (a restart, a failover, a full server): a 503 the
	// client may retry, not a 500.
	Unavailable func(err error) bool
	// GuardFailed reports whether err is updateUserGuarded's: the user
	// assumed had moved on. Nil where statements are not held.
	GuardFailed func(err error) bool
	// DomainTaken returns the domain of a login email that err refuses
	// (the guard of migration 0076, held like a statement), and whether
	// err is that. Nil where statements are not held: the check then
	// asks first.
	DomainTaken func(err error) (domain string, ok bool)
	// Now is the clock for the one write whose time the caller does not
	// give (UpdateOrg).
	Now func() time.Time
}

// Repos implements directory.Repos.
type Repos struct {
	c Config
	q queries
	// inTx is set on the repositories of a transaction (see Tx).
	inTx bool
	// locked are the users this transaction read with GetUserForUpdate
	// (or took as read, AssumeUser), as last written; made on first use.
	locked map[string]lockedUser
}

// lockedUser is what a transaction knows of a user it holds locked: the
// version it last read or wrote, and the emails of that version. An
// assumed user (AssumeUser) is not locked: its updates are guarded.
type lockedUser struct {
	version int64
	emails  []directory.Email
	grants  grantLists
	assumed bool
}

var _ directory.Repos = (*Repos)(nil)

// New returns the repositories of c.
func New(c Config) *Repos {
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Repos{c: c, q: newQueries(c.Dialect)}
}

// Tx returns the same repositories running every statement in tx, which the
// caller commits or rolls back.
func (r *Repos) Tx(tx DB) *Repos {
	c := r.c
	c.Read, c.Write, c.Stale = tx, tx, nil
	c.Atomic = func(_ context.Context, fn func(DB) error) error { return fn(tx) }
	return &Repos{c: c, q: r.q, inTx: true}
}

// staleRead returns the handle of a read that may be seconds behind:
// Stale for a context marked by directory.WithStaleReads, else Read. A
// transaction's repositories have no Stale (see Tx). Only the listings
// WithStaleReads names call it.
func (r *Repos) staleRead(ctx context.Context) DB {
	if r.c.Stale != nil && directory.StaleReadsOK(ctx) {
		return r.c.Stale
	}
	return r.c.Read
}

// Fail turns an error of a transaction's COMMIT into the domain's, as the
// statements' own are: a statement held for the commit (see LaterExecer)
// reports its unique violation there.
func (r *Repos) Fail(err error) error { return r.fail(err) }

// Orgs implements directory.Repos.
func (r *Repos) Orgs() directory.OrgStore { return orgStore{r} }

// Users implements directory.Repos.
func (r *Repos) Users() directory.UserStore { return userStore{r} }

// Groups implements directory.Repos.
func (r *Repos) Groups() directory.GroupStore { return groupStore{r} }

// Tokens implements directory.Repos.
func (r *Repos) Tokens() directory.TokenStore { return tokenStore{r} }

// Audit implements directory.Repos.
func (r *Repos) Audit() directory.AuditLog { return auditLog{r} }

// queries are the statements whose text depends on the dialect, composed
// once per store from the constants of each aggregate's file.
type queries struct {
	// selectOrg reads organizations o with their domains.
	selectOrg string
	// selectUser reads users u with their emails; userColumns is its
	// select list. lockUser locks one by id, where the dialect has row
	// locks ("" where not), for a read that follows it.
	selectUser, userColumns, lockUser string
	// updateUser is the statement of that name returning the emails and
	// the grants the user had (see emailsAgg, grantsAgg).
	updateUser string
	// liveUsers, insertMembers and deleteMembers take a list of user ids.
	liveUsers, insertMembers, deleteMembers string
	// group are the statements of groups.
	group groupQueries
}

func newQueries(d sqlbuild.Dialect) queries {
	q := queries{
		selectOrg: "SELECT " + orgColumns + ", " +
			d.ArrayAgg("d.domain, d.is_primary, d.verified, d.verified_by, d.verified_at, d.verification_token", "org_domains d WHERE d.org_id = o.id", "d.ordinal") +
			" FROM organizations o",
		userColumns:   userColumns + ", " + emailsAgg(d, "u.id") + ", " + grantsAgg(d, "u.id"),
		updateUser:    updateUser + " RETURNING " + emailsAgg(d, "users.id") + ", " + grantsAggAll(d, "users.id"),
		liveUsers:     fmt.Sprintf(selectLiveUsers, d.In("u.id", "$3")),
		insertMembers: fmt.Sprintf(insertMembers, d.In("u.id", "$3")),
		deleteMembers: fmt.Sprintf(deleteMembers, d.In("user_id", "$3")),
		group:         newGroupQueries(d),
	}
	q.selectUser = "SELECT " + q.userColumns + " FROM users u"
	if lock := d.LockRows("u"); lock != "" {
		q.lockUser = "SELECT 1 FROM users u" + userByID + lock
	}
	return q
}
