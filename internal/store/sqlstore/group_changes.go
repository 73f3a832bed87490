package sqlstore

import (
	"fmt"

	"github.com/roster/roster/internal/store/sqlbuild"
)

// A group's version and lastModified move when its members change, and
// deleting or restoring a user changes the members of every group it is in.
// That change is not written to the groups' rows: concurrent deletions of
// one group's members would queue for the row's lock, each until the one
// before it had committed. It is a row of group_changes instead (migration
// 0075), inserted and never updated, and a group's version is its row's
// plus its rows there, its lastModified the latest of its row's and theirs.
// The next write of the group's row (a membership change, a rename), which
// holds its lock anyway, folds them into it: it adds their count to the
// version and deletes exactly the rows it counted, so that every change
// moves the version once, whatever commits meanwhile.

// groupQueries are the statements of groups whose text depends on the
// dialect.
type groupQueries struct {
	// columns is the select list of groups g (see groupDest), with the
	// version and lastModified of the changes not folded yet.
	columns string
	// selectGroup reads one group; selectGroupsOfUser a user's groups.
	selectGroup, selectGroupsOfUser string
	// update writes a renamed group at the version read ($10), folding
	// the changes; on SQLite, deleteFolded then deletes them.
	update string
	// touch bumps a group's version after a membership change, folding
	// the changes. On SQLite it also returns how many it folded, which
	// deleteFolded then deletes.
	touch string
	// touchSwept is touch held for the commit (see touchGroupSwept),
	// PostgreSQL only.
	touchSwept string
	// deleteFolded deletes a group's changes: on SQLite, after touch or
	// update in the same transaction; on both, before the group goes.
	deleteFolded string
	// noteChanges records a change of the groups of the users listed.
	noteChanges string
}

const (
	// pendingChanges and lastChange are the count and latest time of the
	// changes of group g not folded yet.
	pendingChanges = `(SELECT count(*) FROM group_changes c WHERE c.group_id = g.id)`
	lastChange     = `(SELECT max(c.changed_at) FROM group_changes c WHERE c.group_id = g.id)`

	groupSetColumns = `display_name = $3, display_name_lower = $4, external_id = $5,
	source = $6, source_ref = $7, updated_at = $8, version = $9`
	groupReturning = `RETURNING id, org_id, display_name, external_id, source, source_ref, created_at, updated_at, version`

	// foldChanges deletes the changes of group $2 of organization $1,
	// returning a row for each, for a statement that adds their count to
	// the group's version. PostgreSQL only: SQLite has no DELETE in WITH.
	foldChanges = `folded AS (DELETE FROM group_changes WHERE org_id = $1 AND group_id = $2 RETURNING 1)`
	// foldChangesByID is foldChanges for a statement whose $1 is the
	// group and $2 the organization.
	foldChangesByID = `folded AS (DELETE FROM group_changes WHERE org_id = $2 AND group_id = $1 RETURNING 1)`

	pgTouchGroup = `UPDATE groups SET version = version + 1 + (SELECT count(*) FROM folded), updated_at = $3
WHERE org_id = $1 AND id = $2
` + groupReturning

	// insertGroupChanges notes a change of every group of organization $1
	// that a user listed in $3 belongs to, at $2.
	insertGroupChanges = `INSERT INTO group_changes (group_id, org_id, changed_at)
SELECT d.group_id, $1, $2 FROM (SELECT DISTINCT gm.group_id FROM group_members gm WHERE gm.org_id = $1 AND %s) d`
)

func newGroupQueries(d sqlbuild.Dialect) groupQueries {
	q := groupQueries{
		deleteFolded: `DELETE FROM group_changes WHERE org_id = $1 AND group_id = $2`,
	}
	updatedAt := `max(g.updated_at, COALESCE(` + lastChange + `, g.updated_at))`
	if d == sqlbuild.Postgres {
		updatedAt = `GREATEST(g.updated_at, ` + lastChange + `)`
	}
	q.columns = `g.id, g.org_id, g.display_name, g.external_id, g.source, g.source_ref,
	g.created_at, ` + updatedAt + `, g.version + ` + pendingChanges
	// One group comes with whether a service with a seat limit maps it,
	// which a change adding members must then check: the answer travels
	// with the read instead of a read of the organization's services.
	q.selectGroup = `SELECT ` + q.columns + `, EXISTS (SELECT 1 FROM service_groups sg JOIN services s ON s.id = sg.service_id
	WHERE sg.group_id = g.id AND s.seat_limit IS NOT NULL) FROM groups g WHERE g.org_id = $1 AND g.id = $2`
	q.selectGroupsOfUser = `SELECT ` + q.columns + `
FROM group_members gm JOIN groups g ON g.id = gm.group_id
WHERE gm.user_id = $1 AND gm.org_id = $2
ORDER BY g.display_name_lower, g.id`
	q.noteChanges = fmt.Sprintf(insertGroupChanges, d.In("gm.user_id", "$3"))
	switch d {
	case sqlbuild.Postgres:
		q.update = `WITH ` + foldChangesByID + `
UPDATE groups SET ` + groupSetColumns + `
WHERE id = $1 AND org_id = $2 AND version + (SELECT count(*) FROM folded) = $10`
		q.touch = `WITH ` + foldChanges + `
` + pgTouchGroup
		// When the group was deleted meanwhile (the bump waited for the
		// deletion), the commit would keep the members this transaction
		// added to no group: the statement deletes them when it finds no
		// group to bump.
		q.touchSwept = `WITH ` + foldChanges + `,
touched AS (` + pgTouchGroup + `),
swept AS (DELETE FROM group_members WHERE org_id = $1 AND group_id = $2
	AND NOT EXISTS (SELECT 1 FROM touched))
SELECT * FROM touched`
	default:
		q.update = `UPDATE groups SET ` + groupSetColumns + `
WHERE id = $1 AND org_id = $2 AND version + (SELECT count(*) FROM group_changes c WHERE c.group_id = $1) = $10`
		q.touch = `UPDATE groups SET version = version + 1 + (SELECT count(*) FROM group_changes c WHERE c.group_id = $2), updated_at = $3
WHERE org_id = $1 AND id = $2
` + groupReturning + `, (SELECT count(*) FROM group_changes c WHERE c.group_id = $2)`
	}
	return q
}
