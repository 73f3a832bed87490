package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// Paths of the password pages. The emailed links (internal/mail) point at
// setPasswordPath and resetPasswordPath with ?token=.
const (
	forgotPath        = "/forgot-password"
	setPasswordPath   = "/set-password"
	resetPasswordPath = "/reset-password"
	passwordCheckPath = "/password/check"
)

// resetTimeout bounds the background work of a forgotten password.
const resetTimeout = time.Minute

type forgotData struct {
	Org    string
	Email  string
	Sent   bool
	Errors formErrors
}

// forgotPage asks for the login email to send a reset link to.
func (c *Console) forgotPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.render(w, r, rq, http.StatusOK, "forgot", forgotData{Org: r.FormValue("org")})
}

// forgotSubmit answers the same whether the email belongs to an account
// or not, and sends the email after answering, so that neither the page
// nor its timing tells.
func (c *Console) forgotSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	d := forgotData{Org: strings.TrimSpace(r.PostFormValue("org")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	if err := directory.ValidateEmail("email", d.Email); err != nil {
		d.Errors = formErrors{"email": "Type the email address you sign in with."}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "forgot", d)
	}
	if err := c.limit(w, "forgot:"+strings.ToLower(d.Email)); err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	org, email := d.Org, d.Email
	c.background.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, resetTimeout)
		defer cancel()
		c.cfg.SendReset(ctx, org, email)
	})
	d.Sent = true
	return c.render(w, r, rq, http.StatusOK, "forgot", d)
}

// passwordData is the page behind an emailed link.
type passwordData struct {
	Token   string
	Reset   bool // a reset link rather than an invitation
	User    string
	Expires time.Time
	Policy  []string
	// Unmet are the rules of the policy the typed password misses (the
	// live check's answer).
	Unmet   []string
	Checked bool
	Errors  formErrors
	// LoginPath is the organization's login page, once the password is set.
	LoginPath string
	Done      bool
}

// peek finds the usable link of the request's token, without spending it.
// A link that is unknown, spent or expired is the error page's 404.
func (c *Console) peek(r *http.Request) (*directory.Link, *directory.User, *directory.Org, string, error) {
	token := strings.TrimSpace(r.FormValue("token"))
	if !strings.HasPrefix(token, auth.PrefixLink) {
		return nil, nil, nil, "", directory.Errorf(directory.CodeNotFound, "this link is not valid any more; ask for a new one")
	}
	l, u, org, err := c.dir.PeekLink(r.Context(), auth.HashSecret(token))
	return l, u, org, token, err
}

// passwordPage is /set-password and /reset-password: who the link is
// for, until when it works, and the organization's password policy.
func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	l, u, org, token, err := c.peek(r)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "password", passwordData{
		Token: token, Reset: l.Purpose == directory.LinkPasswordReset, User: loginName(u),
		Expires: l.ExpiresAt, Policy: policyRules(org.Settings.PasswordPolicy),
	})
}

// passwordSubmit sets the password through the link, once.
func (c *Console) passwordSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.limit(w, "link:"+clientIP(r)); err != nil {
		return err
	}
	l, u, org, token, err := c.peek(r)
	if err != nil {
		return err
	}
	d := passwordData{Token: token, Reset: l.Purpose == directory.LinkPasswordReset, User: loginName(u),
		Expires: l.ExpiresAt, Policy: policyRules(org.Settings.PasswordPolicy)}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		d.Errors = formErrors{"confirm": "The two passwords differ."}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "password", d)
	}
	if _, err := c.auth.UseLink(r.Context(), token, password); err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		d.Errors = formErrors{"password": fe[firstKey(fe)]}
		d.Unmet, d.Checked = unmetRules(password, org.Settings.PasswordPolicy), true
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "password", d)
	}
	d.Done, d.LoginPath = true, "/o/"+org.Slug+"/login"
	return c.render(w, r, rq, http.StatusOK, "password", d)
}

// passwordCheck is the live check of a password being typed against the
// policy of the link's organization, or of the signed-in user's: the part
// of the page that lists the rules, each met or not.
func (c *Console) passwordCheck(w http.ResponseWriter, r *http.Request, rq *request) error {
	var policy directory.PasswordPolicy
	switch {
	case r.PostFormValue("token") != "":
		_, _, org, _, err := c.peek(r)
		if err != nil {
			return err
		}
		policy = org.Settings.PasswordPolicy
	case rq.signedIn():
		org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
		if err != nil {
			return err
		}
		policy = org.Settings.PasswordPolicy
	default:
		return directory.Errorf(directory.CodeNotFound, "this link is not valid any more; ask for a new one")
	}
	field := r.PostFormValue("field")
	if field == "" {
		field = "password"
	}
	d := passwordData{Policy: policyRules(policy), Unmet: unmetRules(r.PostFormValue(field), policy), Checked: true}
	return c.renderFragment(w, r, rq, http.StatusOK, "password", "policy", d)
}

// loginName is how a page names the account a link is for.
func loginName(u *directory.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.UserName
}

// policyRules lists a password policy as the pages show it.
func policyRules(p directory.PasswordPolicy) []string {
	var out []string
	if p.MinLength > 0 {
		out = append(out, fmt.Sprintf("at least %d characters", p.MinLength))
	}
	if p.RequireUpper {
		out = append(out, "an upper-case letter")
	}
	if p.RequireLower {
		out = append(out, "a lower-case letter")
	}
	if p.RequireDigit {
		out = append(out, "a digit")
	}
	if p.RequireSymbol {
		out = append(out, "a symbol")
	}
	return out
}

// unmetRules are the rules of policyRules that password misses, by the
// same checks as auth.CheckPasswordPolicy, one rule at a time.
func unmetRules(password string, p directory.PasswordPolicy) []string {
	var out []string
	one := func(rule string, only directory.PasswordPolicy) {
		if auth.CheckPasswordPolicy(password, only) != nil {
			out = append(out, rule)
		}
	}
	if p.MinLength > 0 {
		one(fmt.Sprintf("at least %d characters", p.MinLength), directory.PasswordPolicy{MinLength: p.MinLength})
	}
	if p.RequireUpper {
		one("an upper-case letter", directory.PasswordPolicy{RequireUpper: true})
	}
	if p.RequireLower {
		one("a lower-case letter", directory.PasswordPolicy{RequireLower: true})
	}
	if p.RequireDigit {
		one("a digit", directory.PasswordPolicy{RequireDigit: true})
	}
	if p.RequireSymbol {
		one("a symbol", directory.PasswordPolicy{RequireSymbol: true})
	}
	return out
}
