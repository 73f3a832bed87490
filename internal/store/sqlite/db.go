package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"slices"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/roster/roster/internal/store/sqlstore"
)

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn adapts database/sql to sqlstore.DB. Statements run prepared from
// cache, the pool's (outside a transaction) or, in a transaction, the
// writing pool's bound to the transaction by tx. observe, if set, sees
// each statement (see WithObserver).
type conn struct {
	q     queryer
	cache *stmtCache
	tx    *txStatements
	// owner, outside a transaction, is the store whose batch (see
	// Store.Batch) the statements join when their context has one.
	owner   *Store
	observe func(query string)
	// detached, if set, is the context statements run with instead of
	// their own: a group commit's member's, without its cancellation,
	// since SQLite interrupts a statement by rolling back the whole
	// transaction, which the other members share (see group.go). Made
	// once per member rather than per statement.
	detached context.Context
}

// in returns the connection to run a statement in ctx on: the batch's
// shared transaction if ctx has one, else c.
func (c conn) in(ctx context.Context) conn {
	if c.owner != nil {
		if b := c.owner.batchOf(ctx); b != nil {
			return b.conn()
		}
	}
	return c
}

// ctx is the context to run a statement of ctx with.
func (c conn) ctx(ctx context.Context) context.Context {
	if c.detached != nil {
		return c.detached
	}
	return ctx
}

func (c conn) observed(query string) {
	if c.observe != nil {
		c.observe(query)
	}
}

// stmt returns the prepared statement to run query with, and the release
// to call once its rows are closed; nil if query runs from its text.
func (c conn) stmt(ctx context.Context, query string) (*sql.Stmt, release) {
	if c.cache == nil || script(query) {
		return nil, release{}
	}
	if c.tx == nil {
		return c.cache.get(ctx, query), release{}
	}
	st := c.cache.lookup(query)
	if st == nil {
		c.tx.missed = append(c.tx.missed, query)
		return nil, release{}
	}
	if slices.Contains(c.tx.busy, st) {
		return nil, release{}
	}
	c.tx.busy = append(c.tx.busy, st)
	// The transaction's copy is closed with the transaction; the
	// prepared program stays with the cached statement.
	return c.tx.tx.StmtContext(ctx, st), release{c.tx, st} //nolint:sqlclosecheck // closed with the transaction
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c = c.in(ctx)
	ctx = c.ctx(ctx)
	c.observed(query)
	var (
		res sql.Result
		err error
	)
	if st, rel := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // cached, closed with the store (or the transaction)
		res, err = st.ExecContext(ctx, args...)
		rel.done()
	} else {
		res, err = c.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	c = c.in(ctx)
	ctx = c.ctx(ctx)
	c.observed(query)
	if st, rel := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // cached, closed with the store (or the transaction)
		rows, err := st.QueryContext(ctx, args...) //nolint:rowserrcheck,sqlclosecheck // the caller reads, checks and closes the rows
		if err != nil {
			rel.done()
			return nil, err
		}
		return sqlRows{rows, rel}, nil
	}
	rows, err := c.q.QueryContext(ctx, query, args...) //nolint:rowserrcheck,sqlclosecheck // the caller reads, checks and closes the rows
	if err != nil {
		return nil, err
	}
	return sqlRows{rows, release{}}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	c = c.in(ctx)
	ctx = c.ctx(ctx)
	c.observed(query)
	if st, rel := c.stmt(ctx, query); st != nil { //nolint:sqlclosecheck // cached, closed with the store (or the transaction)
		// The row's statement stays busy until it is scanned.
		return scanRow{st.QueryRowContext(ctx, args...), rel}
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// scanRow is a row of a cached statement, which is free again once the
// row is scanned.
type scanRow struct {
	row *sql.Row
	rel release
}

func (r scanRow) Scan(dest ...any) error {
	defer r.rel.done()
	return r.row.Scan(dest...)
}

type sqlRows struct {
	*sql.Rows
	rel release // done once the rows are closed
}

// Close drops the error of (*sql.Rows).Close: Err reports failures while
// reading, which is what callers check.
func (r sqlRows) Close() {
	_ = r.Rows.Close()
	r.rel.done()
}

// connector opens connections with drv, so that the store's SQL functions
// are present without registering a driver name process-wide.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// sharedDriver returns the one driver of the process, with lower() replaced by a
// Unicode-aware version: SQLite's own folds ASCII only, and filters must
// compare "Müller" and "müller" as PostgreSQL does. Functions registered on
// a driver live as long as the program, so it is made once.
var sharedDriver = sync.OnceValues(func() (*sqlite.Driver, error) {
	drv := &sqlite.Driver{}
	err := drv.RegisterDeterministicScalarFunction("lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		}
		return args[0], nil
	})
	return drv, err
})

// script reports whether query holds more than one statement (a
// migration's), which SQLite compiles one at a time on every run anyway.
func script(query string) bool {
	return strings.Contains(strings.TrimRight(query, "; \t\n"), ";")
}
