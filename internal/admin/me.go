package admin

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

func (h *handler) me(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	return h.userAnswer(w, r, p.user)
}

// profilePatch is what users may change of themselves.
type profilePatch struct {
	GivenName   *string `json:"givenName"`
	FamilyName  *string `json:"familyName"`
	DisplayName *string `json:"displayName"`
	Phone       *string `json:"phone"`
	Title       *string `json:"title"`
}

// ProfileEdit is what users may change of themselves, for the console's
// My account as for PATCH /me: a nil field is left alone. Apply is the
// mutation to give Directory.UpdateUser; a field a directory manages is
// refused there.
type ProfileEdit struct {
	GivenName, FamilyName, DisplayName, Phone, Title *string
}

// Apply changes u as the edit says.
func (e ProfileEdit) Apply(u *directory.User) error {
	patch := userPatch{GivenName: e.GivenName, FamilyName: e.FamilyName, DisplayName: e.DisplayName, Phone: e.Phone, Title: e.Title}
	return patch.apply(u)
}

func (h *handler) patchMe(w http.ResponseWriter, r *http.Request, p *principal, in *profilePatch) (userView, error) {
	edit := ProfileEdit{GivenName: in.GivenName, FamilyName: in.FamilyName, DisplayName: in.DisplayName, Phone: in.Phone, Title: in.Title}
	u, err := h.dir.UpdateUser(r.Context(), p.actor(false), p.orgID(), p.user.ID, 0, edit.Apply)
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

type passwordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request, p *principal, in *passwordChange) (noBody, error) {
	if err := h.limit(w, "password:"+p.user.ID); err != nil {
		return noBody{}, err
	}
	if p.user.AuthMethod != directory.AuthLocal {
		return noBody{}, directory.Errorf(directory.CodeInvalid, "you sign in through single sign-on and have no password")
	}
	if err := h.auth.ChangePassword(r.Context(), p.session, p.user, in.CurrentPassword, in.NewPassword); err != nil {
		return noBody{}, err
	}
	return noBody{}, nil
}

func (h *handler) myMFA(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (mfaView, error) {
	m, err := h.dir.GetMFA(r.Context(), p.orgID(), p.user.ID)
	if err != nil {
		return mfaView{}, err
	}
	phone, err := h.dir.GetSMSPhone(r.Context(), p.orgID(), p.user.ID)
	if err != nil {
		return mfaView{}, err
	}
	return *viewMFA(m).withSMS(phone), nil
}

type enrolmentView struct {
	// URI is the otpauth:// URI for authenticator apps; it holds the seed.
	URI string `json:"uri"`
	// QRCode is the URI as a base64 PNG image.
	QRCode string `json:"qrCode"`
}

// beginEnrolment starts TOTP enrolment, for a signed-in user or a login
// that the MFA policy holds at the enrol stage.
func (h *handler) beginEnrolment(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (enrolmentView, error) {
	e, err := h.auth.BeginEnrolment(r.Context(), p.session, p.user)
	if err != nil {
		return enrolmentView{}, err
	}
	return enrolmentView{URI: e.URI, QRCode: base64.StdEncoding.EncodeToString(e.QRCode)}, nil
}

type recoveryCodesView struct {
	RecoveryCodes []string     `json:"recoveryCodes"`
	Session       *sessionView `json:"session,omitempty"`
}

// confirmEnrolment checks the first code; the recovery codes are shown in
// this response only. A login held at the enrol stage becomes full.
func (h *handler) confirmEnrolment(w http.ResponseWriter, r *http.Request, p *principal, in *codeRequest) (recoveryCodesView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return recoveryCodesView{}, err
	}
	if in.Factor != "" && in.Factor != auth.MethodTOTP {
		return recoveryCodesView{}, directory.FieldErrorf(directory.CodeInvalid, "factor", "this confirms a TOTP enrolment: factor is totp or left out")
	}
	wasEnrol := p.session.Stage == directory.StageEnrol
	codes, err := h.auth.ConfirmEnrolment(r.Context(), p.session, p.user, in.Code)
	if err != nil {
		return recoveryCodesView{}, err
	}
	out := recoveryCodesView{RecoveryCodes: codes}
	if wasEnrol {
		s := viewSession("", p.session)
		out.Session = &s
		h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	}
	return out, nil
}

func (h *handler) newRecoveryCodes(w http.ResponseWriter, r *http.Request, p *principal, in *codeRequest) (recoveryCodesView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return recoveryCodesView{}, err
	}
	proof := auth.RecoveryProof{Factor: in.Factor, Code: strings.TrimSpace(in.Code), Credential: in.Credential}
	codes, err := h.auth.NewRecoveryCodesFor(r.Context(), p.session, p.user, proof)
	if err != nil {
		return recoveryCodesView{}, err
	}
	return recoveryCodesView{RecoveryCodes: codes}, nil
}

// sendRecoverySMS texts a code that, with factor sms, asks for new
// recovery codes.
func (h *handler) sendRecoverySMS(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (smsSentView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return smsSentView{}, err
	}
	s, err := h.auth.SendRecoverySMS(r.Context(), p.session, p.user)
	if err != nil {
		return smsSentView{}, err
	}
	return viewSMSSent(s), nil
}

// beginRecoveryPasskey starts the passkey ceremony whose answer, with
// factor passkey, asks for new recovery codes.
func (h *handler) beginRecoveryPasskey(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (passkeyOptionsView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return passkeyOptionsView{}, err
	}
	a, err := h.auth.BeginRecoveryPasskey(r.Context(), p.session, p.user)
	if err != nil {
		return passkeyOptionsView{}, err
	}
	return viewOptions(a)
}

func (h *handler) listAPITokens(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (apiTokenList, error) {
	tokens, err := h.dir.ListSessions(r.Context(), p.orgID(), p.user.ID, directory.SessionAPIToken)
	if err != nil {
		return apiTokenList{}, err
	}
	out := make([]apiTokenView, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, viewAPIToken(t))
	}
	return apiTokenList{Tokens: out}, nil
}

// createAPIToken makes a personal API token; its secret is in this response
// only.
func (h *handler) createAPIToken(w http.ResponseWriter, r *http.Request, p *principal, in *nameRequest) (apiTokenView, error) {
	l, err := h.auth.CreateAPIToken(r.Context(), p.user, in.Name)
	if err != nil {
		return apiTokenView{}, err
	}
	v := viewAPIToken(l.Session)
	v.Token = l.Token
	w.Header().Set("Location", Prefix+"/me/tokens/"+l.Session.ID)
	return v, nil
}

func (h *handler) revokeAPIToken(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	tokens, err := h.dir.ListSessions(r.Context(), p.orgID(), p.user.ID, directory.SessionAPIToken)
	if err != nil {
		return noBody{}, err
	}
	for _, t := range tokens {
		if t.ID == r.PathValue("id") {
			if err := h.dir.EndSession(r.Context(), p.orgID(), p.user.ID, t.ID); err != nil {
				return noBody{}, err
			}
			return noBody{}, nil
		}
	}
	return noBody{}, directory.Errorf(directory.CodeNotFound, "token %s not found", r.PathValue("id"))
}
