package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

type loginRequest struct {
	// Org is the slug of the organization (the login page /o/{slug}/login
	// sends it); without it, the organization that has verified the
	// email's domain.
	Org      string `json:"org,omitempty"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// sessionView answers a login step. Token is the secret, for API clients
// (browsers get the same in an HttpOnly cookie).
type sessionView struct {
	Token     string                 `json:"token,omitempty"`
	Stage     directory.SessionStage `json:"stage"`
	ExpiresAt time.Time              `json:"expiresAt"`
	// Next names the endpoint that completes a login not yet full.
	Next string `json:"next,omitempty"`
	// Factors, in a login's answer that is not full: at stage mfa, what
	// completes it (totp, sms, passkey, recovery); at stage enrol, what
	// may be enrolled.
	Factors []string `json:"factors,omitempty"`
}

// enrolNext is the endpoint that starts the enrolment of each factor.
var enrolNext = map[string]string{
	"totp":    Prefix + "/me/mfa/totp",
	"sms":     Prefix + "/me/mfa/sms",
	"passkey": Prefix + "/me/passkeys/options",
}

func viewSession(token string, s *directory.Session) sessionView {
	v := sessionView{Token: token, Stage: s.Stage, ExpiresAt: s.ExpiresAt}
	switch s.Stage {
	case directory.StageMFA:
		v.Next = Prefix + "/auth/mfa"
	case directory.StageEnrol:
		v.Next = Prefix + "/me/mfa/totp"
	}
	return v
}

func (h *handler) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	// #nosec G124 -- HttpOnly and SameSite are set; Secure is dropped only
	// when the operator runs over plain HTTP (InsecureCookies).
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: !h.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (h *handler) clearCookie(w http.ResponseWriter, name, path string) {
	// #nosec G124 -- as setSessionCookie.
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: !h.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

// login checks email and password in an organization. Any failure is the
// same 401, whether the organization or the email exists or not.
func (h *handler) login(w http.ResponseWriter, r *http.Request, _ *principal, in *loginRequest) (sessionView, error) {
	if err := h.limit(w, "login:"+strings.ToLower(strings.TrimSpace(in.Email))); err != nil {
		return sessionView{}, err
	}
	l, err := h.auth.PasswordLogin(r.Context(), in.Org, in.Email, in.Password)
	if err != nil {
		return sessionView{}, err
	}
	v := viewSession(l.Token, l.Session)
	if v.Factors, err = h.auth.LoginFactors(r.Context(), l.User, l.Session.Stage); err != nil {
		return sessionView{}, err
	}
	if v.Stage == directory.StageEnrol && len(v.Factors) > 0 {
		// The first factor the organization allows, not TOTP when it
		// does not.
		v.Next = enrolNext[v.Factors[0]]
	}
	h.setSessionCookie(w, l.Token, l.Session.ExpiresAt)
	return v, nil
}

// codeRequest is a second factor's proof: at login (/auth/mfa) and for
// new recovery codes, Factor says which one it is.
type codeRequest struct {
	Factor       string          `json:"factor,omitempty"`
	Code         string          `json:"code"`
	RecoveryCode string          `json:"recoveryCode"`
	Credential   json.RawMessage `json:"credential,omitempty"`
}

// verifyMFA completes a login waiting for its second factor, with any
// factor the login's answer listed: a TOTP code (factor totp, or none), a
// texted code (sms), the answer to /auth/mfa/passkey/options (passkey),
// or a recovery code (recovery, or recoveryCode alone).
func (h *handler) verifyMFA(w http.ResponseWriter, r *http.Request, p *principal, in *codeRequest) (sessionView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return sessionView{}, err
	}
	ctx, code := r.Context(), strings.TrimSpace(in.Code)
	var err error
	switch in.Factor {
	case "", auth.MethodTOTP:
		err = h.auth.VerifySecondFactor(ctx, p.session, p.user, code, in.RecoveryCode)
	case auth.MethodRecovery:
		recovery := in.RecoveryCode
		if recovery == "" {
			recovery, code = code, ""
		}
		err = h.auth.VerifySecondFactor(ctx, p.session, p.user, code, recovery)
	case auth.MethodSMS:
		err = h.auth.VerifySMSCode(ctx, p.session, p.user, code)
	case auth.MethodPasskey:
		err = h.auth.FinishPasskeyLogin(ctx, p.session, p.user, in.Credential)
	default:
		err = directory.FieldErrorf(directory.CodeInvalid, "factor", "factor is one of totp, sms, passkey or recovery")
	}
	if err != nil {
		return sessionView{}, err
	}
	h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	return viewSession("", p.session), nil
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	if err := h.auth.Logout(r.Context(), p.session); err != nil {
		return noBody{}, err
	}
	h.clearCookie(w, sessionCookie, "/")
	return noBody{}, nil
}

type forgotRequest struct {
	// Org is the organization's slug, as for a login.
	Org   string `json:"org,omitempty"`
	Email string `json:"email"`
}

// forgotPassword emails a reset link (an invitation again for a pending
// user) if the email belongs to a local user. The answer is the same either
// way, and the email goes out after it, so that neither the response nor its
// timing tells whether the account exists.
func (h *handler) forgotPassword(w http.ResponseWriter, r *http.Request, _ *principal, in *forgotRequest) (messageView, error) {
	email := strings.TrimSpace(in.Email)
	if err := h.limit(w, "forgot:"+strings.ToLower(email)); err != nil {
		return messageView{}, err
	}
	if err := directory.ValidateEmail("email", email); err != nil {
		return messageView{}, err
	}
	ctx := context.WithoutCancel(r.Context())
	h.background.Go(func() { h.sendReset(ctx, in.Org, email) })
	return messageView{Message: "if this address belongs to an account, a link to choose a password is on its way"}, nil
}

// resetTimeout bounds the background work of a forgotten password.
const resetTimeout = time.Minute

func (h *handler) sendReset(ctx context.Context, orgSlug, email string) {
	sendReset(ctx, h.dir, h.emailer(), h.logger, orgSlug, email)
}

// ResetSender returns what a forgotten password does, for the console's
// page: it emails a reset link (an invitation again for a pending user)
// if the email is a local user's login email in the organization of
// orgSlug, or of the email's verified domain, and does nothing otherwise.
// It logs what fails and tells the caller nothing, so that no answer says
// whether the account exists; run it after answering.
func ResetSender(dir OrgCases, authn *auth.Authenticator, mailer *mail.Mailer, logger *slog.Logger) func(ctx context.Context, orgSlug, email string) {
	m := &emailer{auth: authn, mailer: mailer, logger: logger}
	return func(ctx context.Context, orgSlug, email string) { sendReset(ctx, dir, m, logger, orgSlug, email) }
}

func sendReset(ctx context.Context, dir OrgCases, m *emailer, logger *slog.Logger, orgSlug, email string) {
	ctx, cancel := context.WithTimeout(ctx, resetTimeout)
	defer cancel()
	u, err := m.auth.FindLoginUser(ctx, orgSlug, email)
	if err != nil {
		logger.ErrorContext(ctx, "password reset lookup failed", "error", err)
		return
	}
	if u == nil {
		return
	}
	purpose := directory.LinkPasswordReset
	switch {
	case u.AuthMethod != directory.AuthLocal:
		return
	case u.Status == directory.StatusPending:
		purpose = directory.LinkPasswordSet
	case u.Status != directory.StatusActive:
		return
	}
	org, err := dir.GetOrg(ctx, u.OrgID)
	if err != nil {
		logger.ErrorContext(ctx, "password reset lookup failed", "error", err)
		return
	}
	actor := directory.Actor{Kind: directory.ActorUser, ID: u.ID, Name: u.UserName}
	m.sendLink(ctx, actor, org, u, purpose)
}

type setPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// setPassword uses a one-time link from an invitation or reset email.
func (h *handler) setPassword(w http.ResponseWriter, r *http.Request, _ *principal, in *setPasswordRequest) (passwordSetView, error) {
	if !strings.HasPrefix(in.Token, auth.PrefixLink) {
		return passwordSetView{}, directory.Errorf(directory.CodeNotFound, "this link is not valid any more; ask for a new one")
	}
	u, err := h.auth.UseLink(r.Context(), in.Token, in.Password)
	if err != nil {
		return passwordSetView{}, err
	}
	return passwordSetView{UserName: u.UserName, Status: u.Status}, nil
}
