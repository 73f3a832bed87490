package directory

import (
	"context"
	"fmt"
	"time"
)

// sessionTouchInterval limits how often a session's last-used time is
// written, as for SCIM tokens.
const sessionTouchInterval = time.Minute

// loginActor is the actor of what the login flow does on its own: counting
// wrong passwords and locking.
var loginActor = Actor{Kind: ActorSystem, Name: "login", Authority: AuthorityLogin}

// RecordFailedLogin counts a wrong password against an active user and locks
// it once the organization's threshold is reached; locking revokes its
// sessions and is audited. It returns the user and whether this attempt
// locked it. Users that are not active are left alone: they cannot log in
// anyway.
//
// The organization's last active org_admin is never locked for good, so
// that wrong passwords cannot shut an organization out of its own
// administration: each wrong attempt at or past the threshold holds its
// logins off for a while instead (LockedUntil; see TemporaryLockDelay),
// audited as user.lock.temporary, and its sessions stay.
func (s *Service) RecordFailedLogin(ctx context.Context, orgID, userID string, factor LoginFactor) (*User, bool, error) {
	var out *User
	var locked bool
	err := retryStale(false, func() error {
		locked = false
		return s.store.InTx(ctx, func(r Repos) error {
			u, err := r.Users().GetUser(ctx, orgID, userID)
			if err != nil {
				return err
			}
			if u.Status != StatusActive {
				out = u
				return nil
			}
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			next := u.Clone()
			next.FailedLogins++
			if next.FailedLogins < org.Settings.LockoutThreshold {
				if err := r.Users().UpdateUser(ctx, next, s.Now()); err != nil {
					return err
				}
				out = next
				return nil
			}
			last, err := lastOrgAdmin(ctx, r, u)
			if err != nil {
				return err
			}
			if last {
				now := s.Now()
				until := now.Add(TemporaryLockDelay(next.FailedLogins - org.Settings.LockoutThreshold)).UTC().Truncate(time.Microsecond)
				next.LockedUntil = &until
				if err := r.Users().UpdateUser(ctx, next, now); err != nil {
					return err
				}
				out = next
				return s.audit(ctx, r, loginActor, orgID, "user.lock.temporary", "user", userID, map[string]Change{
					"lockedUntil": {After: until.Format(time.RFC3339)}, "reason": {After: lockReason(next.FailedLogins, factor)},
				})
			}
			if err := CheckTransition(u, StatusLocked, AuthorityLogin); err != nil {
				return err
			}
			s.stampStatus(loginActor, next, StatusLocked, lockReason(next.FailedLogins, factor))
			if _, err := r.Sessions().RevokeUserSessions(ctx, orgID, userID, false, s.Now()); err != nil {
				return err
			}
			locked = true
			return s.writeUser(ctx, r, loginActor, "user.lock", u, next, &out)
		})
	})
	return out, locked, err
}

// UpgradePasswordHash swaps a user's password hash for a new hash of the
// same password (made with stronger parameters at login), unless the
// password changed meanwhile. The password itself does not change, so
// nothing is audited.
func (s *Service) UpgradePasswordHash(ctx context.Context, orgID, userID, oldHash, newHash string) error {
	return retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			u, err := r.Users().GetUser(ctx, orgID, userID)
			if err != nil || u.PasswordHash != oldHash {
				return err
			}
			u.PasswordHash = newHash
			return r.Users().UpdateUser(ctx, u, s.Now())
		})
	})
}

// StartSession stores a new session. A full login session also records the
// login on the user (last login, failed attempts reset) and is audited, in
// the same transaction.
func (s *Service) StartSession(ctx context.Context, sess *Session) error {
	if sess.ID == "" {
		sess.ID = NewID()
	}
	sess.CreatedAt = s.Now()
	return retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			if err := r.Sessions().CreateSession(ctx, sess); err != nil {
				return err
			}
			switch {
			case sess.Kind == SessionAPIToken:
				return s.audit(ctx, r, userActor(sess), sess.OrgID, "user.token.create", "user", sess.UserID,
					map[string]Change{"token": {After: sess.Name}})
			case sess.Stage == StageFull:
				return s.recordLogin(ctx, r, sess)
			}
			return nil
		})
	})
}

// CompleteSession moves a pending login to full once its second step
// succeeded, with a new expiry, recording and auditing the login. A session that is no longer
// at stage `from` is ErrStale: one code completes one login.
func (s *Service) CompleteSession(ctx context.Context, sess *Session, from SessionStage, method string, expires time.Time) error {
	return s.store.InTx(ctx, func(r Repos) error {
		if err := r.Sessions().PromoteSession(ctx, sess.ID, from, StageFull, method, expires); err != nil {
			return err
		}
		sess.Stage, sess.Method, sess.ExpiresAt = StageFull, method, expires
		return s.recordLogin(ctx, r, sess)
	})
}

func (s *Service) recordLogin(ctx context.Context, r Repos, sess *Session) error {
	u, err := r.Users().GetUser(ctx, sess.OrgID, sess.UserID)
	if err != nil {
		return err
	}
	now := s.Now()
	u.LastLoginAt, u.FailedLogins, u.LockedUntil = &now, 0, nil
	if err := r.Users().UpdateUser(ctx, u, now); err != nil {
		return err
	}
	return s.audit(ctx, r, userActor(sess), sess.OrgID, "user.login", "user", sess.UserID,
		map[string]Change{"method": {After: sess.Method}})
}

func userActor(sess *Session) Actor {
	return Actor{Kind: ActorUser, ID: sess.UserID}
}

// AuthenticateSession finds the live session whose secret hashes to hash and
// its user. Every failure is the same CodeUnauthorized. A login session
// dies with any status change of its user after it began (a suspension or a
// lock that was lifted since does not bring it back); a personal token works
// whenever its user is active.
func (s *Service) AuthenticateSession(ctx context.Context, hash string) (*Session, *User, error) {
	unauthorized := Errorf(CodeUnauthorized, "invalid or expired session")
	sess, err := s.store.Sessions().GetSessionByHash(ctx, hash)
	if err != nil {
		if IsCode(err, CodeNotFound) {
			return nil, nil, unauthorized
		}
		return nil, nil, err
	}
	now := s.Now()
	if !sess.Valid(now) {
		return nil, nil, unauthorized
	}
	u, err := s.store.Users().GetUser(ctx, sess.OrgID, sess.UserID)
	if err != nil {
		if IsCode(err, CodeNotFound) {
			return nil, nil, unauthorized
		}
		return nil, nil, err
	}
	if u.Status != StatusActive {
		return nil, nil, unauthorized
	}
	if sess.Kind == SessionLogin && u.StatusChangedAt.After(sess.CreatedAt) {
		return nil, nil, unauthorized
	}
	if sess.LastUsedAt == nil || now.Sub(*sess.LastUsedAt) > sessionTouchInterval {
		if err := s.store.Sessions().TouchSession(ctx, sess.ID, now); err != nil {
			return nil, nil, err
		}
		sess.LastUsedAt = &now
	}
	return sess, u, nil
}

// EndSession revokes one session of its own user (logout, or a personal
// token the user deletes).
func (s *Service) EndSession(ctx context.Context, orgID, userID, id string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		sessions, err := r.Sessions().ListSessions(ctx, orgID, userID, SessionAPIToken, s.Now())
		if err != nil {
			return err
		}
		for _, t := range sessions {
			if t.ID == id {
				if err := r.Sessions().RevokeSession(ctx, orgID, id, s.Now()); err != nil {
					return err
				}
				return s.audit(ctx, r, Actor{Kind: ActorUser, ID: userID}, orgID, "user.token.revoke", "user", userID,
					map[string]Change{"token": {Before: t.Name}})
			}
		}
		// A login session: logging out needs no audit entry.
		return r.Sessions().RevokeSession(ctx, orgID, id, s.Now())
	})
}

// ListSessions lists a user's live sessions of one kind.
func (s *Service) ListSessions(ctx context.Context, orgID, userID string, kind SessionKind) ([]*Session, error) {
	return s.store.Sessions().ListSessions(ctx, orgID, userID, kind, s.Now())
}

// CreateLink stores a one-time link for a user, voiding the user's earlier
// links, and audits it (never its secret).
func (s *Service) CreateLink(ctx context.Context, actor Actor, l *Link) error {
	if l.ID == "" {
		l.ID = NewID()
	}
	now := s.Now()
	l.CreatedAt, l.UsedAt = now, nil
	return s.store.InTx(ctx, func(r Repos) error {
		u, err := r.Users().GetUser(ctx, l.OrgID, l.UserID)
		if err != nil {
			return err
		}
		if u.Deleted() {
			return Errorf(CodeNotFound, "user %s not found", l.UserID)
		}
		if err := r.Links().InvalidateLinks(ctx, l.OrgID, l.UserID, now); err != nil {
			return err
		}
		if err := r.Links().CreateLink(ctx, l); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, l.OrgID, "user.link.create", "user", l.UserID,
			map[string]Change{"purpose": {After: l.Purpose}, "expiresAt": {After: l.ExpiresAt.Format(time.RFC3339)}})
	})
}

// linkGone is what every unusable link gets, so that a caller learns
// nothing about why.
func linkGone() error {
	return Errorf(CodeNotFound, "this link is not valid any more; ask for a new one")
}

// linkFits reports whether a link may still be used for u: an invitation
// while the user waits for (or already has) a password, a reset only for an
// active user; neither for single sign-on users.
func linkFits(l *Link, u *User) bool {
	switch {
	case u.AuthMethod != AuthLocal:
		return false
	case l.Purpose == LinkPasswordSet:
		return u.Status == StatusPending || u.Status == StatusActive
	case l.Purpose == LinkPasswordReset:
		return u.Status == StatusActive
	}
	return false
}

// PeekLink returns the usable link with this hash, its user and the user's
// organization, without spending it: the caller checks the new password
// against the organization's policy and hashes it before UsePasswordLink.
func (s *Service) PeekLink(ctx context.Context, hash string) (*Link, *User, *Org, error) {
	l, err := s.store.Links().GetLink(ctx, hash)
	if err != nil {
		if IsCode(err, CodeNotFound) {
			return nil, nil, nil, linkGone()
		}
		return nil, nil, nil, err
	}
	if l.UsedAt != nil || !s.Now().Before(l.ExpiresAt) {
		return nil, nil, nil, linkGone()
	}
	u, err := s.store.Users().GetUser(ctx, l.OrgID, l.UserID)
	if err != nil || !linkFits(l, u) {
		return nil, nil, nil, linkGone()
	}
	org, err := s.store.Orgs().GetOrg(ctx, l.OrgID)
	if err != nil {
		return nil, nil, nil, err
	}
	return l, u, org, nil
}

// UsePasswordLink spends a one-time link and sets the password hash it was
// sent for, in one transaction: an invitation activates a pending user, a
// reset replaces an active user's password; either way the user's login
// sessions end. A link that is unknown, spent, expired or no longer fits
// the user is CodeNotFound.
func (s *Service) UsePasswordLink(ctx context.Context, hash, passwordHash string) (*User, error) {
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			now := s.Now()
			l, err := r.Links().ConsumeLink(ctx, hash, now)
			if err != nil {
				if IsCode(err, CodeNotFound) {
					return linkGone()
				}
				return err
			}
			u, err := r.Users().GetUser(ctx, l.OrgID, l.UserID)
			if err != nil || !linkFits(l, u) {
				return linkGone()
			}
			actor := Actor{Kind: ActorUser, ID: u.ID, Name: u.UserName}
			next := u.Clone()
			// A new password also ends a temporary lock (see
			// RecordFailedLogin) and forgets the wrong attempts.
			next.PasswordHash, next.FailedLogins, next.LockedUntil = passwordHash, 0, nil
			if u.Status == StatusPending {
				s.stampStatus(actor, next, StatusActive, "password set")
			}
			if _, err := r.Sessions().RevokeUserSessions(ctx, l.OrgID, l.UserID, false, now); err != nil {
				return err
			}
			if err := r.Users().UpdateUser(ctx, next, now); err != nil {
				return err
			}
			out = next
			changes := userChanges(u, next)
			changes["password"] = Change{After: "changed"}
			action := "user.password.reset"
			if l.Purpose == LinkPasswordSet {
				action = "user.password.set"
			}
			return s.audit(ctx, r, actor, l.OrgID, action, "user", u.ID, changes)
		})
	})
	return out, err
}

// GetMFA returns a user's second-factor state.
func (s *Service) GetMFA(ctx context.Context, orgID, userID string) (*MFAState, error) {
	return s.store.MFA().GetMFA(ctx, orgID, userID)
}

// StartTOTPEnrolment stores a new sealed seed that waits for its first code.
// An enrolled user keeps its current seed until the new one is confirmed.
func (s *Service) StartTOTPEnrolment(ctx context.Context, orgID, userID, sealedSeed string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		m.PendingSecret, m.UpdatedAt = sealedSeed, s.Now()
		return r.MFA().PutMFA(ctx, m)
	})
}

// ConfirmTOTP makes the pending seed the user's TOTP seed, spends the step
// of the code that confirmed it, replaces the recovery codes, and audits
// the enrolment. The caller has checked the code against the pending seed
// it read; a seed replaced since is ErrStale.
func (s *Service) ConfirmTOTP(ctx context.Context, actor Actor, orgID, userID, sealedSeed string, step int64, recoveryHashes []string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if m.PendingSecret == "" || m.PendingSecret != sealedSeed {
			return ErrStale
		}
		now := s.Now()
		wasEnrolled := m.Enrolled()
		m.TOTPSecret, m.PendingSecret, m.LastStep, m.EnrolledAt, m.UpdatedAt = sealedSeed, "", step, &now, now
		if err := r.MFA().PutMFA(ctx, m); err != nil {
			return err
		}
		changes := map[string]Change{"totp": {Before: wasEnrolled, After: true}}
		if _, err := s.enrolRecoveryCodes(ctx, r, orgID, userID, recoveryHashes, true, changes); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "user.mfa.enrol", "user", userID, changes)
	})
}

// enrolRecoveryCodes is the one place a second factor's enrolment gives
// recovery codes: it stores hashes (made by the caller, which shows the
// codes once) as the user's recovery codes when replace is set (a TOTP
// enrolment) or when the user has no unused ones (a passkey or SMS phone
// as the first second factor), and reports whether it did. What it did
// goes into the enrolment's audit changes: the number of codes, never a
// code.
func (s *Service) enrolRecoveryCodes(ctx context.Context, r Repos, orgID, userID string, hashes []string, replace bool, changes map[string]Change) (bool, error) {
	if len(hashes) == 0 {
		return false, nil
	}
	if !replace {
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return false, err
		}
		if m.RecoveryCodesLeft > 0 {
			return false, nil
		}
	}
	if err := r.MFA().ReplaceRecoveryCodes(ctx, orgID, userID, hashes, s.Now()); err != nil {
		return false, err
	}
	changes["recoveryCodes"] = Change{After: len(hashes)}
	return true, nil
}

// SpendTOTPStep records a verified code's step; false means the step (or a
// later one) was spent already: a replay.
func (s *Service) SpendTOTPStep(ctx context.Context, orgID, userID string, step int64) (bool, error) {
	return s.store.MFA().AdvanceTOTPStep(ctx, orgID, userID, step)
}

// UseRecoveryCode spends a recovery code by its hash and audits it; false
// means no unused code has that hash.
func (s *Service) UseRecoveryCode(ctx context.Context, orgID, userID, hash string) (bool, error) {
	var ok bool
	err := s.store.InTx(ctx, func(r Repos) error {
		var err error
		if ok, err = r.MFA().ConsumeRecoveryCode(ctx, orgID, userID, hash, s.Now()); err != nil || !ok {
			return err
		}
		return s.audit(ctx, r, Actor{Kind: ActorUser, ID: userID}, orgID, "user.mfa.recovery_code", "user", userID, nil)
	})
	return ok, err
}

// ReplaceRecoveryCodes gives a user with a second factor (TOTP, a
// confirmed phone or a passkey, allowed by its organization) a new set of
// recovery codes (the old ones stop working), once it proved that factor
// (via names it, for the audit).
func (s *Service) ReplaceRecoveryCodes(ctx context.Context, actor Actor, orgID, userID, via string, hashes []string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		org, err := r.Orgs().GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		phone, err := r.SMS().GetSMSPhone(ctx, orgID, userID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return err
		}
		keys, err := r.Passkeys().ListPasskeys(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if !HasSecondFactor(org, m, phone.Enrolled(), len(keys)) {
			return Errorf(CodeInvalid, "set up a second factor before asking for recovery codes")
		}
		if err := r.MFA().ReplaceRecoveryCodes(ctx, orgID, userID, hashes, s.Now()); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "user.mfa.recovery_codes", "user", userID, map[string]Change{
			"factor": {After: via}, "recoveryCodes": {Before: m.RecoveryCodesLeft, After: len(hashes)},
		})
	})
}

// NeedsTOTP reports whether u must use TOTP: the organization requires it
// or an admin required it of this user. Single sign-on users prove
// themselves at their provider and are exempt.
func NeedsTOTP(org *Org, u *User, m *MFAState) bool {
	if u.AuthMethod == AuthSSO {
		return false
	}
	return org.Settings.MFAPolicy == MFARequired || m.Required
}

// LoginFactor names what a failed sign-in attempt got wrong.
type LoginFactor string

// Login factors.
const (
	FactorPassword LoginFactor = "password"
	// FactorCode is a second factor: a TOTP or recovery code.
	FactorCode LoginFactor = "code"
)

// lockReason is the status reason of a lock after n failed attempts in a
// row, the last of which got factor wrong.
func lockReason(n int, factor LoginFactor) string {
	if factor == FactorCode {
		return fmt.Sprintf("%d failed sign-in attempts in a row, the last a wrong second-factor code", n)
	}
	return fmt.Sprintf("%d wrong passwords in a row", n)
}

// Delays of the temporary lock of an organization's last active org_admin.
const (
	TemporaryLockFirst = time.Minute
	TemporaryLockMax   = time.Hour
)

// TemporaryLockDelay is how long the last active org_admin is held off
// after its n-th wrong attempt past the lockout threshold (0: the attempt
// that reached it): a minute, doubling with each attempt, at most an hour.
func TemporaryLockDelay(n int) time.Duration {
	d := TemporaryLockFirst
	for i := 0; i < n && d < TemporaryLockMax; i++ {
		d *= 2
	}
	return min(d, TemporaryLockMax)
}

// TemporarilyLocked reports whether u is held off at now by a temporary
// lock.
func (u *User) TemporarilyLocked(now time.Time) bool {
	return u.LockedUntil != nil && now.Before(*u.LockedUntil)
}
