package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
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

// conn adapts database/sql to sqlstore.DB. observe, if set, sees each
// statement (see WithObserver).
type conn struct {
	q       queryer
	observe func(query string)
}

func (c conn) observed(query string) {
	if c.observe != nil {
		c.observe(query)
	}
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c.observed(query)
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	c.observed(query)
	rows, err := c.q.QueryContext(ctx, query, args...) //nolint:rowserrcheck,sqlclosecheck // the caller reads, checks and closes the rows
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	c.observed(query)
	return c.q.QueryRowContext(ctx, query, args...)
}

type sqlRows struct{ *sql.Rows }

// Close drops the error of (*sql.Rows).Close: Err reports failures while
// reading, which is what callers check.
func (r sqlRows) Close() { _ = r.Rows.Close() }

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
