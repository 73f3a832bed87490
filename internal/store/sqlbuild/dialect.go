// Package sqlbuild holds the SQL that the PostgreSQL and SQLite stores share:
// the compilation of directory.Expr filters into WHERE clauses, sorting and
// keyset cursors, and the encoding of values whose representation differs
// between the two databases. Each function takes the Dialect as a parameter;
// nothing here talks to a database (scan destinations of times speak pgx's
// pgtype as well as database/sql, to spare PostgreSQL's reads allocations).
//
// Both stores write placeholders as $1, $2 …: PostgreSQL natively, and SQLite
// because modernc.org/sqlite binds a parameter named $N to the N-th argument.
// Most statements are therefore the same text for both, and a placeholder may
// be used twice.
package sqlbuild

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Dialect is the SQL flavour of a store.
type Dialect int

// Dialects.
const (
	Postgres Dialect = iota + 1
	SQLite
)

func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// timeLayout is how SQLite stores times: fixed width, UTC, microseconds, so
// that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// UTCMicro returns t in UTC, truncated to the microsecond: what both stores
// keep of a time.
func UTCMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Time encodes t as a statement argument.
func (d Dialect) Time(t time.Time) any {
	t = UTCMicro(t)
	if d == SQLite {
		return t.Format(timeLayout)
	}
	return t
}

// NullTime encodes an optional time; nil is NULL.
func (d Dialect) NullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.Time(*t)
}

// ZeroNullTime encodes t, with the zero time as NULL.
func (d Dialect) ZeroNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.Time(t)
}

// In returns a condition that expr is one of the strings in the list bound to
// param (see List). One placeholder carries the whole list, so the statement
// text does not depend on its length.
func (d Dialect) In(expr, param string) string {
	if d == SQLite {
		return expr + " IN (SELECT value FROM json_each(" + param + "))"
	}
	return expr + " = ANY(" + param + ")"
}

// LockRows returns the clause that locks the rows of table alias a query
// reads until its transaction ends, against updates but not against
// foreign-key checks. SQLite needs none: its writing transactions run one
// at a time.
func (d Dialect) LockRows(alias string) string {
	if d == SQLite {
		return ""
	}
	return " FOR NO KEY UPDATE OF " + alias
}

// List encodes a list of strings for In.
func (d Dialect) List(values []string) any {
	if d == SQLite {
		if values == nil {
			values = []string{}
		}
		b, _ := json.Marshal(values) // a []string always marshals
		return string(b)
	}
	return values
}

// Args collects a statement's arguments and hands out their placeholders.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Placeholders returns n placeholders starting at $from, comma-separated:
// "$3, $4, $5".
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// ScanTime returns a scan destination for a NOT NULL time column of either
// store: PostgreSQL yields time.Time, SQLite the text written by Time.
func ScanTime(t *time.Time) sql.Scanner { return timeDest{t} }

// ScanNullTime returns a scan destination for a nullable time column; NULL
// scans as nil.
func ScanNullTime(t **time.Time) sql.Scanner { return nullTimeDest{t} }

// ScanZeroNullTime returns a scan destination for a nullable time column
// whose NULL is the zero time.
func ScanZeroNullTime(t *time.Time) sql.Scanner { return zeroNullTimeDest{t} }

// The destinations take a time from database/sql (SQLite: Scan) or from
// pgx (PostgreSQL: ScanTimestamptz). pgx plans a sql.Scanner destination
// anew for every row and column and hands it the time boxed in an
// interface, after decoding it through a Timestamptz of its own: about
// three allocations a time, six times in each user read.

type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	t, ok, err := parseTime(src)
	return d.set(t, ok, err)
}

func (d timeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	t, ok, err := pgTime(v)
	return d.set(t, ok, err)
}

func (d timeDest) set(t time.Time, ok bool, err error) error {
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sqlbuild: NULL in a NOT NULL time column")
	}
	*d.t = t
	return nil
}

type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(src any) error {
	t, ok, err := parseTime(src)
	return d.set(t, ok, err)
}

func (d nullTimeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	t, ok, err := pgTime(v)
	return d.set(t, ok, err)
}

func (d nullTimeDest) set(t time.Time, ok bool, err error) error {
	if err != nil {
		return err
	}
	if !ok {
		*d.t = nil
		return nil
	}
	at := t // on the heap only when there is a time
	*d.t = &at
	return nil
}

type zeroNullTimeDest struct{ t *time.Time }

func (d zeroNullTimeDest) Scan(src any) error {
	t, _, err := parseTime(src)
	*d.t = t
	return err
}

func (d zeroNullTimeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	t, _, err := pgTime(v)
	*d.t = t
	return err
}

// pgTime reads a timestamptz from pgx; ok is false for NULL. Roster never
// stores an infinite time.
func pgTime(v pgtype.Timestamptz) (t time.Time, ok bool, err error) {
	switch {
	case !v.Valid:
		return time.Time{}, false, nil
	case v.InfinityModifier != pgtype.Finite:
		return time.Time{}, false, fmt.Errorf("sqlbuild: cannot scan %s into a time", v.InfinityModifier)
	}
	return UTCMicro(v.Time), true, nil
}

// parseTime reads a time column value; ok is false for NULL.
func parseTime(src any) (t time.Time, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return UTCMicro(v), true, nil
	case string:
		t, err = time.Parse(timeLayout, v)
	case []byte:
		t, err = time.Parse(timeLayout, string(v))
	default:
		return time.Time{}, false, fmt.Errorf("sqlbuild: cannot scan %T into a time", src)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlbuild: bad stored time: %w", err)
	}
	return t, true, nil
}

// ArrayAgg returns a correlated subquery that collects the rows of from (a
// table, alias and WHERE clause) as a JSON array of arrays of values, in
// orderBy order. The result is NULL or "[]" when there are no rows, and
// SQLite writes booleans as 0 and 1. It lets one statement read an object
// with its child rows, in one snapshot and one round trip.
func (d Dialect) ArrayAgg(values, from, orderBy string) string {
	if d == SQLite {
		return "(SELECT json_group_array(json_array(" + values + ") ORDER BY " + orderBy + ") FROM " + from + ")"
	}
	return "(SELECT json_agg(json_build_array(" + values + ") ORDER BY " + orderBy + ") FROM " + from + ")"
}
