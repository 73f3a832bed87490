package admin

import (
	"encoding/base64"
	"net/http"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

func (h *handler) me(w http.ResponseWriter, r *http.Request, p *principal) error {
	return h.writeUser(w, r, http.StatusOK, p.user)
}

// profilePatch is what users may change of themselves.
type profilePatch struct {
	GivenName   *string `json:"givenName"`
	FamilyName  *string `json:"familyName"`
	DisplayName *string `json:"displayName"`
	Phone       *string `json:"phone"`
	Title       *string `json:"title"`
}

func (h *handler) patchMe(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in profilePatch
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	patch := userPatch{GivenName: in.GivenName, FamilyName: in.FamilyName, DisplayName: in.DisplayName, Phone: in.Phone, Title: in.Title}
	u, err := h.dir.UpdateUser(r.Context(), p.actor(false), p.orgID(), p.user.ID, 0, patch.apply)
	if err != nil {
		return err
	}
	return h.writeUser(w, r, http.StatusOK, u)
}

type passwordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in passwordChange
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	if err := h.limit(w, "password:"+p.user.ID); err != nil {
		return err
	}
	if p.user.AuthMethod != directory.AuthLocal {
		return directory.Errorf(directory.CodeInvalid, "you sign in through single sign-on and have no password")
	}
	if err := h.auth.ChangePassword(r.Context(), p.user, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) myMFA(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := h.dir.GetMFA(r.Context(), p.orgID(), p.user.ID)
	if err != nil {
		return err
	}
	apijson.Write(w, http.StatusOK, viewMFA(m))
	return nil
}

type enrolmentView struct {
	// URI is the otpauth:// URI for authenticator apps; it holds the seed.
	URI string `json:"uri"`
	// QRCode is the URI as a base64 PNG image.
	QRCode string `json:"qrCode"`
}

// beginEnrolment starts TOTP enrolment, for a signed-in user or a login
// that the MFA policy holds at the enrol stage.
func (h *handler) beginEnrolment(w http.ResponseWriter, r *http.Request, p *principal) error {
	e, err := h.auth.BeginEnrolment(r.Context(), p.session, p.user)
	if err != nil {
		return err
	}
	apijson.Write(w, http.StatusOK, enrolmentView{URI: e.URI, QRCode: base64.StdEncoding.EncodeToString(e.QRCode)})
	return nil
}

type recoveryCodesView struct {
	RecoveryCodes []string     `json:"recoveryCodes"`
	Session       *sessionView `json:"session,omitempty"`
}

// confirmEnrolment checks the first code; the recovery codes are shown in
// this response only. A login held at the enrol stage becomes full.
func (h *handler) confirmEnrolment(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in codeRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return err
	}
	wasEnrol := p.session.Stage == directory.StageEnrol
	codes, err := h.auth.ConfirmEnrolment(r.Context(), p.session, p.user, in.Code)
	if err != nil {
		return err
	}
	out := recoveryCodesView{RecoveryCodes: codes}
	if wasEnrol {
		s := viewSession("", p.session)
		out.Session = &s
		h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	}
	apijson.Write(w, http.StatusOK, out)
	return nil
}

func (h *handler) newRecoveryCodes(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in codeRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return err
	}
	codes, err := h.auth.NewRecoveryCodesFor(r.Context(), p.user, in.Code)
	if err != nil {
		return err
	}
	apijson.Write(w, http.StatusOK, recoveryCodesView{RecoveryCodes: codes})
	return nil
}

func (h *handler) listAPITokens(w http.ResponseWriter, r *http.Request, p *principal) error {
	tokens, err := h.dir.ListSessions(r.Context(), p.orgID(), p.user.ID, directory.SessionAPIToken)
	if err != nil {
		return err
	}
	out := make([]apiTokenView, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, viewAPIToken(t))
	}
	apijson.Write(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// createAPIToken makes a personal API token; its secret is in this response
// only.
func (h *handler) createAPIToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in nameRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	l, err := h.auth.CreateAPIToken(r.Context(), p.user, in.Name)
	if err != nil {
		return err
	}
	v := viewAPIToken(l.Session)
	v.Token = l.Token
	w.Header().Set("Location", Prefix+"/me/tokens/"+l.Session.ID)
	apijson.Write(w, http.StatusCreated, v)
	return nil
}

func (h *handler) revokeAPIToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	tokens, err := h.dir.ListSessions(r.Context(), p.orgID(), p.user.ID, directory.SessionAPIToken)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.ID == r.PathValue("id") {
			if err := h.dir.EndSession(r.Context(), p.orgID(), p.user.ID, t.ID); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return directory.Errorf(directory.CodeNotFound, "token %s not found", r.PathValue("id"))
}
