package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// upsertUserTail turns a multi-row insert of existing users into a
// versioned update of each: a row whose stored version is not the one
// before the new is skipped, and UpdateUsers counts the rows written. It
// is an upsert rather than UPDATE … FROM (VALUES …) because inserted
// values take the columns' types in both dialects, where a VALUES list
// would need a cast per column in PostgreSQL. Only users read in the same
// transaction are written this way, so the insert branch never runs.
const upsertUserTail = `ON CONFLICT (id) DO UPDATE SET
	user_name = excluded.user_name, user_name_lower = excluded.user_name_lower,
	external_id = excluded.external_id, source = excluded.source, source_ref = excluded.source_ref,
	given_name = excluded.given_name, family_name = excluded.family_name,
	display_name = excluded.display_name, email = excluded.email, email_lower = excluded.email_lower,
	phone = excluded.phone, title = excluded.title,
	employee_number = excluded.employee_number, cost_center = excluded.cost_center,
	organization = excluded.organization, division = excluded.division,
	department = excluded.department, manager_id = excluded.manager_id,
	profile = excluded.profile, properties = excluded.properties, role = excluded.role,
	auth_method = excluded.auth_method,
	status = excluded.status, status_reason = excluded.status_reason,
	status_set_by = excluded.status_set_by, status_set_by_id = excluded.status_set_by_id,
	status_changed_at = excluded.status_changed_at,
	status_before_delete = excluded.status_before_delete,
	status_before_delete_set_by = excluded.status_before_delete_set_by,
	password_hash = excluded.password_hash, failed_logins = excluded.failed_logins,
	last_login_at = excluded.last_login_at, activated_at = excluded.activated_at,
	updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
	version = excluded.version
WHERE users.org_id = excluded.org_id AND users.version = excluded.version - 1`

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
		args, err := userArgs(d, &next)
		if err != nil {
			return directory.Internal(err)
		}
		rows[i] = append(args, d.Time(u.CreatedAt), next.Version)
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
		for _, u := range users {
			if err := insertEmails(ctx, db, u); err != nil {
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
