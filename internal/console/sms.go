package console

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// Paths of the SMS code pages: a login's second step, and enrolment (at
// the first login or from My account).
const (
	loginSMSPath      = "/login/sms"
	loginEnrolSMSPath = "/login/enrol/sms"
)

// smsData is the page of a texted code: enrolment asks for a number first.
type smsData struct {
	Enrol bool
	// Phone is the number typed (enrolment).
	Phone string
	// Sent says where the last code went, masked, and what is left.
	Sent   *auth.SMSSent
	Errors formErrors
}

// smsSendError turns a refused send into the page's message, or returns
// the error when it is no refusal.
func smsSendError(err error) (formErrors, error) {
	switch directory.ErrorCode(err) {
	case directory.CodeRateLimited, directory.CodeInvalid, directory.CodeConflict, directory.CodeUnavailable:
		field := "send"
		if fe, ferr := formError(err); ferr == nil && fe["phone"] != "" {
			return fe, nil
		}
		return formErrors{field: directory.ErrorMessage(err)}, nil
	}
	return nil, err
}

// loginSMSPage offers to text a code to a login waiting for its second
// factor.
func (c *Console) loginSMSPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !atSecondStep(w, r, rq) {
		return nil
	}
	return c.render(w, r, rq, http.StatusOK, "sms", smsData{})
}

// loginSMSSend texts the code (again).
func (c *Console) loginSMSSend(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !atSecondStep(w, r, rq) {
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	sent, err := c.auth.SendLoginCode(r.Context(), rq.session, rq.user)
	if err != nil {
		fe, err := smsSendError(err)
		if err != nil {
			return err
		}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "sms", smsData{Errors: fe})
	}
	return c.render(w, r, rq, http.StatusOK, "sms", smsData{Sent: sent})
}

// loginSMSSubmit completes the login with the texted code.
func (c *Console) loginSMSSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !atSecondStep(w, r, rq) {
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	err := c.auth.VerifySMSCode(r.Context(), rq.session, rq.user, r.PostFormValue("code"))
	if directory.IsCode(err, directory.CodeUnauthorized) || directory.IsCode(err, directory.CodeInvalid) {
		return c.render(w, r, rq, http.StatusUnauthorized, "sms",
			smsData{Errors: formErrors{"code": "This code is not valid; type the newest one, or ask for a new one."}})
	}
	if err != nil {
		return err
	}
	c.setSessionCookie(w, rq.token, rq.session.ExpiresAt)
	http.Redirect(w, r, homePath, http.StatusSeeOther)
	return nil
}

// enrolSMSPage asks for the number to text codes to, the profile's phone
// offered.
func (c *Console) enrolSMSPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session.Stage == directory.StageMFA {
		http.Redirect(w, r, loginCodePath, http.StatusSeeOther)
		return nil
	}
	return c.render(w, r, rq, http.StatusOK, "sms", smsData{Enrol: true, Phone: rq.user.Phone})
}

// enrolSMSSend texts a code to confirm the number.
func (c *Console) enrolSMSSend(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session.Stage == directory.StageMFA {
		http.Redirect(w, r, loginCodePath, http.StatusSeeOther)
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	phone := strings.TrimSpace(r.PostFormValue("phone"))
	d := smsData{Enrol: true, Phone: phone}
	sent, err := c.auth.BeginSMSEnrolment(r.Context(), rq.session, rq.user, phone)
	if err != nil {
		if d.Errors, err = smsSendError(err); err != nil {
			return err
		}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "sms", d)
	}
	d.Sent = sent
	return c.render(w, r, rq, http.StatusOK, "sms", d)
}

// enrolSMSSubmit confirms the number with the texted code, and shows
// recovery codes once when the user had none.
func (c *Console) enrolSMSSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session.Stage == directory.StageMFA {
		http.Redirect(w, r, loginCodePath, http.StatusSeeOther)
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	wasEnrol := rq.session.Stage == directory.StageEnrol
	codes, err := c.auth.ConfirmSMSEnrolment(r.Context(), rq.session, rq.user, r.PostFormValue("code"))
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		d := smsData{Enrol: true, Phone: r.PostFormValue("phone"), Errors: formErrors{"code": fe[firstKey(fe)]}}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "sms", d)
	}
	if wasEnrol {
		c.setSessionCookie(w, rq.token, rq.session.ExpiresAt)
	}
	rq.session.Stage = directory.StageFull
	back := homePath
	if !wasEnrol {
		back = accountPath
	}
	if len(codes) == 0 {
		return c.redirect(w, r, back, "Text message codes are on.")
	}
	return c.render(w, r, rq, http.StatusOK, "recovery", recoveryData{Codes: codes, Back: back})
}
