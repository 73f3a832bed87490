package sqlstore

import (
	"context"
	"strings"
	"sync"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Bulk implements directory.JobRepos.
func (r *Repos) Bulk() directory.BulkUserStore { return bulkStore{r} }

// ImportRuns implements directory.JobRepos.
func (r *Repos) ImportRuns() directory.ImportRunStore { return importRunStore{r} }

// Jobs implements directory.JobRepos.
func (r *Repos) Jobs() directory.JobStore { return jobStore{r} }

// bulkRows is how many rows of width values one multi-row statement
// writes. PostgreSQL takes up to 500 rows (20,000 values, under its bound
// of 65,535), which saves round trips. SQLite, in process, has no round
// trips to save and looks each parameter up by name in a list while it
// parses, so its cost grows with the square of a statement's values:
// measured best at a few hundred values.
func bulkRows(d sqlbuild.Dialect, width int) int {
	if d == sqlbuild.SQLite {
		return max(1, 256/width)
	}
	return min(500, 20_000/width)
}

// The multi-row statements reuse the column lists of the one-row ones.
var (
	bulkUsersHead = insertUser[:strings.Index(insertUser, "VALUES")] + "VALUES "
	bulkAuditHead = insertAudit[:strings.Index(insertAudit, "VALUES")] + "VALUES "
)

// CustomPlanner is a DB that runs a query planned for its actual
// arguments. PostgreSQL plans a prepared statement once for any
// arguments after five runs; one planned while a table was small keeps
// scanning it whole after an import made it large, and the inactivity
// pass's cutoff decides how much of an index to read. The postgres store's
// DB is one; on others queryCustom is Query.
type CustomPlanner interface {
	QueryCustom(ctx context.Context, query string, args ...any) (Rows, error)
}

func queryCustom(ctx context.Context, db DB, query string, args ...any) (Rows, error) {
	if c, ok := db.(CustomPlanner); ok {
		return c.QueryCustom(ctx, query, args...)
	}
	return db.Query(ctx, query, args...)
}

// valuesLists caches the VALUES lists of full chunks, which every bulk
// write repeats.
var valuesLists sync.Map // [2]int{rows, width} → string

// valuesList returns rows parenthesized groups of width placeholders:
// "($1, $2), ($3, $4)".
func valuesList(rows, width int) string {
	key := [2]int{rows, width}
	if v, ok := valuesLists.Load(key); ok {
		return v.(string)
	}
	groups := make([]string, rows)
	for i := range groups {
		groups[i] = "(" + sqlbuild.Placeholders(i*width+1, width) + ")"
	}
	v := strings.Join(groups, ", ")
	valuesLists.Store(key, v)
	return v
}

type bulkStore struct{ r *Repos }

// FindUsersByUserNames implements directory.BulkUserStore with one indexed
// query.
func (s bulkStore) FindUsersByUserNames(ctx context.Context, orgID string, userNames []string) ([]*directory.User, error) {
	if len(userNames) == 0 {
		return nil, nil
	}
	lower := make([]string, len(userNames))
	for i, n := range userNames {
		lower[i] = strings.ToLower(directory.NormalizeUserName(n))
	}
	d := s.r.c.Dialect
	rows, err := queryCustom(ctx, s.r.c.Read, s.r.q.selectUser+" WHERE u.org_id = $1 AND "+d.In("u.user_name_lower", "$2"), orgID, d.List(unique(lower)))
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*userRow).user)
	return out, s.r.fail(err)
}

// CreateUsers implements directory.BulkUserStore: bulkRows users per
// statement (PostgreSQL: unnestRows, one array per column), and their
// extra emails after them.
func (s bulkStore) CreateUsers(ctx context.Context, users []*directory.User) error {
	d := s.r.c.Dialect
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		step := bulkRows(d, len(userInsertColumns))
		if d == sqlbuild.Postgres {
			step = unnestRows
		}
		for start := 0; start < len(users); start += step {
			chunk := users[start:min(start+step, len(users))]
			for _, u := range chunk {
				setID(&u.ID)
				roundTimes(u)
				u.Version = max(u.Version, 1)
			}
			if err := insertUsers(ctx, db, d, chunk); err != nil {
				return err
			}
			if err := insertEmailsOf(ctx, db, d, chunk); err != nil {
				return err
			}
			for _, u := range chunk {
				if err := insertGrants(ctx, db, u); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// insertUsers runs one multi-row insertUser of users.
func insertUsers(ctx context.Context, db DB, d sqlbuild.Dialect, users []*directory.User) error {
	if d == sqlbuild.Postgres {
		args, single, err := userArrays(users)
		if err != nil {
			return directory.Internal(err)
		}
		_, err = db.Exec(ctx, usersUnnest.sql(single), args...)
		return err
	}
	args := make([]any, 0, len(users)*len(userInsertColumns))
	for _, u := range users {
		a, err := userInsertArgs(d, u, u.Version)
		if err != nil {
			return directory.Internal(err)
		}
		args = append(args, a...)
	}
	_, err := db.Exec(ctx, bulkUsersHead+valuesList(len(users), len(userInsertColumns)), args...)
	return err
}

// AppendAuditEvents implements directory.BulkUserStore.
func (s bulkStore) AppendAuditEvents(ctx context.Context, events []*directory.AuditEvent) error {
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error { return appendAuditEvents(ctx, db, s.r.c.Dialect, events) }))
}

// appendAuditEvents writes events bulkRows at a time (PostgreSQL:
// unnestRows, one array per column). Nothing reads the statements'
// results, so a transaction may send them later (see LaterExecer).
func appendAuditEvents(ctx context.Context, db DB, d sqlbuild.Dialect, events []*directory.AuditEvent) error {
	step := bulkRows(d, 11)
	if d == sqlbuild.Postgres {
		step = unnestRows
	}
	for start := 0; start < len(events); start += step {
		chunk := events[start:min(start+step, len(events))]
		if d == sqlbuild.Postgres {
			args, single, err := auditArrays(ctx, chunk)
			if err != nil {
				return err
			}
			if err := execLater(ctx, db, auditUnnest.sql(single), args...); err != nil {
				return err
			}
			continue
		}
		args := make([]any, 0, len(chunk)*11)
		for _, e := range chunk {
			row, err := auditRow(ctx, d, e)
			if err != nil {
				return err
			}
			args = append(args, row...)
		}
		if err := execLater(ctx, db, bulkAuditHead+valuesList(len(chunk), 11), args...); err != nil {
			return err
		}
	}
	return nil
}
