package directory

import "context"

// Unlock lifts a user's lock: the status locked after wrong passwords, or
// the temporary lock of an organization's last active org_admin, and the
// count of wrong attempts with it. A user that is neither is CodeInvalid.
// passwordHash, when not empty, replaces a local user's password in the
// same change (its sessions then end, as with any new password). It is
// audited as user.unlock.
func (s *Service) Unlock(ctx context.Context, actor Actor, orgID, id, reason, passwordHash string) (*User, error) {
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := liveUserForUpdate(ctx, r, orgID, id, 0)
			if err != nil {
				return err
			}
			next := cur.Clone()
			if passwordHash != "" {
				if cur.AuthMethod != AuthLocal {
					return Errorf(CodeInvalid, "this user signs in through single sign-on and has no password")
				}
				next.PasswordHash = passwordHash
			}
			switch {
			case cur.Status == StatusLocked:
				if err := CheckTransition(cur, StatusActive, actor.StatusAuthority()); err != nil {
					return err
				}
				s.stampStatus(actor, next, StatusActive, reason)
			case cur.Status == StatusActive && cur.LockedUntil != nil:
				next.FailedLogins, next.LockedUntil = 0, nil
			default:
				return Errorf(CodeInvalid, "the user is not locked (it is %s)", cur.Status)
			}
			return s.writeUser(ctx, r, actor, "user.unlock", cur, next, &out)
		})
	})
	return out, err
}

// SetPassword gives a local user a new password hash (checked against the
// policy and hashed by the caller): the operator's reset. A pending user
// becomes active and a locked one is unlocked, its wrong attempts
// forgotten; any other status stays (a password lifts no ban). Every
// session and personal API token of the user ends. It is audited as
// user.password.reset.
func (s *Service) SetPassword(ctx context.Context, actor Actor, orgID, id, hash string) (*User, error) {
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := liveUserForUpdate(ctx, r, orgID, id, 0)
			if err != nil {
				return err
			}
			if cur.AuthMethod != AuthLocal {
				return Errorf(CodeInvalid, "this user signs in through single sign-on and has no password")
			}
			next := cur.Clone()
			next.PasswordHash, next.FailedLogins, next.LockedUntil = hash, 0, nil
			switch cur.Status {
			case StatusPending:
				s.stampStatus(actor, next, StatusActive, "password set by "+string(actor.StatusAuthority()))
			case StatusLocked:
				if err := CheckTransition(cur, StatusActive, actor.StatusAuthority()); err != nil {
					return err
				}
				s.stampStatus(actor, next, StatusActive, "unlocked with a new password")
			}
			s.users.drop(orgID, id)
			if err := r.Users().UpdateUser(ctx, next, s.Now()); err != nil {
				return err
			}
			out = next
			changes := diffFields(userAuditFields(cur), userAuditFields(next))
			changes["password"] = Change{After: "changed"}
			if err := s.audit(ctx, r, actor, orgID, "user.password.reset", "user", id, changes); err != nil {
				return err
			}
			return s.endSessions(ctx, r, actor, cur, next)
		})
	})
	return out, err
}
