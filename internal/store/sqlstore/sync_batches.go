package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// syncUsersHead is insertUser up to its VALUES: the column list whose
// order userArgs follows.
func syncUsersHead() string {
	head, _, _ := strings.Cut(insertUser, "VALUES")
	return head + "VALUES "
}

const (
	selectMemberIDs = `SELECT user_id FROM group_members WHERE org_id = $1 AND group_id = $2 ORDER BY user_id`
	// selectLiveUserIDs is completed with a test of id against the list $2.
	selectLiveUserIDs = `SELECT id FROM users WHERE org_id = $1 AND status <> 'deleted' AND `
)

type syncBatchStore struct{ r *Repos }

// GetUsers implements directory.SyncBatchStore.
func (s syncBatchStore) GetUsers(ctx context.Context, orgID string, ids []string) ([]*directory.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	d := s.r.c.Dialect
	rows, err := s.r.c.Read.Query(ctx, s.r.q.selectUser+" WHERE u.org_id = $1 AND "+d.In("u.id", "$2"), orgID, d.List(unique(ids)))
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*userRow).user)
	return out, s.r.fail(err)
}

// UpdateUsers implements directory.SyncBatchStore.
func (s syncBatchStore) UpdateUsers(ctx context.Context, users []*directory.User, now time.Time) error {
	if len(users) == 0 {
		return nil
	}
	d := s.r.c.Dialect
	rows := make([][]any, len(users))
	ids := make([]string, len(users))
	seen := make(map[string]bool, len(users))
	for i, u := range users {
		if seen[u.ID] {
			// One statement may not change a row twice.
			return directory.Internal(fmt.Errorf("UpdateUsers: user %s given twice", u.ID))
		}
		seen[u.ID] = true
		roundTimes(u)
		next := *u
		next.UpdatedAt = sqlbuild.UTCMicro(now)
		next.Version = u.Version + 1
		args, err := userInsertArgs(d, &next, next.Version)
		if err != nil {
			return directory.Internal(err)
		}
		rows[i] = args
		ids[i] = u.ID
	}
	err := s.r.c.Atomic(ctx, func(db DB) error {
		n, err := insertRows(ctx, db, d, syncUsersHead(), upsertUserTail, rows)
		if err != nil {
			return err
		}
		if n != int64(len(users)) {
			return directory.ErrStale
		}
		// Emails are few (at most 20 a user); rewriting them is simpler
		// than a diff.
		if _, err := db.Exec(ctx, "DELETE FROM user_emails WHERE "+d.In("user_id", "$1"), d.List(ids)); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "DELETE FROM user_grants WHERE "+d.In("user_id", "$1"), d.List(ids)); err != nil {
			return err
		}
		if err := insertEmailsOf(ctx, db, d, users); err != nil {
			return err
		}
		for _, u := range users {
			if err := insertGrants(ctx, db, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.r.fail(err)
	}
	for _, u := range users {
		u.UpdatedAt, u.Version = sqlbuild.UTCMicro(now), u.Version+1
	}
	return nil
}

// LiveUserIDs implements directory.SyncBatchStore.
func (s syncBatchStore) LiveUserIDs(ctx context.Context, orgID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = unique(ids)
	d := s.r.c.Dialect
	live, err := collect(ctx, s.r.c.Read, selectLiveUserIDs+d.In("id", "$2"), orgID, d.List(ids))
	if err != nil {
		return nil, s.r.fail(err)
	}
	return inOrder(ids, live), nil
}

// GroupMemberIDs implements directory.SyncBatchStore.
func (s syncBatchStore) GroupMemberIDs(ctx context.Context, orgID, groupID string) ([]string, error) {
	rows, err := s.r.c.Read.Query(ctx, selectMemberIDs, orgID, groupID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, id)
	}
	return out, s.r.fail(rows.Err())
}
