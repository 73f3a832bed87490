package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Replacing a group's member list is worked out by the database, set
// against set: the new list travels as one parameter (a text array on
// PostgreSQL, a JSON array on SQLite), the members not in it are deleted
// and the users of it not members yet are inserted, each in one statement.
// Nothing reads the current members into the process.
const (
	// foreignMember finds a user id of the list $2 that is not a live
	// user of organization $1; %s is the list as a table of one column,
	// id.
	foreignMember = `SELECT l.id FROM %s
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = $1 AND u.id = l.id AND u.status <> 'deleted')
LIMIT 1`
	// deleteNonMembers deletes the members of group $1 of organization $2
	// that the list $3 leaves out. A soft-deleted user's membership stays
	// (it is no one's member meanwhile, and a restore brings it back), as
	// it does for a removal that does not name it.
	deleteNonMembers = `DELETE FROM group_members
WHERE group_id = $1 AND org_id = $2 AND NOT (%s)
	AND EXISTS (SELECT 1 FROM users u WHERE u.id = group_members.user_id AND u.status <> 'deleted')
RETURNING user_id`
	// insertNewMembers inserts the live users of organization $2 in the
	// list $3 that are not members of its group $1 yet, in id order (see
	// insertMembers).
	insertNewMembers = `INSERT INTO group_members (group_id, user_id, org_id)
SELECT $1, u.id, u.org_id FROM users u
WHERE u.org_id = $2 AND u.status <> 'deleted' AND %s
	AND NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $1 AND gm.user_id = u.id)
ORDER BY u.id
ON CONFLICT DO NOTHING
RETURNING user_id`
)

// replaceQueries are the statements of ReplaceMembers in a dialect.
type replaceQueries struct{ foreign, remove, insert string }

func newReplaceQueries(d sqlbuild.Dialect) replaceQueries {
	list := `unnest($2::text[]) AS l(id)`
	if d == sqlbuild.SQLite {
		list = `(SELECT value AS id FROM json_each($2)) l`
	}
	return replaceQueries{
		foreign: fmt.Sprintf(foreignMember, list),
		remove:  fmt.Sprintf(deleteNonMembers, d.In("user_id", "$3")),
		insert:  fmt.Sprintf(insertNewMembers, d.In("u.id", "$3")),
	}
}

var replaceStatements = map[sqlbuild.Dialect]replaceQueries{
	sqlbuild.Postgres: newReplaceQueries(sqlbuild.Postgres),
	sqlbuild.SQLite:   newReplaceQueries(sqlbuild.SQLite),
}

// ReplaceMembers implements directory.GroupStore. Its three statements cost
// time in the sizes of the group and the list, in the database; the
// process holds the list and the ids that changed, never the members.
func (s groupStore) ReplaceMembers(ctx context.Context, orgID, groupID string, userIDs []string) (added, removed []string, err error) {
	ids := unique(userIDs)
	d := s.r.c.Dialect
	q := replaceStatements[d]
	list := d.List(ids)
	err = s.r.c.Atomic(ctx, func(db DB) error {
		added, removed = nil, nil // Atomic may run fn again
		if _, err := s.get(ctx, db, orgID, groupID); err != nil {
			return err
		}
		if len(ids) > 0 {
			var foreign string
			err := db.QueryRow(ctx, q.foreign, orgID, list).Scan(&foreign)
			switch {
			case err == nil:
				return directory.FieldErrorf(directory.CodeInvalid, "members", "%q is not a user of the organization", foreign)
			case !noRows(err):
				return err
			}
		}
		gone, err := collect(ctx, db, q.remove, groupID, orgID, list)
		if err != nil {
			return err
		}
		removed = slices.Sorted(maps.Keys(gone))
		if len(ids) == 0 {
			return nil
		}
		inserted, err := collect(ctx, db, q.insert, groupID, orgID, list)
		if err != nil {
			return err
		}
		added = inOrder(ids, inserted)
		return nil
	})
	if err != nil {
		return nil, nil, s.r.fail(err)
	}
	return added, removed, nil
}
