package auth

import (
	"context"
	"errors"
	"slices"

	"github.com/roster/roster/internal/directory"
)

// VerifySecondFactor completes a login at StageMFA with a TOTP code or a
// recovery code (exactly one of them). A wrong code counts against the
// user like a wrong password; a TOTP code works once.
func (a *Authenticator) VerifySecondFactor(ctx context.Context, sess *directory.Session, u *directory.User, code, recoveryCode string) error {
	if sess.Stage != directory.StageMFA {
		return directory.Errorf(directory.CodeInvalid, "this session is not waiting for a code")
	}
	if (code == "") == (recoveryCode == "") {
		return directory.Errorf(directory.CodeInvalid, "give either a code or a recovery code")
	}
	if u.TemporarilyLocked(a.cfg.Now()) {
		return errBadCode
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return err
	}
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return err
	}
	// A TOTP code needs TOTP enrolled and allowed; a recovery code, any
	// second factor the user may use.
	factors, err := a.SecondFactors(ctx, org, u, m)
	if err != nil {
		return err
	}
	if len(factors) == 0 || (recoveryCode == "" && !slices.Contains(factors, directory.FactorTOTP)) {
		return errBadCode
	}
	if code != "" {
		if err := a.factorAllowed(ctx, u, directory.FactorTOTP); err != nil {
			return err
		}
	}
	method := "totp"
	if recoveryCode != "" {
		method = "recovery_code"
		ok, err := a.cfg.Directory.UseRecoveryCode(ctx, u.OrgID, u.ID, HashRecoveryCode(recoveryCode))
		if err != nil {
			return err
		}
		if !ok {
			return a.badCode(ctx, u)
		}
	} else if err := a.spendCode(ctx, u, m.TOTPSecret, code, m.LastStep); err != nil {
		return err
	}
	return a.complete(ctx, sess, directory.StageMFA, method)
}

// spendCode verifies a TOTP code and spends its step.
func (a *Authenticator) spendCode(ctx context.Context, u *directory.User, sealed, code string, lastStep int64) error {
	step, err := a.cfg.TOTP.Verify(u.ID, sealed, code, lastStep, a.cfg.Now())
	switch {
	case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeReplayed):
		return a.badCode(ctx, u)
	case err != nil:
		return directory.Internal(err)
	}
	ok, err := a.cfg.Directory.SpendTOTPStep(ctx, u.OrgID, u.ID, step)
	if err != nil {
		return err
	}
	if !ok { // the same code raced in on another request
		return a.badCode(ctx, u)
	}
	return nil
}

func (a *Authenticator) badCode(ctx context.Context, u *directory.User) error {
	if err := a.failed(ctx, u, directory.FactorCode); err != nil {
		return err
	}
	return errBadCode
}

func (a *Authenticator) complete(ctx context.Context, sess *directory.Session, from directory.SessionStage, method string) error {
	err := a.cfg.Directory.CompleteSession(ctx, sess, from, method, a.cfg.Now().Add(a.cfg.SessionTTL))
	if errors.Is(err, directory.ErrStale) {
		return directory.Errorf(directory.CodeInvalid, "this session is not waiting for a code")
	}
	return err
}

// BeginEnrolment makes a new TOTP seed for u, to be confirmed with a first
// code. It works for a full session (self-service) and for a login waiting
// at StageEnrol. A user enrolled already cannot replace its seed this way:
// whoever holds a stolen session must not be able to move the second factor
// to its own phone; an admin resets it instead.
func (a *Authenticator) BeginEnrolment(ctx context.Context, sess *directory.Session, u *directory.User) (*Enrollment, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	if err := a.factorAllowed(ctx, u, directory.FactorTOTP); err != nil {
		return nil, err
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	if m.Enrolled() {
		return nil, directory.Errorf(directory.CodeConflict, "TOTP is set up already; ask an admin to reset it to enrol a new device")
	}
	e, err := a.cfg.TOTP.Enroll(u.ID, u.UserName)
	if err != nil {
		return nil, directory.Internal(err)
	}
	if err := a.cfg.Directory.StartTOTPEnrolment(ctx, u.OrgID, u.ID, e.SealedSecret); err != nil {
		return nil, err
	}
	return e, nil
}

// ConfirmEnrolment checks the first code of the pending seed, makes it the
// user's seed, and returns fresh recovery codes (shown once). A login
// waiting at StageEnrol becomes full.
func (a *Authenticator) ConfirmEnrolment(ctx context.Context, sess *directory.Session, u *directory.User, code string) ([]string, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	if m.PendingSecret == "" {
		return nil, directory.Errorf(directory.CodeInvalid, "start an enrolment first")
	}
	step, err := a.cfg.TOTP.Verify(u.ID, m.PendingSecret, code, 0, a.cfg.Now())
	switch {
	case errors.Is(err, ErrCodeInvalid), errors.Is(err, ErrCodeReplayed):
		return nil, directory.FieldErrorf(directory.CodeInvalid, "code", "the code does not match; check the time on your device and try the next code")
	case err != nil:
		return nil, directory.Internal(err)
	}
	codes, hashes, err := recoveryCodeSet()
	if err != nil {
		return nil, err
	}
	actor := directory.Actor{Kind: directory.ActorUser, ID: u.ID, Name: u.UserName}
	if err := a.cfg.Directory.ConfirmTOTP(ctx, actor, u.OrgID, u.ID, m.PendingSecret, step, hashes); err != nil {
		if errors.Is(err, directory.ErrStale) {
			return nil, directory.Errorf(directory.CodeConflict, "another enrolment started meanwhile; start again")
		}
		return nil, err
	}
	if sess.Stage == directory.StageEnrol {
		if err := a.complete(ctx, sess, directory.StageEnrol, "totp"); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// RecoveryProof is the second factor a user proves again for new
// recovery codes: Factor (MethodTOTP when empty, MethodSMS or
// MethodPasskey) with a TOTP code, the code texted by SendRecoverySMS, or
// the authenticator's answer to BeginRecoveryPasskey.
type RecoveryProof struct {
	Factor     string
	Code       string
	Credential []byte
}

// NewRecoveryCodesFor replaces the recovery codes of a user with a second
// factor after it proved one of its factors again, as a login would (a
// wrong proof counts toward lockout), and returns the new ones (shown
// once). sess is the session asking (full).
func (a *Authenticator) NewRecoveryCodesFor(ctx context.Context, sess *directory.Session, u *directory.User, proof RecoveryProof) ([]string, error) {
	if sess.Stage != directory.StageFull {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	f, err := a.FactorsOf(ctx, u)
	if err != nil {
		return nil, err
	}
	if !f.TOTP && !f.SMS && !f.Passkey {
		return nil, directory.Errorf(directory.CodeInvalid, "set up a second factor before asking for recovery codes")
	}
	if u.TemporarilyLocked(a.cfg.Now()) {
		return nil, errBadCode
	}
	via := proof.Factor
	switch via {
	case "", MethodTOTP:
		via = MethodTOTP
		if !f.TOTP {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "factor", "you have no authenticator app set up; confirm it is you with another second factor")
		}
		m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
		if err != nil {
			return nil, err
		}
		if err := a.spendCode(ctx, u, m.TOTPSecret, proof.Code, m.LastStep); err != nil {
			return nil, err
		}
	case MethodSMS:
		if !f.SMS {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "factor", "you have no phone set up for text message codes")
		}
		res, _, err := a.cfg.Directory.CheckSMSCode(ctx, u.OrgID, u.ID, directory.SMSReauth, smsMatcher(proof.Code), nil)
		if err != nil {
			return nil, err
		}
		if res != directory.SMSCodeAccepted {
			return nil, a.badCode(ctx, u)
		}
	case MethodPasskey:
		if !f.Passkey {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "factor", "you have no passkey")
		}
		if err := a.provePasskey(ctx, sess, u, directory.CeremonyReauth, proof.Credential); err != nil {
			return nil, err
		}
	default:
		return nil, directory.FieldErrorf(directory.CodeInvalid, "factor", "factor is one of totp, sms or passkey")
	}
	codes, hashes, err := recoveryCodeSet()
	if err != nil {
		return nil, err
	}
	if err := a.cfg.Directory.ReplaceRecoveryCodes(ctx, sessionActor(sess, u), u.OrgID, u.ID, via, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// SendRecoverySMS texts a code to u's confirmed phone, for new recovery
// codes (see NewRecoveryCodesFor).
func (a *Authenticator) SendRecoverySMS(ctx context.Context, sess *directory.Session, u *directory.User) (*SMSSent, error) {
	if sess.Stage != directory.StageFull {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	org, err := a.smsAllowed(ctx, u)
	if err != nil {
		return nil, err
	}
	return a.sendSMS(ctx, org, u, directory.SMSReauth, "")
}

// factorAllowed refuses a second factor u's organization does not allow
// (any more), saying so.
func (a *Authenticator) factorAllowed(ctx context.Context, u *directory.User, f directory.MFAFactor) error {
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return err
	}
	if !org.Settings.Allows(f) {
		return directory.Errorf(directory.CodeForbidden, "your organization does not allow this second factor (%s) any more", f)
	}
	return nil
}
