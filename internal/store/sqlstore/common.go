package sqlstore

import (
	"context"

	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
)

// setID gives an object without an id a time-ordered one. The service sets
// ids; this keeps a store usable on its own (tests, tools).
func setID(id *string) {
	if *id == "" {
		*id = uuid.Must(uuid.NewV7()).String()
	}
}

// staleOrMissing explains an update guarded by a version that changed no
// row: ErrStale if the object exists (so the version was stale), else
// CodeNotFound. query selects the object's version by args.
func staleOrMissing(ctx context.Context, db DB, what, query string, args ...any) error {
	var v int64
	err := db.QueryRow(ctx, query, args...).Scan(&v)
	switch {
	case noRows(err):
		return notFound(what)
	case err != nil:
		return err
	}
	return directory.ErrStale
}

// unique returns ids without repeats, in their first order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// scanAll reads every row of rows into a fresh row type R (its dest lists
// the columns), turns each into a T with convert, and closes rows.
func scanAll[R any, T any, PR interface {
	*R
	dest() []any
}](rows Rows, convert func(PR) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		row := PR(new(R))
		if err := rows.Scan(row.dest()...); err != nil {
			return nil, err
		}
		v, err := convert(row)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
