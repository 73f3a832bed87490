package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/roster/roster/internal/directory"
)

// fail turns a database error into the domain's: a unique violation is
// CodeConflict (or CodeInvalid) on the attribute its index guards, a domain
// error passes through, and anything else is internal.
func (r *Repos) fail(err error) error {
	if err == nil {
		return nil
	}
	var de *directory.Error
	if errors.As(err, &de) {
		return err
	}
	if r.c.Unavailable != nil && r.c.Unavailable(err) {
		return directory.Unavailable(err)
	}
	if r.c.GuardFailed != nil && r.c.GuardFailed(err) {
		return directory.ErrStale
	}
	if r.c.DomainTaken != nil {
		if domain, ok := r.c.DomainTaken(err); ok {
			e := directory.LoginDomainTaken(domain)
			e.Err = err
			return e
		}
	}
	if r.c.NotNullColumn != nil && r.c.NotNullColumn(err) == "users.org_id" {
		// insertUser found no organization of that id.
		e := directory.Errorf(directory.CodeNotFound, "organization not found")
		e.Err = err
		return e
	}
	if idx := r.c.UniqueIndex(err); idx != "" {
		e := uniqueError(idx)
		e.Err = err
		return e
	}
	return directory.Internal(err)
}

// uniqueError describes a violation of the unique index idx, named as in the
// migrations.
func uniqueError(idx string) *directory.Error {
	switch idx {
	case "users_org_user_name_key":
		return directory.FieldErrorf(directory.CodeConflict, "userName", "userName is already taken in this organization")
	case "users_org_email_key":
		return directory.FieldErrorf(directory.CodeConflict, "email", "another user of this organization has this email")
	case "groups_display_name_key":
		return directory.FieldErrorf(directory.CodeConflict, "displayName", "a group with this displayName already exists")
	case "organizations_slug_key":
		return directory.FieldErrorf(directory.CodeConflict, "slug", "an organization with this slug already exists")
	case "org_domains_pkey":
		return directory.FieldErrorf(directory.CodeInvalid, "domains", "a domain is listed twice")
	case "org_domains_verified_key":
		return directory.FieldErrorf(directory.CodeConflict, "domain", "the domain is verified by another organization")
	case "org_domains_primary_key":
		return directory.FieldErrorf(directory.CodeInvalid, "domains", "exactly one domain must be primary")
	case "sync_connectors_name_key":
		return directory.FieldErrorf(directory.CodeConflict, "name", "a connector with this name already exists")
	case "sync_links_object_key":
		return directory.Errorf(directory.CodeConflict, "the object is managed by another connector")
	case "passkeys_credential_id_key":
		return directory.Errorf(directory.CodeConflict, "this passkey is registered already")
	case "services_key_key":
		return directory.FieldErrorf(directory.CodeConflict, "key", "a service with this key already exists")
	case "organizations_pkey", "users_pkey", "groups_pkey", "tokens_pkey", "audit_events_pkey", "sync_connectors_pkey", "sync_runs_pkey", "services_pkey":
		return directory.FieldErrorf(directory.CodeConflict, "id", "an object with this id already exists")
	}
	return directory.Errorf(directory.CodeConflict, "the object conflicts with an existing one")
}

func notFound(what string) error {
	return directory.Errorf(directory.CodeNotFound, "%s not found", what)
}

// noRows reports whether err says that a query found nothing.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
