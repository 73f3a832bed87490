package console

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// My account: every signed-in user's profile, password, second factor,
// sessions and personal API tokens, through the use cases of /api/v1/me.

// accountData is the My account page.
type accountData struct {
	Profile *directory.User
	Local   bool // signs in with a password (not single sign-on)
	Policy  []string
	MFA     *directory.MFAState
	MFAOn   bool // the organization's policy lets users use TOTP
	// SMSOn: the organization allows SMS codes and the server can send
	// them; SMSPhone is the user's number, masked, SMSEnrolled whether a
	// code confirmed it.
	SMSOn       bool
	SMSPhone    string
	SMSEnrolled bool
	// Passkeys are the user's; PasskeysOn says it may add more.
	Passkeys   []*directory.Passkey
	PasskeysOn bool
	// Factors are the user's second factors it may use now: each may
	// prove it is the user for new recovery codes; RecoverySent says
	// where a code for that went.
	Factors      auth.Factors
	RecoverySent *auth.SMSSent
	Sessions     []*directory.Session
	Current      string // the id of this browser's session
	Tokens       []*directory.Session
	// NewToken is a token just made, shown this once.
	NewToken string
	// Errors by form: "profile", "password", "recovery", "token".
	Errors map[string]formErrors
}

func (c *Console) accountView(r *http.Request, rq *request) (*accountData, error) {
	ctx, u := r.Context(), rq.user
	org, err := c.dir.GetOrg(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	m, err := c.dir.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	sessions, err := c.dir.ListSessions(ctx, u.OrgID, u.ID, directory.SessionLogin)
	if err != nil {
		return nil, err
	}
	tokens, err := c.dir.ListSessions(ctx, u.OrgID, u.ID, directory.SessionAPIToken)
	if err != nil {
		return nil, err
	}
	phone, err := c.dir.GetSMSPhone(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	keys, err := c.auth.ListPasskeys(ctx, u)
	if err != nil {
		return nil, err
	}
	f, err := c.auth.FactorsOf(ctx, u)
	if err != nil {
		return nil, err
	}
	d := &accountData{
		Passkeys: keys, PasskeysOn: f.CanEnrolPasskey, Factors: f,
		Profile: u, Local: u.AuthMethod == directory.AuthLocal, Policy: policyRules(org.Settings.PasswordPolicy),
		MFA: m, MFAOn: org.Settings.MFAPolicy != directory.MFAOff || m.Required,
		Sessions: sessions, Current: rq.session.ID, Tokens: tokens, Errors: map[string]formErrors{},
		SMSOn: org.Settings.Allows(directory.FactorSMS) && c.auth.SMSAvailable(),
	}
	if phone.Enrolled() {
		d.SMSPhone, d.SMSEnrolled = directory.MaskPhone(phone.Phone), true
	}
	return d, nil
}

// account shows My account.
func (c *Console) account(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.accountView(r, rq)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "account", d)
}

// accountFailed shows My account again with the message of a form the
// user can correct; other errors go to the error page.
func (c *Console) accountFailed(w http.ResponseWriter, r *http.Request, rq *request, form string, err error) error {
	fe, err := formError(err)
	if err != nil {
		return err
	}
	d, err := c.accountView(r, rq)
	if err != nil {
		return err
	}
	d.Errors[form] = fe
	return c.render(w, r, rq, http.StatusUnprocessableEntity, "account", d)
}

// formText is a form field as an edit: nil when the form lacks it.
func formText(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostFormValue(name))
	return &v
}

func (c *Console) accountProfile(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return directory.Errorf(directory.CodeInvalid, "the form could not be read")
	}
	edit := admin.ProfileEdit{
		GivenName: formText(r, "givenName"), FamilyName: formText(r, "familyName"),
		DisplayName: formText(r, "displayName"), Phone: formText(r, "phone"), Title: formText(r, "title"),
	}
	actor := directory.Actor{Kind: directory.ActorUser, ID: rq.user.ID, Name: rq.user.UserName}
	u, err := c.dir.UpdateUser(r.Context(), actor, rq.user.OrgID, rq.user.ID, 0, edit.Apply)
	if err != nil {
		if directory.IsCode(err, directory.CodeForbidden) {
			// A field its directory manages: the user's to read, not a fault.
			d := apijson.Detail(err)
			err = directory.FieldErrorf(directory.CodeInvalid, d.Field, "%s", d.Message)
		}
		return c.accountFailed(w, r, rq, "profile", err)
	}
	rq.user = u
	return c.redirect(w, r, accountPath, "Your profile is saved.")
}

func (c *Console) accountPassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.limit(w, "password:"+rq.user.ID); err != nil {
		return err
	}
	if rq.user.AuthMethod != directory.AuthLocal {
		return directory.Errorf(directory.CodeInvalid, "you sign in through single sign-on and have no password")
	}
	next := r.PostFormValue("newPassword")
	if next != r.PostFormValue("confirm") {
		return c.accountFailed(w, r, rq, "password", directory.FieldErrorf(directory.CodeInvalid, "confirm", "The two new passwords differ."))
	}
	if err := c.auth.ChangePassword(r.Context(), rq.session, rq.user, r.PostFormValue("currentPassword"), next); err != nil {
		return c.accountFailed(w, r, rq, "password", err)
	}
	return c.redirect(w, r, accountPath, "Your password is changed.")
}

// accountRecoveryCodes replaces the recovery codes after a current TOTP
// code, or a code texted by accountRecoverySMS (factor sms), and shows the
// new ones once. A passkey proves itself through the API (passkey.js).
func (c *Console) accountRecoveryCodes(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	proof := auth.RecoveryProof{Factor: r.PostFormValue("factor"), Code: code}
	if proof.Factor == auth.MethodPasskey { // the passkey's answer goes through the API (passkey.js)
		return directory.Errorf(directory.CodeInvalid, "a passkey is checked by the browser: use the passkey button")
	}
	codes, err := c.auth.NewRecoveryCodesFor(r.Context(), rq.session, rq.user, proof)
	if directory.IsCode(err, directory.CodeUnauthorized) {
		err = directory.FieldErrorf(directory.CodeInvalid, "code", "This code is not valid; type the newest one.")
	}
	if err != nil {
		return c.accountFailed(w, r, rq, "recovery", err)
	}
	return c.render(w, r, rq, http.StatusOK, "recovery", recoveryData{Codes: codes, Back: accountPath})
}

// accountRecoverySMS texts a code to ask for new recovery codes with, and
// shows My account with the form to type it.
func (c *Console) accountRecoverySMS(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	sent, err := c.auth.SendRecoverySMS(r.Context(), rq.session, rq.user)
	if err != nil {
		fe, err := smsSendError(err)
		if err != nil {
			return err
		}
		d, err := c.accountView(r, rq)
		if err != nil {
			return err
		}
		d.Errors["recovery"] = fe
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "account", d)
	}
	d, err := c.accountView(r, rq)
	if err != nil {
		return err
	}
	d.RecoverySent = sent
	return c.render(w, r, rq, http.StatusOK, "account", d)
}

// accountEndSession ends one of the user's login sessions (this one signs
// the browser out).
func (c *Console) accountEndSession(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.endOwn(w, r, rq, directory.SessionLogin, r.PathValue("id"), "The session is ended.")
}

// accountEndOthers ends every login session of the user but this one.
func (c *Console) accountEndOthers(w http.ResponseWriter, r *http.Request, rq *request) error {
	sessions, err := c.dir.ListSessions(r.Context(), rq.user.OrgID, rq.user.ID, directory.SessionLogin)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.ID == rq.session.ID {
			continue
		}
		if err := c.dir.EndSession(r.Context(), rq.user.OrgID, rq.user.ID, s.ID); err != nil {
			return err
		}
	}
	return c.redirect(w, r, accountPath, "Your other sessions are ended.")
}

func (c *Console) accountCreateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.limit(w, "token:"+rq.user.ID); err != nil {
		return err
	}
	l, err := c.auth.CreateAPIToken(r.Context(), rq.user, r.PostFormValue("name"))
	if err != nil {
		return c.accountFailed(w, r, rq, "token", err)
	}
	d, err := c.accountView(r, rq)
	if err != nil {
		return err
	}
	d.NewToken = l.Token
	return c.render(w, r, rq, http.StatusOK, "account", d)
}

func (c *Console) accountRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.endOwn(w, r, rq, directory.SessionAPIToken, r.PathValue("id"), "The token is revoked.")
}

// endOwn ends a session of kind that belongs to the user; another user's
// id, or one of the other kind, is not found.
func (c *Console) endOwn(w http.ResponseWriter, r *http.Request, rq *request, kind directory.SessionKind, id, message string) error {
	sessions, err := c.dir.ListSessions(r.Context(), rq.user.OrgID, rq.user.ID, kind)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.ID != id {
			continue
		}
		if err := c.dir.EndSession(r.Context(), rq.user.OrgID, rq.user.ID, s.ID); err != nil {
			return err
		}
		if s.ID == rq.session.ID {
			c.clearCookie(w, admin.SessionCookie)
			return c.redirect(w, r, loginPath, "You are signed out.")
		}
		return c.redirect(w, r, accountPath, message)
	}
	return directory.Errorf(directory.CodeNotFound, "you have no such session or token")
}

// accountRenamePasskey renames one of the user's passkeys.
func (c *Console) accountRenamePasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := c.auth.RenamePasskey(r.Context(), rq.session, rq.user, r.PathValue("id"), r.PostFormValue("name")); err != nil {
		if directory.IsCode(err, directory.CodeNotFound) {
			return err
		}
		return c.accountFailed(w, r, rq, "passkeys", err)
	}
	return c.redirect(w, r, accountPath+"#passkeys", "The passkey is renamed.")
}

// accountRemovePasskey removes one of the user's passkeys (not its last
// second factor while one is required).
func (c *Console) accountRemovePasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.auth.RemovePasskey(r.Context(), rq.session, rq.user, r.PathValue("id")); err != nil {
		if directory.IsCode(err, directory.CodeNotFound) {
			return err
		}
		return c.accountFailed(w, r, rq, "passkeys", err)
	}
	return c.redirect(w, r, accountPath+"#passkeys", "The passkey is removed.")
}
