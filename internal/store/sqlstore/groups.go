package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const insertGroup = `INSERT INTO groups (id, org_id, display_name, display_name_lower, external_id,
	source, source_ref, updated_at, version, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

const (
	selectGroupVersion = `SELECT version FROM groups WHERE org_id = $1 AND id = $2`
	deleteGroupMembers = `DELETE FROM group_members WHERE org_id = $1 AND group_id = $2`
	deleteGroup        = `DELETE FROM groups WHERE org_id = $1 AND id = $2`
	// selectMembers leaves soft-deleted users out: their memberships stay,
	// so that a restore brings them back, but a deleted user is no one's
	// member meanwhile. "u.id > $3" says again what the join implies, so
	// that PostgreSQL's merge join starts the users' primary key at the
	// page too: without it, each page of a group of 100,000 read the users
	// from the first id on (17 ms a page in the middle of the group, 3 ms
	// with it).
	selectMembers = `SELECT gm.user_id, u.display_name, u.user_name
FROM group_members gm JOIN users u ON u.id = gm.user_id
WHERE gm.group_id = $1 AND gm.org_id = $2 AND gm.user_id > $3 AND u.id > $3 AND u.status <> 'deleted'
ORDER BY gm.user_id
LIMIT $4`
)

// Membership statements take a list of user ids; %s is the dialect's test
// of membership in it (sqlbuild.Dialect.In).
const (
	// selectLiveUsers finds the group $2 of organization $1 (no row: no
	// such group) and those of the users listed that are live users of
	// the organization ('' when none is), in one round trip.
	selectLiveUsers = `SELECT COALESCE(u.id, '') FROM groups g
LEFT JOIN users u ON u.org_id = g.org_id AND u.status <> 'deleted' AND %s
WHERE g.org_id = $1 AND g.id = $2`
	// insertMembers adds the listed live users of organization $2 to its
	// group $1, if it has that group. Inserting in id order makes
	// concurrent additions to one group take row locks in the same order,
	// so that they cannot deadlock.
	insertMembers = `INSERT INTO group_members (group_id, user_id, org_id)
SELECT $1, u.id, u.org_id FROM users u
WHERE u.org_id = $2 AND u.status <> 'deleted' AND %s
	AND EXISTS (SELECT 1 FROM groups g WHERE g.org_id = $2 AND g.id = $1)
ORDER BY u.id
ON CONFLICT DO NOTHING
RETURNING user_id`
	deleteMembers = `DELETE FROM group_members WHERE group_id = $1 AND org_id = $2 AND %s
RETURNING user_id`
)

type groupStore struct{ r *Repos }

// groupArgs returns the arguments $1…$8 of insertGroup and updateGroup.
func groupArgs(d sqlbuild.Dialect, g *directory.Group) []any {
	return []any{
		g.ID, g.OrgID, g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID,
		string(g.Source), g.SourceRef, d.Time(g.UpdatedAt),
	}
}

// CreateGroup implements directory.GroupStore.
func (s groupStore) CreateGroup(ctx context.Context, g *directory.Group) error {
	setID(&g.ID)
	g.CreatedAt, g.UpdatedAt = sqlbuild.UTCMicro(g.CreatedAt), sqlbuild.UTCMicro(g.UpdatedAt)
	if g.Version < 1 {
		g.Version = 1
	}
	d := s.r.c.Dialect
	args := append(groupArgs(d, g), g.Version, d.Time(g.CreatedAt))
	_, err := s.r.c.Write.Exec(ctx, insertGroup, args...)
	return s.r.fail(err)
}

// GetGroup implements directory.GroupStore.
func (s groupStore) GetGroup(ctx context.Context, orgID, id string) (*directory.Group, error) {
	return s.get(ctx, s.r.c.Read, orgID, id)
}

func (s groupStore) get(ctx context.Context, db DB, orgID, id string) (*directory.Group, error) {
	var g directory.Group
	if err := db.QueryRow(ctx, s.r.q.group.selectGroup, orgID, id).Scan(append(groupDest(&g), &g.SeatLimited)...); err != nil {
		if noRows(err) {
			return nil, notFound("group")
		}
		return nil, s.r.fail(err)
	}
	return &g, nil
}

// UpdateGroup implements directory.GroupStore. g.Version is the version
// read, changes not folded yet included (see groupQueries); the update
// folds them.
func (s groupStore) UpdateGroup(ctx context.Context, g *directory.Group, now time.Time) error {
	next := *g
	next.UpdatedAt = sqlbuild.UTCMicro(now)
	next.Version = g.Version + 1
	args := append(groupArgs(s.r.c.Dialect, &next), next.Version, g.Version)
	err := s.r.c.Atomic(ctx, func(db DB) error {
		n, err := db.Exec(ctx, s.r.q.group.update, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			// An error, so that the transaction rolls back what the
			// statement folded on PostgreSQL.
			return staleOrMissing(ctx, db, "group", selectGroupVersion, g.OrgID, g.ID)
		}
		if s.r.c.Dialect == sqlbuild.SQLite {
			_, err = db.Exec(ctx, s.r.q.group.deleteFolded, g.OrgID, g.ID)
		}
		return err
	})
	if err != nil {
		return s.r.fail(err)
	}
	g.UpdatedAt, g.Version = next.UpdatedAt, next.Version
	return nil
}

// DeleteGroup implements directory.GroupStore.
func (s groupStore) DeleteGroup(ctx context.Context, orgID, id string) error {
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := s.get(ctx, db, orgID, id); err != nil {
			return err
		}
		// Its changes not folded yet first, as a membership change
		// folds them (these rows, then the group's): in the same order,
		// the two cannot deadlock. Then the group's row: its lock waits
		// for a membership change in flight (which bumps the version),
		// so that the members deleted next include that change's.
		// PostgreSQL keeps no foreign key from members to groups
		// (migration 0042); SQLite's cascades, and the delete below does
		// not depend on it.
		if _, err := db.Exec(ctx, s.r.q.group.deleteFolded, orgID, id); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, deleteGroup, orgID, id); err != nil {
			return err
		}
		_, err := db.Exec(ctx, deleteGroupMembers, orgID, id)
		return err
	}))
}

// ListGroups implements directory.GroupStore.
func (s groupStore) ListGroups(ctx context.Context, orgID string, q directory.GroupQuery) (*directory.GroupPage, error) {
	l := listing{
		table:   sqlbuild.Groups,
		columns: s.r.q.group.columns,
		from:    "groups g",
		id:      "g.id",
		args:    sqlbuild.Args{orgID},
		where:   []string{"g.org_id = $1"},
		filter:  q.Filter, sort: q.Sort, offset: q.Offset, after: q.After, afterOffset: q.AfterOffset, limit: q.Limit, count: q.CountTotal, cursorOnly: q.CursorOnly,
	}
	page := &directory.GroupPage{}
	var err error
	page.Next, page.Total, err = s.r.list(ctx, l, func(rows Rows, key []any) (string, error) {
		var g directory.Group
		if err := rows.Scan(append(groupDest(&g), key...)...); err != nil {
			return "", err
		}
		page.Groups = append(page.Groups, &g)
		return g.ID, nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// AddMembers implements directory.GroupStore. It reads and writes only the
// rows of the users named. It inserts first and checks after, when not every
// user was added: an addition of new members, the usual case, is one
// statement.
func (s groupStore) AddMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	ids := unique(userIDs)
	list := s.r.c.Dialect.List(ids)
	var added []string
	err := s.r.c.Atomic(ctx, func(db DB) error {
		added = nil // Atomic may run fn again
		if len(ids) == 0 {
			_, err := s.get(ctx, db, orgID, groupID)
			return err
		}
		inserted, err := collect(ctx, db, s.r.q.insertMembers, groupID, orgID, list)
		if err != nil {
			return err
		}
		added = inOrder(ids, inserted)
		if len(added) == len(ids) {
			// Every user was added, so the group is the organization's and
			// they are its live users: one round trip.
			return nil
		}
		// Some were not added: already members, or not live users.
		live, err := collect(ctx, db, s.r.q.liveUsers, orgID, groupID, list)
		if err != nil {
			return err
		}
		if len(live) == 0 {
			return notFound("group") // and so nothing was added
		}
		delete(live, "") // the group's row when no user is live
		for _, id := range ids {
			if !live[id] {
				// Nothing is added, even for a caller that goes on with
				// the transaction.
				if len(added) > 0 {
					if _, err := db.Exec(ctx, s.r.q.deleteMembers, groupID, orgID, s.r.c.Dialect.List(added)); err != nil {
						return err
					}
				}
				added = nil
				return directory.FieldErrorf(directory.CodeInvalid, "members", "%q is not a user of the organization", id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.r.fail(err)
	}
	return added, nil
}

// RemoveMembers implements directory.GroupStore.
func (s groupStore) RemoveMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	ids := unique(userIDs)
	var removed []string
	err := s.r.c.Atomic(ctx, func(db DB) error {
		removed = nil
		if len(ids) > 0 {
			deleted, err := collect(ctx, db, s.r.q.deleteMembers, groupID, orgID, s.r.c.Dialect.List(ids))
			if err != nil {
				return err
			}
			removed = inOrder(ids, deleted)
			if len(deleted) > 0 {
				// Members were removed, so the group exists.
				return nil
			}
		}
		_, err := s.get(ctx, db, orgID, groupID)
		return err
	})
	if err != nil {
		return nil, s.r.fail(err)
	}
	return removed, nil
}

// ListMembers implements directory.GroupStore. after is the last user id of
// the previous page; Next is the last user id of this one.
func (s groupStore) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) (*directory.MemberPage, error) {
	limit = directory.ClampLimit(limit)
	rows, err := s.r.c.Read.Query(ctx, selectMembers, groupID, orgID, after, limit+1)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	page := &directory.MemberPage{}
	for rows.Next() {
		if len(page.Members) == limit {
			page.Next = page.Members[limit-1].UserID
			break
		}
		var m directory.Member
		var userName string
		if err := rows.Scan(&m.UserID, &m.Display, &userName); err != nil {
			return nil, s.r.fail(err)
		}
		if m.Display == "" {
			m.Display = userName
		}
		page.Members = append(page.Members, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.r.fail(err)
	}
	if len(page.Members) == 0 {
		// An empty page is only an answer if the group exists.
		if _, err := s.get(ctx, s.r.c.Read, orgID, groupID); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// GroupsOfUser implements directory.GroupStore.
func (s groupStore) GroupsOfUser(ctx context.Context, orgID, userID string) ([]*directory.Group, error) {
	rows, err := s.r.c.Read.Query(ctx, s.r.q.group.selectGroupsOfUser, userID, orgID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []*directory.Group
	for rows.Next() {
		var g directory.Group
		if err := rows.Scan(groupDest(&g)...); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, &g)
	}
	if err := rows.Err(); err != nil {
		return nil, s.r.fail(err)
	}
	if len(out) == 0 {
		// No groups is only an answer if the user exists.
		var v int64
		if err := s.r.c.Read.QueryRow(ctx, selectUserVersion, orgID, userID).Scan(&v); err != nil {
			if noRows(err) {
				return nil, notFound("user")
			}
			return nil, s.r.fail(err)
		}
	}
	return out, nil
}

// TouchGroup implements directory.GroupStore. It folds the group's changes
// not folded yet (see groupQueries).
//
// In a transaction that can hold it, the statement travels with the
// commit and g is filled in when the commit is answered: the bump locks
// the group's row, and concurrent membership changes of one group queue
// for that lock, so it must be held for as short a time as can be.
func (s groupStore) TouchGroup(ctx context.Context, orgID, id string, now time.Time) (*directory.Group, error) {
	var g directory.Group
	q := s.r.q.group
	args := []any{orgID, id, s.r.c.Dialect.Time(now)}
	if l, ok := s.r.c.Write.(LaterQuerier); ok && q.touchSwept != "" && l.QueryRowLater(notFound("group"), groupDest(&g), q.touchSwept, args...) {
		return &g, nil
	}
	err := s.r.c.Atomic(ctx, func(db DB) error {
		dest := groupDest(&g)
		var folded int64
		if s.r.c.Dialect == sqlbuild.SQLite {
			dest = append(dest, &folded)
		}
		if err := db.QueryRow(ctx, q.touch, args...).Scan(dest...); err != nil {
			if noRows(err) {
				return notFound("group")
			}
			return err
		}
		if folded > 0 {
			_, err := db.Exec(ctx, q.deleteFolded, orgID, id)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.r.fail(err)
	}
	return &g, nil
}

// TouchGroupsOfUsers implements directory.GroupStore. It writes no group's
// row: it notes a change of each (see groupQueries), so that deletions of
// users of one group do not wait for each other.
func (s groupStore) TouchGroupsOfUsers(ctx context.Context, orgID string, userIDs []string, now time.Time) error {
	ids := unique(userIDs)
	if len(ids) == 0 {
		return nil
	}
	// Nothing reads the result: in a transaction, the statement travels
	// with the commit.
	return s.r.fail(execLater(ctx, s.r.c.Write, s.r.q.group.noteChanges, orgID, s.r.c.Dialect.Time(now), s.r.c.Dialect.List(ids)))
}

func groupDest(g *directory.Group) []any {
	return []any{
		&g.ID, &g.OrgID, &g.DisplayName, &g.ExternalID, &g.Source, &g.SourceRef,
		sqlbuild.ScanTime(&g.CreatedAt), sqlbuild.ScanTime(&g.UpdatedAt), &g.Version,
	}
}

// collect runs a query returning one text column and returns its values.
func collect(ctx context.Context, db DB, query string, args ...any) (map[string]bool, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// inOrder returns the ids that are in set, in the order of ids.
func inOrder(ids []string, set map[string]bool) []string {
	out := []string{}
	for _, id := range ids {
		if set[id] {
			out = append(out, id)
		}
	}
	return out
}
