package directory

import (
	"context"
	"errors"
	"time"
)

// SMSSend is a code the service stored, for the caller to text: the
// number to send it to, when it expires and how many more codes the user
// may be sent this hour.
type SMSSend struct {
	// ID is the stored code's, for WithdrawSMSCode.
	ID        string
	To        string
	ExpiresAt time.Time
	SendsLeft int
}

// IssueSMSCode stores a new code (as a salt and a salted hash the caller
// made) for a user, voiding the previous one, within the send limits:
// SMSSendsPerHour per user and per phone number, counted in the database.
// For SMSEnrol, phone (E.164) becomes the user's unconfirmed number; a
// user whose number is confirmed already cannot move it (an admin resets
// the factor first). For SMSLogin and SMSReauth the code goes to the
// confirmed number.
// The send is audited with the number masked; the code never is.
func (s *Service) IssueSMSCode(ctx context.Context, orgID, userID string, purpose SMSPurpose, phone, salt, hash string) (*SMSSend, error) {
	var out *SMSSend
	err := s.store.InTx(ctx, func(r Repos) error {
		// Reading the user for update serializes the sends of one user
		// (PostgreSQL holds its row), so that concurrent requests cannot
		// both pass the limit.
		if _, err := r.Users().GetUserForUpdate(ctx, orgID, userID); err != nil {
			return err
		}
		now := s.Now()
		p, err := r.SMS().GetSMSPhone(ctx, orgID, userID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return err
		}
		switch purpose {
		case SMSEnrol:
			if p.Enrolled() {
				return Errorf(CodeConflict, "text message codes are set up already; ask an admin to reset your second factors to use another number")
			}
			if phone == "" {
				return FieldErrorf(CodeInvalid, "phone", "a phone number is required")
			}
		case SMSLogin, SMSReauth:
			if !p.Enrolled() {
				return Errorf(CodeInvalid, "text message codes are not set up for this account")
			}
			phone = p.Phone
		default:
			return Errorf(CodeInvalid, "unknown code purpose")
		}
		phoneHash := PhoneHash(phone)
		byUser, byPhone, err := r.SMS().CountSMSCodes(ctx, userID, phoneHash, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if byUser >= SMSSendsPerHour || byPhone >= SMSSendsPerHour {
			return Errorf(CodeRateLimited, "too many codes were sent in the last hour; wait before asking for another, or use another second factor")
		}
		if purpose == SMSEnrol && (p == nil || p.Phone != phone) {
			if err := r.SMS().PutSMSPhone(ctx, &SMSPhone{OrgID: orgID, UserID: userID, Phone: phone, UpdatedAt: now}); err != nil {
				return err
			}
		}
		c := &SMSCode{ID: NewID(), OrgID: orgID, UserID: userID, Purpose: purpose, PhoneHash: phoneHash,
			Salt: salt, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(SMSCodeTTL)}
		if err := r.SMS().CreateSMSCode(ctx, c); err != nil {
			return err
		}
		out = &SMSSend{ID: c.ID, To: phone, ExpiresAt: c.ExpiresAt, SendsLeft: SMSSendsPerHour - 1 - max(byUser, byPhone)}
		return s.audit(ctx, r, Actor{Kind: ActorUser, ID: userID}, orgID, "user.mfa.sms.send", "user", userID, map[string]Change{
			"purpose": {After: string(purpose)}, "phone": {After: MaskPhone(phone)},
		})
	})
	return out, err
}

// WithdrawSMSCode removes a code IssueSMSCode stored that the provider
// would not send: it does not count toward the send limits and cannot be
// used. The failed send is audited (its purpose; never the code or the
// number).
func (s *Service) WithdrawSMSCode(ctx context.Context, orgID, userID string, send *SMSSend, purpose SMSPurpose) error {
	return s.store.InTx(ctx, func(r Repos) error {
		if err := r.SMS().DeleteSMSCode(ctx, orgID, send.ID); err != nil {
			return err
		}
		return s.audit(ctx, r, Actor{Kind: ActorUser, ID: userID}, orgID, "user.mfa.sms.send_failed", "user", userID,
			map[string]Change{"purpose": {After: string(purpose)}})
	})
}

// SMSCodeResult is what checking a texted code found.
type SMSCodeResult int

// Results of CheckSMSCode.
const (
	SMSCodeWrong    SMSCodeResult = iota // wrong, expired, used, or none sent: counts toward lockout
	SMSCodeAccepted                      // right: spent, and for SMSEnrol the phone is confirmed
)

// CheckSMSCode checks a code against the user's live code of the purpose
// with match (which compares the typed code with the stored salt and hash
// in constant time) and spends it. A wrong try counts on the code, which
// is void after SMSCodeAttempts; the caller counts it toward lockout too.
// For SMSEnrol, the right code confirms the phone (audited as an
// enrolment) and, when the user has no unused recovery codes, stores
// recoveryHashes as its recovery codes and reports true in fresh (see
// enrolRecoveryCodes).
func (s *Service) CheckSMSCode(ctx context.Context, orgID, userID string, purpose SMSPurpose, match func(salt, hash string) bool, recoveryHashes []string) (res SMSCodeResult, fresh bool, err error) {
	err = s.store.InTx(ctx, func(r Repos) error {
		res, fresh = SMSCodeWrong, false
		if _, err := r.Users().GetUser(ctx, orgID, userID); err != nil {
			return err
		}
		now := s.Now()
		c, err := r.SMS().LiveSMSCode(ctx, orgID, userID, purpose, now)
		if IsCode(err, CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !match(c.Salt, c.Hash) {
			return r.SMS().FailSMSCode(ctx, c.ID, SMSCodeAttempts, now)
		}
		ok, err := r.SMS().SpendSMSCode(ctx, c.ID, now)
		if err != nil || !ok {
			return err
		}
		res = SMSCodeAccepted
		if purpose != SMSEnrol {
			return nil
		}
		p, err := r.SMS().GetSMSPhone(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if p.Enrolled() || PhoneHash(p.Phone) != c.PhoneHash {
			// The number changed since the code was sent.
			return ErrStale
		}
		p.ConfirmedAt, p.UpdatedAt = &now, now
		if err := r.SMS().PutSMSPhone(ctx, p); err != nil {
			return err
		}
		changes := map[string]Change{"sms": {Before: false, After: true}, "phone": {After: MaskPhone(p.Phone)}}
		if fresh, err = s.enrolRecoveryCodes(ctx, r, orgID, userID, recoveryHashes, false, changes); err != nil {
			return err
		}
		return s.audit(ctx, r, Actor{Kind: ActorUser, ID: userID}, orgID, "user.mfa.enrol", "user", userID, changes)
	})
	if errors.Is(err, ErrStale) {
		return SMSCodeWrong, false, Errorf(CodeConflict, "the phone number changed since this code was sent; ask for a new code")
	}
	return res, fresh, err
}

// GetSMSPhone returns the user's SMS phone, or nil when it has none.
func (s *Service) GetSMSPhone(ctx context.Context, orgID, userID string) (*SMSPhone, error) {
	p, err := s.store.SMS().GetSMSPhone(ctx, orgID, userID)
	if IsCode(err, CodeNotFound) {
		return nil, nil
	}
	return p, err
}

// resetSMS removes the user's SMS phone and voids its codes, within an
// admin's reset of its second factors; it reports whether there was a
// confirmed phone.
func (s *Service) resetSMS(ctx context.Context, r Repos, orgID, userID string) (bool, error) {
	p, err := r.SMS().GetSMSPhone(ctx, orgID, userID)
	if IsCode(err, CodeNotFound) {
		return false, r.SMS().VoidSMSCodes(ctx, orgID, userID, s.Now())
	}
	if err != nil {
		return false, err
	}
	if err := r.SMS().DeleteSMSPhone(ctx, orgID, userID); err != nil {
		return false, err
	}
	return p.Enrolled(), r.SMS().VoidSMSCodes(ctx, orgID, userID, s.Now())
}
