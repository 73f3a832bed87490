package sqlstore

import (
	"slices"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// The users table's statements are built once, here, from one column list.
// Its middle comes from the attribute catalogue: every plain text attribute
// held in a column of its own (given_name, title, cost_center …), so that a
// new one needs its migration and no edit of the store. insertUser and
// updateUser, with 11 such columns, read:
//
//	INSERT INTO users (id, org_id, user_name, user_name_lower, source, source_ref,
//		email, email_lower, manager_id, given_name, family_name, …, department,
//		profile, properties, role, role_set_by, auth_method, status, status_reason,
//		status_set_by, status_set_by_id, status_changed_at, status_before_delete,
//		status_before_delete_set_by, password_hash, failed_logins, last_login_at,
//		activated_at, locked_until, updated_at, deleted_at, has_grants, created_at, version)
//	VALUES ($1, (SELECT o.id FROM organizations o WHERE o.id = $2), $3, …, $41)
//
//	UPDATE users SET user_name = $3, …, has_grants = $39, version = $40
//	WHERE id = $1 AND org_id = $2 AND version = $41

// textAttributes are the catalogue's plain text attributes held in a users
// column as they are (not folded: userName and email keep a lower-cased
// shadow column, written below by hand), in catalogue order.
var textAttributes = func() []*directory.Attribute {
	var out []*directory.Attribute
	for _, a := range directory.UserAttributes() {
		if a.Text != nil && a.Column != "" && !a.Folded {
			out = append(out, a)
		}
	}
	return out
}()

// Columns of the users table around the catalogue's text columns.
var (
	userHeadColumns = []string{"id", "org_id", "user_name", "user_name_lower", "source", "source_ref",
		"email", "email_lower", "manager_id"}
	userTailColumns = []string{"profile", "properties", "role", "role_set_by", "auth_method",
		"status", "status_reason", "status_set_by", "status_set_by_id", "status_changed_at",
		"status_before_delete", "status_before_delete_set_by",
		"password_hash", "failed_logins", "last_login_at", "activated_at", "locked_until",
		"updated_at", "deleted_at", "has_grants", "created_at", "version"}
)

// userInsertColumns are insertUser's columns, in the order of userArgs
// followed by created_at and version.
var userInsertColumns = slices.Concat(userHeadColumns, textColumns(""), userTailColumns)

// textColumns lists the catalogue's text columns, each prefixed.
func textColumns(prefix string) []string {
	out := make([]string, len(textAttributes))
	for i, a := range textAttributes {
		out[i] = prefix + a.Column
	}
	return out
}

// userColumns is the select list of users u, in the order of userRow.dest;
// Repos adds the emails.
var userColumns = strings.Join(slices.Concat(
	[]string{"u.id", "u.org_id", "u.user_name", "u.source", "u.source_ref", "u.email", "u.manager_id"},
	textColumns("u."),
	[]string{"u.profile", "u.properties", "u.role", "u.role_set_by", "u.auth_method",
		"u.status", "u.status_reason", "u.status_set_by", "u.status_set_by_id", "u.status_changed_at",
		"u.status_before_delete", "u.status_before_delete_set_by",
		"u.password_hash", "u.failed_logins", "u.last_login_at", "u.activated_at", "u.locked_until",
		"u.created_at", "u.updated_at", "u.deleted_at", "u.version"},
), ", ")

// insertUser writes one user. Its organization id is read from the
// organization's row, so that a user of an organization that does not
// exist fails on org_id NOT NULL (see Repos.fail) without the foreign key's
// row lock, and without a round trip to read the organization first.
var insertUser = "INSERT INTO users (" + strings.Join(userInsertColumns, ", ") + ")\n" +
	"VALUES ($1, (SELECT o.id FROM organizations o WHERE o.id = $2), " +
	sqlbuild.Placeholders(3, len(userInsertColumns)-2) + ")"

// userArgCount is how many values userArgs gives: every column but
// created_at and version.
var userArgCount = len(userInsertColumns) - 2

// updateUser writes userArgs, then the new version and the version read.
var updateUser = func() string {
	set := make([]string, 0, userArgCount)
	for i, c := range userInsertColumns[2:userArgCount] {
		set = append(set, c+" = $"+strconv.Itoa(i+3))
	}
	set = append(set, "version = $"+strconv.Itoa(userArgCount+1))
	return "UPDATE users SET " + strings.Join(set, ", ") +
		"\nWHERE id = $1 AND org_id = $2 AND version = $" + strconv.Itoa(userArgCount+2)
}()

// upsertUserTail turns a multi-row insert of existing users into a
// versioned update of each: a row whose stored version is not the one
// before the new is skipped, and UpdateUsers counts the rows written. It
// is an upsert rather than UPDATE … FROM (VALUES …) because inserted
// values take the columns' types in both dialects, where a VALUES list
// would need a cast per column in PostgreSQL. Only users read in the same
// transaction are written this way, so the insert branch never runs.
var upsertUserTail = func() string {
	var set []string
	for _, c := range userInsertColumns[2:] {
		if c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return "ON CONFLICT (id) DO UPDATE SET " + strings.Join(set, ", ") +
		"\nWHERE users.org_id = excluded.org_id AND users.version = excluded.version - 1"
}()
