package directory

import "context"

// endSessions ends the sessions a write of a user (cur before, next after,
// in transaction r) leaves untrustworthy, and audits that as
// user.sessions.revoke in the same transaction:
//
//   - a suspension or deletion ends every login and revokes every
//     personal API token;
//   - a new password set by the user itself ends its other logins (the
//     one it acts through stays; its personal tokens stay too);
//   - a new password set by anyone else (an admin's reset or unlock with
//     a new password, the operator, an identity provider) ends every
//     login and revokes every personal API token.
func (s *Service) endSessions(ctx context.Context, r Repos, actor Actor, cur, next *User) error {
	switch {
	case next.Status != cur.Status && (next.Status == StatusSuspended || next.Status == StatusDeleted):
	case cur.PasswordHash != next.PasswordHash:
		if actor.ID == next.ID && actor.SessionID != "" {
			return s.endOtherLogins(ctx, r, actor, next, actor.SessionID)
		}
	default:
		return nil
	}
	return s.endAllSessions(ctx, r, actor, next.OrgID, next.ID)
}

// endAllSessions ends every login of a user and revokes its personal API
// tokens.
func (s *Service) endAllSessions(ctx context.Context, r Repos, actor Actor, orgID, userID string) error {
	n, err := r.Sessions().RevokeUserSessions(ctx, orgID, userID, true, s.Now())
	if err != nil || n == 0 {
		return err
	}
	return s.audit(ctx, r, actor, orgID, "user.sessions.revoke", "user", userID, map[string]Change{"sessions": {Before: n, After: 0}})
}

// endOtherLogins ends every login of u but the session keep.
func (s *Service) endOtherLogins(ctx context.Context, r Repos, actor Actor, u *User, keep string) error {
	now := s.Now()
	live, err := r.Sessions().ListSessions(ctx, u.OrgID, u.ID, SessionLogin, now)
	if err != nil {
		return err
	}
	n := 0
	for _, sess := range live {
		if sess.ID == keep {
			continue
		}
		if err := r.Sessions().RevokeSession(ctx, u.OrgID, sess.ID, now); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return nil
	}
	return s.audit(ctx, r, actor, u.OrgID, "user.sessions.revoke", "user", u.ID, map[string]Change{"sessions": {Before: n, After: 0}})
}
