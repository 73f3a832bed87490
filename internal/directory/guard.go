package directory

import (
	"context"
	"errors"
	"strings"
)

// IsAdminRole reports whether r is an admin role: any role above user.
// org_admin may do everything, org_viewer may read everything, and
// billing_admin may read usage: an identity provider must not gain any of
// them by taking over the account (see checkSCIMWrite).
func (r Role) IsAdminRole() bool {
	return r == RoleOrgAdmin || r == RoleOrgViewer || r == RoleBillingAdmin
}

// refusal is a write the service refused to an actor for the sake of an
// admin account. The refusal itself is audited, outside the transaction
// that was rolled back (see auditRefusal).
type refusal struct {
	err *Error
	// what names what was refused, for the audit entry.
	what string
}

func (e *refusal) Error() string { return e.err.Error() }
func (e *refusal) Unwrap() error { return e.err }

func refuse(what, format string, args ...any) error {
	return &refusal{err: Errorf(CodeForbidden, format, args...), what: what}
}

// auditRefusal writes an audit entry for a write refused by refuse, in a
// transaction of its own (the write's was rolled back), and returns err.
// Any other error is returned as it is.
func (s *Service) auditRefusal(ctx context.Context, actor Actor, orgID, userID string, err error) error {
	var ref *refusal
	if !errors.As(err, &ref) {
		return err
	}
	if aerr := s.store.InTx(ctx, func(r Repos) error {
		return s.audit(ctx, r, actor, orgID, "user.write.refused", "user", userID,
			map[string]Change{"refused": {After: ref.what}})
	}); aerr != nil {
		return aerr
	}
	return err
}

// checkSCIMWrite holds a SCIM client (actor kind token) to the rules that
// keep an identity provider from taking over an admin account, cur being
// the user before the write (nil for a create) and next after it:
//
//   - it cannot set the password, the login email or the userName of a
//     user who holds an admin role, nor create one with a password;
//   - its role mappings cannot raise to an admin role a user who signs in
//     with a password, which the client may have set (an org_admin grants
//     that role by hand);
//   - it cannot suspend or demote the last active org_admin.
//
// Other actors are not checked here.
func checkSCIMWrite(ctx context.Context, r Repos, actor Actor, cur, next *User) error {
	if actor.Kind != ActorToken {
		return nil
	}
	if cur == nil {
		if next.Role.IsAdminRole() && next.PasswordHash != "" {
			return refuse("password", "a user given the %s role by a role mapping cannot be created with a password over SCIM; an org_admin sets it", next.Role)
		}
		return nil
	}
	if cur.Role.IsAdminRole() || next.Role.IsAdminRole() {
		held := cur.Role
		if !held.IsAdminRole() {
			held = next.Role
		}
		switch {
		case cur.PasswordHash != next.PasswordHash:
			return refuse("password", "the user holds the %s role: SCIM cannot set its password; an org_admin can", held)
		case userNameKey(cur.UserName) != userNameKey(next.UserName):
			return refuse("userName", "the user holds the %s role: SCIM cannot change its userName; an org_admin can", held)
		case !strings.EqualFold(cur.Email, next.Email):
			return refuse("email", "the user holds the %s role: SCIM cannot change its login email; an org_admin can", held)
		}
	}
	if !cur.Role.IsAdminRole() && next.Role.IsAdminRole() && next.AuthMethod == AuthLocal && next.PasswordHash != "" {
		return refuse("role", "a role mapping cannot give the %s role to a user who signs in with a password; an org_admin grants it", next.Role)
	}
	if isActiveOrgAdmin(cur) && !isActiveOrgAdmin(next) {
		return checkNotLastOrgAdmin(ctx, r, cur)
	}
	return nil
}

// isActiveOrgAdmin reports whether u is an org_admin that may sign in.
func isActiveOrgAdmin(u *User) bool {
	return u.Role == RoleOrgAdmin && u.Status == StatusActive && !u.Deleted()
}

// checkNotLastOrgAdmin refuses to a SCIM client a change that takes u, an
// active org_admin, out of that role or status when no other active
// org_admin would be left.
func checkNotLastOrgAdmin(ctx context.Context, r Repos, u *User) error {
	last, err := lastOrgAdmin(ctx, r, u)
	if err != nil || !last {
		return err
	}
	return refuse("last org_admin", "the user is the organization's last active org_admin: SCIM cannot suspend, delete or demote it")
}

// lastOrgAdmin reports whether u is an active org_admin with no other
// active org_admin in its organization. Each other admin found is read
// again with its row locked, so that two transactions that each take one
// of two admins away cannot both succeed: the second waits for the first
// and sees its change.
func lastOrgAdmin(ctx context.Context, r Repos, u *User) (bool, error) {
	if !isActiveOrgAdmin(u) {
		return false, nil
	}
	page, err := r.Users().ListUsers(ctx, u.OrgID, UserQuery{
		Filter: And{Eq(UserRole, string(RoleOrgAdmin)), Eq(UserStatus, string(StatusActive)), Compare{Attr: UserID, Op: OpNe, Value: u.ID}},
		Limit:  otherAdminsChecked,
	})
	if err != nil {
		return false, err
	}
	for _, other := range page.Users {
		locked, err := r.Users().GetUserForUpdate(ctx, u.OrgID, other.ID)
		if err != nil {
			return false, err
		}
		if isActiveOrgAdmin(locked) {
			return false, nil
		}
	}
	return true, nil
}

// otherAdminsChecked bounds the other admins lastOrgAdmin reads; one still
// active is enough.
const otherAdminsChecked = 20
