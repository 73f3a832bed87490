package directory

import (
	"reflect"
	"strings"
)

// userChanges is userChanges(cur, next),
// the changes an update of a user audits, without building either map: it
// compares the fields in place (through pointers, which reflect.DeepEqual
// compares as it would the values, with no copy) and boxes only those that
// changed. Every SCIM update computes it, and the two maps were the
// largest share of an update's allocations in Roster's own code.
func userChanges(cur, next *User) map[string]Change {
	changes := map[string]Change{}
	same := func(a, b any) bool { return reflect.DeepEqual(a, b) }
	if cur.SourceRef != next.SourceRef {
		changes["sourceRef"] = Change{Before: cur.SourceRef, After: next.SourceRef}
	}
	if !same(&cur.Emails, &next.Emails) {
		changes["emails"] = Change{Before: cur.Emails, After: next.Emails}
	}
	if !same(&cur.Roles, &next.Roles) {
		changes["roles"] = Change{Before: cur.Roles, After: next.Roles}
	}
	if !same(&cur.Entitlements, &next.Entitlements) {
		changes["entitlements"] = Change{Before: cur.Entitlements, After: next.Entitlements}
	}
	if cur.Enterprise != next.Enterprise {
		changes["enterprise"] = Change{Before: cur.Enterprise, After: next.Enterprise}
	}
	if !same(&cur.Profile, &next.Profile) {
		changes["profile"] = Change{Before: cur.Profile, After: next.Profile}
	}
	if cur.Role != next.Role {
		changes["role"] = Change{Before: cur.Role, After: next.Role}
	}
	if cur.RoleFromMapping != next.RoleFromMapping {
		changes["roleFromMapping"] = Change{Before: cur.RoleFromMapping, After: next.RoleFromMapping}
	}
	if cur.AuthMethod != next.AuthMethod {
		changes["authMethod"] = Change{Before: cur.AuthMethod, After: next.AuthMethod}
	}
	if cur.Status != next.Status {
		changes["status"] = Change{Before: cur.Status, After: next.Status}
	}
	if cur.StatusReason != next.StatusReason {
		changes["statusReason"] = Change{Before: cur.StatusReason, After: next.StatusReason}
	}
	if cur.Source != next.Source {
		changes["source"] = Change{Before: cur.Source, After: next.Source}
	}
	if !same(cur.LockedUntil, next.LockedUntil) {
		changes["lockedUntil"] = Change{Before: cur.LockedUntil, After: next.LockedUntil}
	}
	for _, a := range userAttributes {
		if a.Text != nil && !strings.HasPrefix(string(a.Name), enterprisePrefix) {
			if b, n := *a.Text(cur), *a.Text(next); b != n {
				changes[string(a.Name)] = Change{Before: b, After: n}
			}
		}
	}
	for k, n := range next.Properties {
		b, ok := cur.Properties[k]
		switch {
		case ok && reflect.DeepEqual(n, b):
		case !ok && isZero(n):
		default:
			changes["properties."+k] = Change{Before: b, After: n}
		}
	}
	for k, b := range cur.Properties {
		if _, ok := next.Properties[k]; !ok && !isZero(b) {
			changes["properties."+k] = Change{Before: b}
		}
	}
	return changes
}
