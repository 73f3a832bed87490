package directory

import "strings"

// createdFields is diffFields(nil, userAuditFields(u)), the changes of a
// user's creation: every field that is set. It builds them without the
// intermediate map, boxing only the values it keeps, as a directory's
// first sync creates a user (and its event) per entry.
// TestCreatedFieldsIsDiffFields holds the two to the same result.
func createdFields(u *User) map[string]Change {
	out := make(map[string]Change, 16)
	text := func(k, v string) {
		if v != "" {
			out[k] = Change{After: v}
		}
	}
	text("sourceRef", u.SourceRef)
	if len(u.Emails) > 0 {
		out["emails"] = Change{After: u.Emails}
	}
	if len(u.Roles) > 0 {
		out["roles"] = Change{After: u.Roles}
	}
	if len(u.Entitlements) > 0 {
		out["entitlements"] = Change{After: u.Entitlements}
	}
	if !isZero(u.Enterprise) {
		out["enterprise"] = Change{After: u.Enterprise}
	}
	if !isZero(u.Profile) {
		out["profile"] = Change{After: u.Profile}
	}
	if u.Role != "" {
		out["role"] = Change{After: roleBoxes.box(u.Role)}
	}
	if u.RoleFromMapping {
		out["roleFromMapping"] = Change{After: u.RoleFromMapping}
	}
	if u.AuthMethod != "" {
		out["authMethod"] = Change{After: authMethodBoxes.box(u.AuthMethod)}
	}
	if u.Status != "" {
		out["status"] = Change{After: statusBoxes.box(u.Status)}
	}
	text("statusReason", u.StatusReason)
	if u.Source != "" {
		out["source"] = Change{After: sourceBoxes.box(u.Source)}
	}
	for _, a := range userAttributes {
		if a.Text != nil && !strings.HasPrefix(string(a.Name), enterprisePrefix) {
			text(string(a.Name), *a.Text(u))
		}
	}
	for k, v := range u.Properties {
		if !isZero(v) {
			out["properties."+k] = Change{After: v}
		}
	}
	return out
}

// enumBoxes holds an enumeration's values boxed once: a value put in an
// any allocates, and every created user's changes hold four of them.
type enumBoxes[T ~string] map[T]any

func newEnumBoxes[T ~string](values ...T) enumBoxes[T] {
	b := make(enumBoxes[T], len(values))
	for _, v := range values {
		b[v] = v
	}
	return b
}

// box returns v as an any, from b if it is there.
func (b enumBoxes[T]) box(v T) any {
	if a, ok := b[v]; ok {
		return a
	}
	return v
}

var (
	roleBoxes       = newEnumBoxes(RoleOrgAdmin, RoleOrgViewer, RoleBillingAdmin, RoleUser)
	authMethodBoxes = newEnumBoxes(AuthLocal, AuthSSO)
	statusBoxes     = newEnumBoxes(StatusPending, StatusActive, StatusLocked, StatusSuspended, StatusInactive, StatusDeleted)
	sourceBoxes     = newEnumBoxes(SourceLocal, SourceImport, SourceSCIM, SourceLDAP, SourceEntra)
)
