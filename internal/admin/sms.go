package admin

import (
	"net/http"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

type smsEnrolRequest struct {
	// Phone is the number to confirm, in international form or in the
	// organization's phone region; empty: the profile's phone.
	Phone string `json:"phone"`
}

type smsCodeRequest struct {
	Code string `json:"code"`
}

// smsSentView tells where a code went: the number masked, when the code
// expires, and how many more codes may be sent this hour.
type smsSentView struct {
	Phone     string    `json:"phone"`
	ExpiresAt time.Time `json:"expiresAt"`
	SendsLeft int       `json:"sendsLeft"`
}

func viewSMSSent(s *auth.SMSSent) smsSentView {
	return smsSentView{Phone: s.Phone, ExpiresAt: s.ExpiresAt, SendsLeft: s.SendsLeft}
}

// sendLoginSMS texts a code to the phone of a login waiting for its
// second factor.
func (h *handler) sendLoginSMS(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (smsSentView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return smsSentView{}, err
	}
	s, err := h.auth.SendLoginCode(r.Context(), p.session, p.user)
	if err != nil {
		return smsSentView{}, err
	}
	return viewSMSSent(s), nil
}

// verifyLoginSMS completes a login with a texted code.
func (h *handler) verifyLoginSMS(w http.ResponseWriter, r *http.Request, p *principal, in *smsCodeRequest) (sessionView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return sessionView{}, err
	}
	if err := h.auth.VerifySMSCode(r.Context(), p.session, p.user, in.Code); err != nil {
		return sessionView{}, err
	}
	h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	return viewSession("", p.session), nil
}

// beginSMSEnrolment texts a code to confirm a phone number, for a
// signed-in user or a login held at the enrol stage.
func (h *handler) beginSMSEnrolment(w http.ResponseWriter, r *http.Request, p *principal, in *smsEnrolRequest) (smsSentView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return smsSentView{}, err
	}
	s, err := h.auth.BeginSMSEnrolment(r.Context(), p.session, p.user, in.Phone)
	if err != nil {
		return smsSentView{}, err
	}
	return viewSMSSent(s), nil
}

// confirmSMSEnrolment checks the texted code. A user that had no
// recovery codes gets them in this response only. A login held at the
// enrol stage becomes full.
func (h *handler) confirmSMSEnrolment(w http.ResponseWriter, r *http.Request, p *principal, in *smsCodeRequest) (recoveryCodesView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return recoveryCodesView{}, err
	}
	wasEnrol := p.session.Stage == directory.StageEnrol
	codes, err := h.auth.ConfirmSMSEnrolment(r.Context(), p.session, p.user, in.Code)
	if err != nil {
		return recoveryCodesView{}, err
	}
	out := recoveryCodesView{RecoveryCodes: codes}
	if out.RecoveryCodes == nil {
		out.RecoveryCodes = []string{}
	}
	if wasEnrol {
		s := viewSession("", p.session)
		out.Session = &s
		h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	}
	return out, nil
}
