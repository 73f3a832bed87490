package sqlite

import (
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// uniqueIndex names the unique index that err violates, as the migrations
// name it (and as PostgreSQL reports it). SQLite reports the columns, not
// the index.
func uniqueIndex(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) || (e.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && e.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return ""
	}
	_, cols, ok := strings.Cut(e.Error(), "UNIQUE constraint failed: ")
	if !ok {
		return "unknown"
	}
	cols, _, _ = strings.Cut(cols, " (")
	switch cols {
	case "organizations.id":
		return "organizations_pkey"
	case "organizations.slug":
		return "organizations_slug_key"
	case "org_domains.org_id, org_domains.domain":
		return "org_domains_pkey"
	case "org_domains.domain":
		return "org_domains_verified_key"
	case "org_domains.org_id":
		return "org_domains_primary_key"
	case "users.id":
		return "users_pkey"
	case "passkeys.credential_id":
		return "passkeys_credential_id_key"
	case "users.org_id, users.user_name_lower":
		return "users_org_user_name_key"
	case "users.org_id, users.email_lower":
		return "users_org_email_key"
	case "groups.id":
		return "groups_pkey"
	case "groups.org_id, groups.display_name_lower":
		return "groups_display_name_key"
	case "tokens.id":
		return "tokens_pkey"
	case "audit_events.id":
		return "audit_events_pkey"
	case "sync_connectors.id":
		return "sync_connectors_pkey"
	case "sync_connectors.org_id, sync_connectors.name_lower":
		return "sync_connectors_name_key"
	case "sync_runs.id":
		return "sync_runs_pkey"
	case "sync_links.kind, sync_links.object_id":
		return "sync_links_object_key"
	case "services.id":
		return "services_pkey"
	case "services.org_id, services.key":
		return "services_key_key"
	}
	return cols
}

// notNullColumn names the "table.column" whose NOT NULL constraint err
// violates, as SQLite reports it.
func notNullColumn(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) || e.Code() != sqlite3.SQLITE_CONSTRAINT_NOTNULL {
		return ""
	}
	_, col, ok := strings.Cut(e.Error(), "NOT NULL constraint failed: ")
	if !ok {
		return ""
	}
	col, _, _ = strings.Cut(col, " (")
	return col
}
