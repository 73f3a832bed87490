package sqlstore

import (
	"context"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// listing is one page of a filtered, sorted listing of users or groups.
type listing struct {
	table   sqlbuild.Table
	columns string // select list
	from    string // table and alias
	id      string // id column
	// where are the conditions every row must meet (the organization…),
	// with their arguments in args.
	where  []string
	args   sqlbuild.Args
	filter directory.Expr
	sort   directory.Sort
	offset int
	after  string
	// afterOffset skips rows past after (offset is ignored with after).
	afterOffset int
	limit       int
	count       bool
	// cursorOnly reads only where the page ends: the ids and sort keys,
	// without building the rows (see directory.UserQuery.CursorOnly).
	cursorOnly bool
	// db runs the listing's statements; nil: Read.
	db DB
}

// list runs l, calling scan for each row of the page with the destinations
// of the sort key to append to the row's; scan returns the row's id. It
// returns the cursor of the next page ("" at the end) and, if l.count, the
// number of rows that match.
func (r *Repos) list(ctx context.Context, l listing, scan func(rows Rows, key []any) (string, error)) (next string, total int, err error) {
	d := r.c.Dialect
	db := l.db
	if db == nil {
		db = r.c.Read
	}
	args := l.args
	where := l.where
	cond, err := d.Where(l.table, l.filter, &args)
	if err != nil {
		return "", 0, err
	}
	if cond != "" {
		where = append(where, "("+cond+")")
	}
	order, err := d.Order(l.table, l.sort)
	if err != nil {
		return "", 0, err
	}
	if l.count {
		q := "SELECT count(*) FROM " + l.from + " WHERE " + strings.Join(where, " AND ")
		if err := db.QueryRow(ctx, q, args...).Scan(&total); err != nil {
			return "", 0, r.fail(err)
		}
	}
	if l.after != "" {
		after, err := order.After(l.after, &args)
		if err != nil {
			return "", 0, err
		}
		where = append(where, after)
	}
	limit := directory.ClampLimit(l.limit)
	// The page's ids are chosen first and its rows read after, by primary
	// key, so that the database sorts narrow rows and builds the wide ones
	// (with emails…) only for the page. One row more than the page tells
	// whether there is a next page.
	selected := " FROM " + l.from +
		" WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + order.By() +
		" LIMIT " + args.Add(limit+1)
	switch {
	case l.after == "" && l.offset > 0:
		selected += " OFFSET " + args.Add(l.offset)
	case l.after != "" && l.afterOffset > 0:
		selected += " OFFSET " + args.Add(l.afterOffset)
	}
	q := "SELECT " + l.columns + order.Select() +
		" FROM (SELECT " + l.id + selected + ") page JOIN " + l.from + " ON " + l.id + " = page.id" +
		" ORDER BY " + order.By()
	if l.cursorOnly {
		q = "SELECT " + l.id + order.Select() + selected
		scan = func(rows Rows, key []any) (string, error) {
			var id string
			err := rows.Scan(append([]any{&id}, key...)...)
			return id, err
		}
	}
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return "", 0, r.fail(err)
	}
	defer rows.Close()
	key := order.Key()
	var lastID string
	for n := 0; rows.Next(); n++ {
		if n == limit {
			next = order.Cursor(key, lastID)
			break
		}
		if lastID, err = scan(rows, key.Dest()); err != nil {
			return "", 0, r.fail(err)
		}
	}
	if err := rows.Err(); err != nil {
		return "", 0, r.fail(err)
	}
	return next, total, nil
}
