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
		out["role"] = Change{After: roleBoxes.Box(u.Role)}
	}
	if u.RoleFromMapping {
		out["roleFromMapping"] = Change{After: u.RoleFromMapping}
	}
	if u.AuthMethod != "" {
		out["authMethod"] = Change{After: authMethodBoxes.Box(u.AuthMethod)}
	}
	if u.Status != "" {
		out["status"] = Change{After: statusBoxes.Box(u.Status)}
	}
	text("statusReason", u.StatusReason)
	if u.Source != "" {
		out["source"] = Change{After: sourceBoxes.Box(u.Source)}
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

// The enumerations a created user's changes hold, boxed once (every
// created user's changes hold four of them).
var (
	roleBoxes       = NewEnumBoxes(Roles...)
	authMethodBoxes = NewEnumBoxes(AuthMethods...)
	statusBoxes     = NewEnumBoxes(Statuses...)
	sourceBoxes     = NewEnumBoxes(Sources...)
)
