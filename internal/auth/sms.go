package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/sms"
)

// smsSendTimeout bounds one call to the text message provider.
const smsSendTimeout = 15 * time.Second

// SMSSent tells the user where a code went (masked) and what is left.
type SMSSent struct {
	// Phone is the number, masked (+44 •••• ••12 34).
	Phone     string
	ExpiresAt time.Time
	// SendsLeft is how many more codes may be sent this hour.
	SendsLeft int
}

// SMSAvailable reports whether Roster can send text messages at all.
func (a *Authenticator) SMSAvailable() bool { return a.cfg.SMS != nil }

// CheckFactorsAvailable refuses settings that newly allow a second factor
// this server cannot serve: SMS codes without a text message sender. A
// factor allowed before stays allowed (and unused), so that an operator
// who drops the sender does not lock organizations out of their settings.
func (a *Authenticator) CheckFactorsAvailable(before, after *directory.OrgSettings) error {
	if a.cfg.SMS == nil && after.Allows(directory.FactorSMS) && !before.Allows(directory.FactorSMS) {
		return directory.FieldErrorf(directory.CodeInvalid, "mfaFactors",
			"this server cannot send text messages (no SMS sender is set up), so text message codes cannot be allowed")
	}
	return nil
}

// newSMSCode returns a 6-digit code from crypto/rand, and a random salt
// and the salted SHA-256 to store.
func newSMSCode() (code, salt, hash string, err error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", "", "", fmt.Errorf("sms code: %w", err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", fmt.Errorf("sms code: %w", err)
	}
	code = fmt.Sprintf("%06d", n.Int64())
	salt = hex.EncodeToString(b[:])
	return code, salt, hashSMSCode(salt, code), nil
}

func hashSMSCode(salt, code string) string {
	sum := sha256.Sum256([]byte(salt + ":" + code))
	return hex.EncodeToString(sum[:])
}

// smsMatcher compares a typed code with a stored salt and hash in
// constant time.
func smsMatcher(code string) func(salt, hash string) bool {
	code = strings.Join(strings.Fields(code), "")
	return func(salt, hash string) bool {
		if len(code) != 6 {
			return false
		}
		return subtle.ConstantTimeCompare([]byte(hashSMSCode(salt, code)), []byte(hash)) == 1
	}
}

// smsAllowed checks that SMS codes may be used by u's organization.
func (a *Authenticator) smsAllowed(ctx context.Context, u *directory.User) (*directory.Org, error) {
	if a.cfg.SMS == nil {
		return nil, directory.Errorf(directory.CodeInvalid, "text messages are not set up on this server")
	}
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	if !org.Settings.Allows(directory.FactorSMS) {
		return nil, directory.Errorf(directory.CodeInvalid, "your organization does not allow text message codes")
	}
	return org, nil
}

// send issues a code of the purpose and texts it.
func (a *Authenticator) sendSMS(ctx context.Context, org *directory.Org, u *directory.User, purpose directory.SMSPurpose, phone string) (*SMSSent, error) {
	code, salt, hash, err := newSMSCode()
	if err != nil {
		return nil, directory.Internal(err)
	}
	s, err := a.cfg.Directory.IssueSMSCode(ctx, u.OrgID, u.ID, purpose, phone, salt, hash)
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s: your sign-in code is %s. It expires in %d minutes. Do not share it.",
		org.Name, code, int(directory.SMSCodeTTL/time.Minute))
	switch purpose {
	case directory.SMSReauth:
		body = fmt.Sprintf("%s: your code to confirm it is you is %s. It expires in %d minutes. Do not share it.",
			org.Name, code, int(directory.SMSCodeTTL/time.Minute))
	case directory.SMSEnrol:
		body = fmt.Sprintf("%s: your code to confirm this phone number is %s. It expires in %d minutes.",
			org.Name, code, int(directory.SMSCodeTTL/time.Minute))
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), smsSendTimeout)
	defer cancel()
	if err := a.cfg.SMS.Send(sctx, s.To, body); err != nil {
		// The provider's errors name neither number nor body.
		if a.cfg.Logger != nil {
			a.cfg.Logger.ErrorContext(ctx, "sending a text message failed", "user", u.ID, "error", err)
		}
		// A code that never left costs the user none of its sends, and
		// must not stay valid.
		if werr := a.cfg.Directory.WithdrawSMSCode(context.WithoutCancel(ctx), u.OrgID, u.ID, s, purpose); werr != nil {
			return nil, werr
		}
		var pe *sms.ProviderError
		if errors.As(err, &pe) && errors.Is(err, sms.ErrRejected) && pe.Status == http.StatusBadRequest {
			return nil, directory.Errorf(directory.CodeInvalid, "could not send the code to this number: check the number, or try again later")
		}
		return nil, directory.Errorf(directory.CodeUnavailable, "could not send the code, try again later")
	}
	return &SMSSent{Phone: directory.MaskPhone(s.To), ExpiresAt: s.ExpiresAt, SendsLeft: s.SendsLeft}, nil
}

// BeginSMSEnrolment texts a code to confirm a phone number for SMS codes:
// raw, read in the organization's phone region, or the user's profile
// phone when raw is empty. It works for a full session and for a login
// waiting at StageEnrol. A user whose number is confirmed cannot move it
// this way (an admin resets it), as for TOTP.
func (a *Authenticator) BeginSMSEnrolment(ctx context.Context, sess *directory.Session, u *directory.User, raw string) (*SMSSent, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	org, err := a.smsAllowed(ctx, u)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(raw) == "" {
		raw = u.Phone
	}
	phone, err := sms.NormalizePhone(raw, org.Settings.PhoneRegion)
	if err != nil {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "phone", "%s", err.Error())
	}
	return a.sendSMS(ctx, org, u, directory.SMSEnrol, phone)
}

// ConfirmSMSEnrolment checks the code texted by BeginSMSEnrolment and
// enrols the phone. A user without recovery codes gets fresh ones (shown
// once); one that has some keeps them and gets none. A login waiting at
// StageEnrol becomes full. A wrong code counts toward lockout.
func (a *Authenticator) ConfirmSMSEnrolment(ctx context.Context, sess *directory.Session, u *directory.User, code string) ([]string, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	if _, err := a.smsAllowed(ctx, u); err != nil {
		return nil, err
	}
	if u.TemporarilyLocked(a.cfg.Now()) {
		return nil, errBadCode
	}
	codes, hashes, err := recoveryCodeSet()
	if err != nil {
		return nil, err
	}
	res, fresh, err := a.cfg.Directory.CheckSMSCode(ctx, u.OrgID, u.ID, directory.SMSEnrol, smsMatcher(code), hashes)
	if err != nil {
		return nil, err
	}
	if res != directory.SMSCodeAccepted {
		if err := a.failed(ctx, u, directory.FactorCode); err != nil {
			return nil, err
		}
		return nil, directory.FieldErrorf(directory.CodeInvalid, "code", "the code does not match, or it expired; ask for a new one")
	}
	if sess.Stage == directory.StageEnrol {
		if err := a.complete(ctx, sess, directory.StageEnrol, "sms"); err != nil {
			return nil, err
		}
	}
	if !fresh {
		codes = nil
	}
	return codes, nil
}

// SendLoginCode texts a code to the confirmed phone of a user whose login
// waits at StageMFA.
func (a *Authenticator) SendLoginCode(ctx context.Context, sess *directory.Session, u *directory.User) (*SMSSent, error) {
	if sess.Stage != directory.StageMFA {
		return nil, directory.Errorf(directory.CodeInvalid, "this session is not waiting for a code")
	}
	org, err := a.smsAllowed(ctx, u)
	if err != nil {
		return nil, err
	}
	return a.sendSMS(ctx, org, u, directory.SMSLogin, "")
}

// VerifySMSCode completes a login at StageMFA with a texted code. A wrong
// code counts against the user like a wrong password; a code works once.
func (a *Authenticator) VerifySMSCode(ctx context.Context, sess *directory.Session, u *directory.User, code string) error {
	if sess.Stage != directory.StageMFA {
		return directory.Errorf(directory.CodeInvalid, "this session is not waiting for a code")
	}
	if _, err := a.smsAllowed(ctx, u); err != nil {
		return err
	}
	if u.TemporarilyLocked(a.cfg.Now()) {
		return errBadCode
	}
	res, _, err := a.cfg.Directory.CheckSMSCode(ctx, u.OrgID, u.ID, directory.SMSLogin, smsMatcher(code), nil)
	if err != nil {
		return err
	}
	if res != directory.SMSCodeAccepted {
		return a.badCode(ctx, u)
	}
	return a.complete(ctx, sess, directory.StageMFA, "sms")
}

// SecondFactors returns the factors u has enrolled that its organization
// allows, in the order MFAFactors lists them: what a login's second step
// offers (recovery codes aside). It is factors' answer, as a list.
func (a *Authenticator) SecondFactors(ctx context.Context, org *directory.Org, u *directory.User, m *directory.MFAState) ([]directory.MFAFactor, error) {
	f, err := a.factors(ctx, org, u, m)
	if err != nil {
		return nil, err
	}
	var out []directory.MFAFactor
	for _, on := range []struct {
		enrolled bool
		factor   directory.MFAFactor
	}{{f.TOTP, directory.FactorTOTP}, {f.SMS, directory.FactorSMS}, {f.Passkey, directory.FactorPasskey}} {
		if on.enrolled {
			out = append(out, on.factor)
		}
	}
	return out, nil
}

// Names of the ways a login's second step may be completed, as the API
// lists them: the factors, and recovery codes.
const (
	MethodTOTP     = "totp"
	MethodSMS      = "sms"
	MethodPasskey  = "passkey"
	MethodRecovery = "recovery"
)

// LoginFactors names what a login waiting at stage may go on with: at
// StageMFA, the second factors u may complete it with (SecondFactors, and
// MethodRecovery while it has unused recovery codes); at StageEnrol, the
// factors it may enrol. A full login has none.
func (a *Authenticator) LoginFactors(ctx context.Context, u *directory.User, stage directory.SessionStage) ([]string, error) {
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	f, err := a.factors(ctx, org, u, m)
	if err != nil {
		return nil, err
	}
	var on []bool
	switch stage {
	case directory.StageMFA:
		on = []bool{f.TOTP, f.SMS, f.Passkey, m.RecoveryCodesLeft > 0 && (f.TOTP || f.SMS || f.Passkey)}
	case directory.StageEnrol:
		on = []bool{f.CanEnrolTOTP, f.CanEnrolSMS, f.CanEnrolPasskey, false}
	default:
		return nil, nil
	}
	out := []string{}
	for i, name := range []string{MethodTOTP, MethodSMS, MethodPasskey, MethodRecovery} {
		if on[i] {
			out = append(out, name)
		}
	}
	return out, nil
}
