package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/sms"
)

// Default lifetimes.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultPendingTTL  = 10 * time.Minute
	DefaultInviteTTL   = 7 * 24 * time.Hour
	DefaultResetTTL    = time.Hour
	DefaultAPITokenTTL = 365 * 24 * time.Hour
)

// ErrBadCredentials is every failed login: unknown email, wrong password,
// a locked, suspended or single sign-on user. The caller learns nothing
// about which.
var ErrBadCredentials = directory.Errorf(directory.CodeUnauthorized, "invalid email or password")

// errBadCode is every failed second-factor step.
var errBadCode = directory.Errorf(directory.CodeUnauthorized, "invalid code")

// Config is what an Authenticator depends on.
type Config struct {
	Directory Directory
	TOTP      *TOTP
	// WebAuthn is the relying party of passkeys (see NewWebAuthn); nil
	// turns passkeys off.
	WebAuthn *webauthn.WebAuthn
	// Params are the argon2id costs of new password hashes.
	Params Params
	// Lifetimes; zero means the defaults above.
	SessionTTL, PendingTTL, InviteTTL, ResetTTL, APITokenTTL time.Duration
	// OnLockout, if set, is told when a login attempt locks a user (to
	// send the lockout notice).
	OnLockout func(ctx context.Context, u *directory.User, factor directory.LoginFactor)
	// SMS sends the codes of the SMS factor; nil: the factor is
	// unavailable.
	SMS sms.Sender
	// Logger records what fails out of sight of the caller (a provider's
	// refusal); nil: nothing is logged.
	Logger *slog.Logger
	Now    func() time.Time
}

// Authenticator carries out logins: passwords with lockout, TOTP with
// single-use steps and recovery codes, one-time password links, and the
// sessions that result.
type Authenticator struct {
	cfg Config
	// dummyHash is verified when there is no real hash to check, so that
	// an unknown email costs as much time as a wrong password.
	dummyHash string
}

// NewAuthenticator checks cfg and fills its defaults.
func NewAuthenticator(cfg Config) (*Authenticator, error) {
	if cfg.Directory == nil || cfg.TOTP == nil || cfg.TOTP.Sealer == nil {
		return nil, errors.New("auth: Directory and TOTP (with a Sealer) are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.SessionTTL, DefaultSessionTTL}, {&cfg.PendingTTL, DefaultPendingTTL}, {&cfg.InviteTTL, DefaultInviteTTL},
		{&cfg.ResetTTL, DefaultResetTTL}, {&cfg.APITokenTTL, DefaultAPITokenTTL},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	dummy, err := HashPassword("no such user", cfg.Params)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Authenticator{cfg: cfg, dummyHash: dummy}, nil
}

// Params are the argon2id costs new hashes use.
func (a *Authenticator) Params() Params { return a.cfg.Params }

// Login is the result of a login step: a session token (shown once) and
// the session, whose Stage says whether a second step is due.
type Login struct {
	Token   string
	Session *directory.Session
	User    *directory.User
}

// PasswordLogin checks a login email and password in an organization: the
// one named by orgSlug, or else the one that has verified the email's
// domain. A wrong password counts against the user and locks it at the
// organization's threshold; a locked user's correct password fails like a
// wrong one. An unknown organization, an email that is no user's login
// email in it, and a user without a password all fail like a wrong
// password, after as long, so that nothing tells whether the email exists
// elsewhere. On success the session's stage says what remains: nothing, a
// TOTP code, or TOTP enrolment.
func (a *Authenticator) PasswordLogin(ctx context.Context, orgSlug, email, password string) (*Login, error) {
	email = strings.TrimSpace(email)
	if email == "" || password == "" || len(password) > maxPasswordBytes {
		return nil, ErrBadCredentials
	}
	u, err := a.FindLoginUser(ctx, orgSlug, email)
	if err != nil {
		return nil, err
	}
	if u == nil || u.AuthMethod != directory.AuthLocal || u.PasswordHash == "" || u.Deleted() || u.TemporarilyLocked(a.cfg.Now()) {
		// A temporarily locked user (the organization's last org_admin
		// after too many wrong passwords) is refused without a check of
		// its password, right or wrong, and the attempt does not count.
		_, _ = VerifyPassword(password, a.dummyHash)
		return nil, ErrBadCredentials
	}
	ok, err := VerifyPassword(password, u.PasswordHash)
	if err != nil {
		return nil, directory.Internal(fmt.Errorf("verify password of %s: %w", u.ID, err))
	}
	if !ok {
		if err := a.failed(ctx, u, directory.FactorPassword); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if u.Status != directory.StatusActive {
		return nil, ErrBadCredentials
	}
	a.upgradeHash(ctx, u, password)
	stage, err := a.nextStage(ctx, u)
	if err != nil {
		return nil, err
	}
	return a.start(ctx, u, directory.SessionLogin, stage, "password", "")
}

// FindLoginUser finds the user a login email names: the live user of the
// organization (see ResolveLoginOrg) whose login email it is. Nothing
// found is (nil, nil), whatever the reason.
func (a *Authenticator) FindLoginUser(ctx context.Context, orgSlug, email string) (*directory.User, error) {
	org, err := a.cfg.Directory.ResolveLoginOrg(ctx, orgSlug, email)
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := a.cfg.Directory.FindUserByEmail(ctx, org.ID, email)
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, nil
	}
	return u, err
}

// upgradeHash rehashes a verified password whose hash was made with other
// parameters than today's. It is best effort: if it fails, the next login
// tries again, and the old hash still works.
func (a *Authenticator) upgradeHash(ctx context.Context, u *directory.User, password string) {
	if !NeedsRehash(u.PasswordHash, a.cfg.Params) {
		return
	}
	hash, err := HashPassword(password, a.cfg.Params)
	if err != nil {
		return
	}
	if err := a.cfg.Directory.UpgradePasswordHash(ctx, u.OrgID, u.ID, u.PasswordHash, hash); err == nil {
		u.PasswordHash = hash
	}
}

// failed counts a wrong password or code (factor) and tells OnLockout if
// it locked the user.
func (a *Authenticator) failed(ctx context.Context, u *directory.User, factor directory.LoginFactor) error {
	locked, justLocked, err := a.cfg.Directory.RecordFailedLogin(ctx, u.OrgID, u.ID, factor)
	if err != nil {
		return err
	}
	if justLocked && a.cfg.OnLockout != nil {
		a.cfg.OnLockout(ctx, locked, factor)
	}
	return nil
}

// nextStage decides what a user who gave the right password still owes.
func (a *Authenticator) nextStage(ctx context.Context, u *directory.User) (directory.SessionStage, error) {
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return "", err
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return "", err
	}
	// The factors the user has enrolled that the organization allows
	// (SecondFactors): any of them completes the login.
	factors, err := a.SecondFactors(ctx, org, u, m)
	if err != nil {
		return "", err
	}
	switch {
	case len(factors) > 0 && (org.Settings.MFAPolicy != directory.MFAOff || m.Required):
		return directory.StageMFA, nil
	case directory.NeedsTOTP(org, u, m):
		return directory.StageEnrol, nil
	}
	return directory.StageFull, nil
}

// start opens a session for u and returns its token.
func (a *Authenticator) start(ctx context.Context, u *directory.User, kind directory.SessionKind, stage directory.SessionStage, method, name string) (*Login, error) {
	prefix, ttl := PrefixSession, a.cfg.SessionTTL
	switch {
	case kind == directory.SessionAPIToken:
		prefix, ttl = PrefixAPI, a.cfg.APITokenTTL
	case stage != directory.StageFull:
		ttl = a.cfg.PendingTTL
	}
	token, hash, err := NewSecret(prefix)
	if err != nil {
		return nil, directory.Internal(err)
	}
	sess := &directory.Session{
		OrgID: u.OrgID, UserID: u.ID, Kind: kind, Stage: stage, Method: method, Name: name,
		SecretHash: hash, ExpiresAt: a.cfg.Now().Add(ttl),
	}
	if err := a.cfg.Directory.StartSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Login{Token: token, Session: sess, User: u}, nil
}

// Authenticate returns the live session a token opens, and its user.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*directory.Session, *directory.User, error) {
	if !strings.HasPrefix(token, PrefixSession) && !strings.HasPrefix(token, PrefixAPI) {
		return nil, nil, directory.Errorf(directory.CodeUnauthorized, "invalid or expired session")
	}
	return a.cfg.Directory.AuthenticateSession(ctx, HashSecret(token))
}

// Logout ends the session.
func (a *Authenticator) Logout(ctx context.Context, sess *directory.Session) error {
	return a.cfg.Directory.EndSession(ctx, sess.OrgID, sess.UserID, sess.ID)
}

// CreateAPIToken makes a personal API token for u; the token is shown once.
func (a *Authenticator) CreateAPIToken(ctx context.Context, u *directory.User, name string) (*Login, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "name", "a token needs a name of 1-200 characters")
	}
	return a.start(ctx, u, directory.SessionAPIToken, directory.StageFull, "api_token", name)
}

// ChangePassword replaces u's password after checking the current one and
// the organization's policy. The user's other logins end; sess, the one it
// changes its password through (nil: none), stays.
func (a *Authenticator) ChangePassword(ctx context.Context, sess *directory.Session, u *directory.User, current, next string) error {
	ok, err := VerifyPassword(current, u.PasswordHash)
	if err != nil || !ok {
		if err := a.failed(ctx, u, directory.FactorPassword); err != nil {
			return err
		}
		return directory.FieldErrorf(directory.CodeInvalid, "currentPassword", "the current password is wrong")
	}
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy(next, org.Settings.PasswordPolicy); err != nil {
		return err
	}
	hash, err := HashPassword(next, a.cfg.Params)
	if err != nil {
		return directory.Internal(err)
	}
	actor := directory.Actor{Kind: directory.ActorUser, ID: u.ID, Name: u.UserName}
	if sess != nil {
		actor.SessionID = sess.ID
	}
	_, err = a.cfg.Directory.UpdateUser(ctx, actor, u.OrgID, u.ID, 0, func(x *directory.User) error {
		x.PasswordHash = hash
		return nil
	})
	return err
}
