package console

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// Paths of the login steps after the password.
const (
	loginCodePath  = "/login/code"
	loginEnrolPath = "/login/enrol"
)

// loginData is what the login page shows.
type loginData struct {
	// Org is the organization of /o/{slug}/login; nil on /login.
	Org *directory.Org
	// SSOPath starts single sign-on with the organization's provider;
	// empty when it has none.
	SSOPath string
	Email   string
	Next    string
	// SSOAny offers the single sign-on form of /login (the server runs
	// single sign-on); SSOEmail is what it was given.
	SSOAny bool
	// Passkey: the organization lets its users sign in with a passkey
	// alone; PasskeyOrg is the slug the sign-in is for.
	Passkey    bool
	PasskeyOrg string
	SSOEmail   string
	Errors     formErrors
}

// loginOrg is the organization a login page names, nil on /login. An
// unknown slug is a 404.
func (c *Console) loginOrg(r *http.Request) (*directory.Org, error) {
	slug := r.PathValue("slug")
	if slug == "" {
		return nil, nil
	}
	org, err := c.dir.GetOrgBySlug(r.Context(), slug)
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, directory.Errorf(directory.CodeNotFound, "there is no login page at %s", r.URL.Path)
	}
	return org, err
}

func (c *Console) loginView(r *http.Request, org *directory.Org) (loginData, error) {
	d := loginData{Org: org, Next: localPath(r.FormValue("next")), Email: strings.TrimSpace(r.URL.Query().Get("email"))}
	d.SSOAny = org == nil && c.cfg.SSO
	if org != nil {
		d.PasskeyOrg = org.Slug
	}
	d.Passkey = c.auth.PasswordlessAvailable(r.Context(), d.PasskeyOrg)
	if org == nil || !c.cfg.SSO {
		return d, nil
	}
	oidc, err := c.dir.GetOIDC(r.Context(), org.ID)
	switch {
	case directory.IsCode(err, directory.CodeNotFound):
	case err != nil:
		return d, err
	case oidc.Enabled:
		d.SSOPath = admin.Prefix + "/auth/sso/" + org.Slug + "/start"
	}
	return d, nil
}

// loginPage is /login and /o/{slug}/login. A signed-in user goes home.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session != nil {
		http.Redirect(w, r, stagePage(rq.session.Stage), http.StatusSeeOther)
		return nil
	}
	org, err := c.loginOrg(r)
	if err != nil {
		return err
	}
	d, err := c.loginView(r, org)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "login", d)
}

// loginSubmit checks the email and password. Every failure shows the same
// message, whether the organization or the account exists or not.
func (c *Console) loginSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.loginOrg(r)
	if err != nil {
		return err
	}
	d, err := c.loginView(r, org)
	if err != nil {
		return err
	}
	d.Email = strings.TrimSpace(r.PostFormValue("email"))
	if err := c.limit(w, "login:"+strings.ToLower(d.Email)); err != nil {
		return err
	}
	slug := ""
	if org != nil {
		slug = org.Slug
	}
	l, err := c.auth.PasswordLogin(r.Context(), slug, d.Email, r.PostFormValue("password"))
	if directory.IsCode(err, directory.CodeUnauthorized) {
		d.Errors = formErrors{"": "The email or the password is wrong."}
		return c.render(w, r, rq, http.StatusUnauthorized, "login", d)
	}
	if err != nil {
		return err
	}
	c.setSessionCookie(w, l.Token, l.Session.ExpiresAt)
	target := stagePage(l.Session.Stage)
	if l.Session.Stage == directory.StageFull {
		target = d.Next
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// ssoDiscover is the single sign-on form of /login: it finds the
// organization that verified the email's domain and sends the browser to
// its login page, which offers its provider (a link: the pages' CSP lets
// forms post to Roster only, and a provider is elsewhere). Like the API's
// discovery it tells which organization owns a domain, nothing of
// accounts.
func (c *Console) ssoDiscover(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !c.cfg.SSO {
		return directory.Errorf(directory.CodeNotFound, "single sign-on is not enabled on this server")
	}
	d := loginData{Next: localPath(r.PostFormValue("next")), SSOEmail: strings.TrimSpace(r.PostFormValue("email")), SSOAny: true}
	domain := directory.EmailDomain(d.SSOEmail)
	if domain == "" {
		d.Errors = formErrors{"sso": "Type your work email address."}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "login", d)
	}
	org, err := c.dir.FindOrgByDomain(r.Context(), domain)
	if err == nil {
		var v loginData
		if v, err = c.loginView(r, org); err == nil && v.SSOPath != "" {
			http.Redirect(w, r, "/o/"+url.PathEscape(org.Slug)+"/login?email="+url.QueryEscape(d.SSOEmail), http.StatusSeeOther)
			return nil
		}
	}
	if err != nil && !directory.IsCode(err, directory.CodeNotFound) {
		return err
	}
	d.Errors = formErrors{"sso": "Single sign-on is not set up for " + domain + "; sign in with your password, or use your organization's login page."}
	return c.render(w, r, rq, http.StatusUnprocessableEntity, "login", d)
}

// atSecondStep reports whether rq's login waits for its second factor;
// any other login is sent to the page of its own stage.
func atSecondStep(w http.ResponseWriter, r *http.Request, rq *request) bool {
	if rq.session.Stage != directory.StageMFA {
		http.Redirect(w, r, stagePage(rq.session.Stage), http.StatusSeeOther)
		return false
	}
	return true
}

type codeData struct {
	// Factors are those the user may complete the login with.
	Factors auth.Factors
	Errors  formErrors
}

// codePage asks for the TOTP code (or a recovery code) of a login.
func (c *Console) codePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !atSecondStep(w, r, rq) {
		return nil
	}
	f, err := c.auth.FactorsOf(r.Context(), rq.user)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "code", codeData{Factors: f})
}

func (c *Console) codeSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !atSecondStep(w, r, rq) {
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	recovery := strings.TrimSpace(r.PostFormValue("recovery_code"))
	f, err := c.auth.FactorsOf(r.Context(), rq.user)
	if err != nil {
		return err
	}
	if code == "" && recovery == "" {
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "code",
			codeData{Factors: f, Errors: formErrors{"code": "Type the code your authenticator app shows."}})
	}
	if code != "" {
		recovery = ""
	}
	err = c.auth.VerifySecondFactor(r.Context(), rq.session, rq.user, code, recovery)
	if directory.IsCode(err, directory.CodeUnauthorized) || directory.IsCode(err, directory.CodeInvalid) {
		return c.render(w, r, rq, http.StatusUnauthorized, "code",
			codeData{Factors: f, Errors: formErrors{"code": "This code is not valid; type the newest one."}})
	}
	if err != nil {
		return err
	}
	c.setSessionCookie(w, rq.token, rq.session.ExpiresAt)
	http.Redirect(w, r, homePath, http.StatusSeeOther)
	return nil
}

// enrolData shows a new TOTP seed: as a QR code and as text.
type enrolData struct {
	// TOTP: an authenticator app may be set up (QR, Secret and URI).
	TOTP   bool
	QR     template.URL
	Secret string
	URI    string
	// SMS: SMS codes may be set up instead; Passkey: a passkey may be
	// registered instead; Next is where to go then.
	SMS     bool
	Passkey bool
	Next    string
	Errors  formErrors
}

// enrolView draws the enrolment of an otpauth:// URI.
func enrolView(uri string) (enrolData, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return enrolData{}, directory.Internal(err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return enrolData{}, directory.Internal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return enrolData{}, directory.Internal(err)
	}
	// #nosec G203 -- a data: URI of a PNG made here.
	qr := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	return enrolData{TOTP: true, QR: qr, Secret: key.Secret(), URI: uri}, nil
}

// enrolPage starts TOTP enrolment: at the first login of a user whom MFA
// is required of, or from My account.
func (c *Console) enrolPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session.Stage == directory.StageMFA {
		http.Redirect(w, r, loginCodePath, http.StatusSeeOther)
		return nil
	}
	f, err := c.auth.FactorsOf(r.Context(), rq.user)
	if err != nil {
		return err
	}
	// An organization that allows SMS codes but neither TOTP nor passkeys
	// enrols by SMS.
	if !f.CanEnrolTOTP && !f.CanEnrolPasskey && f.CanEnrolSMS {
		http.Redirect(w, r, loginEnrolSMSPath, http.StatusSeeOther)
		return nil
	}
	var d enrolData
	if f.CanEnrolTOTP || !f.CanEnrolPasskey {
		e, err := c.auth.BeginEnrolment(r.Context(), rq.session, rq.user)
		if err != nil {
			return err
		}
		if d, err = enrolView(e.URI); err != nil {
			return err
		}
	}
	d.Passkey, d.Next = f.CanEnrolPasskey, accountPath
	if rq.session.Stage == directory.StageEnrol {
		d.Next = homePath
	}
	d.SMS = f.CanEnrolSMS
	return c.render(w, r, rq, http.StatusOK, "enrol", d)
}

type recoveryData struct {
	Codes []string
	// Back is where the page leads once the codes are kept: home after a
	// login, My account from there.
	Back string
}

// enrolSubmit confirms the seed with a first code and shows the recovery
// codes, once.
func (c *Console) enrolSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session.Stage == directory.StageMFA {
		http.Redirect(w, r, loginCodePath, http.StatusSeeOther)
		return nil
	}
	if err := c.limit(w, "mfa:"+rq.user.ID); err != nil {
		return err
	}
	wasEnrol := rq.session.Stage == directory.StageEnrol
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	codes, err := c.auth.ConfirmEnrolment(r.Context(), rq.session, rq.user, code)
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		// The seed waiting for its first code is the one the form shows.
		d, err := enrolView(r.PostFormValue("uri"))
		if err != nil {
			return c.redirect(w, r, loginEnrolPath, "")
		}
		if f, err := c.auth.FactorsOf(r.Context(), rq.user); err == nil {
			d.SMS, d.Passkey, d.Next = f.CanEnrolSMS, f.CanEnrolPasskey, accountPath
			if wasEnrol {
				d.Next = homePath
			}
		}
		d.Errors = formErrors{"code": fe[firstKey(fe)]}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "enrol", d)
	}
	if wasEnrol {
		c.setSessionCookie(w, rq.token, rq.session.ExpiresAt)
	}
	rq.session.Stage = directory.StageFull
	back := homePath
	if !wasEnrol {
		back = accountPath
	}
	return c.render(w, r, rq, http.StatusOK, "recovery", recoveryData{Codes: codes, Back: back})
}

// firstKey is a key of a one-entry map.
func firstKey(m formErrors) string {
	for k := range m {
		return k
	}
	return ""
}
