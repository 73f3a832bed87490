package ldap

import (
	"context"
	"fmt"
	"strings"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/sync/engine"
)

// present reads the reference alone of every entry under base matching
// filter and emits each as present (kind), so that the engine learns which
// linked objects are gone or out of scope without reading their
// attributes: one small attribute per entry, streamed page by page.
func (k *Connector) present(ctx context.Context, s *session, p profile, base, filter string, kind engine.EntryKind, emit func(engine.Entry) error) error {
	return s.search(ctx, base, filter, []string{p.refAttr}, func(e *ldapv3.Entry) error {
		ref, err := reference(p, e)
		if err != nil {
			return err
		}
		return emit(engine.Entry{Kind: kind, Ref: ref})
	})
}

// showDeleted is Active Directory's LDAP_SERVER_SHOW_DELETED_OID
// (1.2.840.113556.1.4.417), with which a search also returns tombstones,
// the deleted objects AD keeps (isDeleted=TRUE, objectGUID kept) in the
// Deleted Objects container. Roster sends it critical, so that a server
// that does not know it refuses the search rather than answering without
// tombstones; it has no value.
func showDeleted() ldapv3.Control {
	return ldapv3.NewControlString(ldapv3.ControlTypeMicrosoftShowDeleted, true, "")
}

// deletedFilter matches the tombstones of users and groups changed after
// usn (their deletion stamps uSNChanged). Tombstones keep objectClass but
// lose objectCategory, so the profile's filters do not apply.
func deletedFilter(usn int64) string {
	return fmt.Sprintf("(&(isDeleted=TRUE)(uSNChanged>=%d)(|(objectClass=user)(objectClass=group)))", usn+1)
}

// fetchDeleted reads the tombstones of objects deleted since usn under the
// domain's naming context: it emits a removal for each user and returns
// the refs of deleted groups, which are emitted after the groups. Refs
// Roster does not link are ignored by the engine.
func (k *Connector) fetchDeleted(ctx context.Context, s *session, p profile, usn int64, emit func(engine.Entry) error) ([]string, error) {
	dse, err := s.rootDSE("defaultNamingContext")
	if err != nil {
		return nil, err
	}
	base := dse.GetAttributeValue("defaultNamingContext")
	if base == "" {
		return nil, fmt.Errorf("ldap: the root DSE has no defaultNamingContext to read deleted objects from")
	}
	var groups []string
	err = s.search(ctx, base, deletedFilter(usn), []string{p.refAttr, "objectClass", "isDeleted"}, func(e *ldapv3.Entry) error {
		if !strings.EqualFold(e.GetEqualFoldAttributeValue("isDeleted"), "TRUE") {
			return nil
		}
		ref, err := reference(p, e)
		if err != nil {
			return err
		}
		classes, err := s.values(e, "objectClass", showDeleted())
		if err != nil {
			return err
		}
		switch tombstoneKind(classes) {
		case engine.EntryGroupRemoved:
			groups = append(groups, ref)
			return nil
		case engine.EntryUserRemoved:
			return emit(engine.Entry{Kind: engine.EntryUserRemoved, Ref: ref, Reason: engine.RemovedDeleted})
		}
		return nil
	}, showDeleted())
	if ldapv3.IsErrorWithCode(err, ldapv3.LDAPResultInsufficientAccessRights) ||
		ldapv3.IsErrorWithCode(err, ldapv3.LDAPResultUnavailableCriticalExtension) {
		// An account that may not list deleted objects (or a server
		// without the control) has no tombstones to read: the scan of
		// references still finds the objects that left.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ldap: reading deleted objects (Show Deleted control): %w", err)
	}
	return groups, nil
}

// tombstoneKind says what a tombstone's object classes make it: a group,
// a user (computers are users to AD, not to Roster), or neither (0).
func tombstoneKind(classes []string) engine.EntryKind {
	user := false
	for _, c := range classes {
		switch strings.ToLower(c) {
		case "group":
			return engine.EntryGroupRemoved
		case "computer":
			return 0
		case "user":
			user = true
		}
	}
	if user {
		return engine.EntryUserRemoved
	}
	return 0
}
