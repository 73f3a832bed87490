package mail

import (
	"net/url"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Pages of the public URL that emails link to.
const (
	loginPage         = "/login"
	setPasswordPage   = "/set-password"
	resetPasswordPage = "/reset-password"
)

// Composer builds every email Roster sends from domain facts: it makes the
// links under the public URL, fills the template data and renders the
// message. Callers say who and what; they never build a link or fill a template.
type Composer struct {
	templates *templateSet
	publicURL string // without a trailing slash
	product   string
}

// NewComposer returns a composer whose links point under publicURL and
// whose emails are signed by product (empty: "Roster").
func NewComposer(publicURL, product string) (*Composer, error) {
	t, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	if product == "" {
		product = "Roster"
	}
	return &Composer{templates: t, publicURL: strings.TrimRight(publicURL, "/"), product: product}, nil
}

// Invitation asks u, created in org, to choose a password through the
// one-time link of token, which works until expires.
func (c *Composer) Invitation(org *directory.Org, u *directory.User, token string, expires time.Time) (Message, error) {
	d := c.data(org, u)
	d.Link, d.LinkExpires = c.tokenLink(setPasswordPage, token), expires
	return c.render(Invitation, u, d)
}

// PasswordReset carries the one-time link of token, which works until
// expires, for u to choose a new password.
func (c *Composer) PasswordReset(org *directory.Org, u *directory.User, token string, expires time.Time) (Message, error) {
	d := c.data(org, u)
	d.Link, d.LinkExpires = c.tokenLink(resetPasswordPage, token), expires
	return c.render(PasswordReset, u, d)
}

// PasswordSet tells u its password (empty: the administrator will tell it)
// and where to log in.
func (c *Composer) PasswordSet(org *directory.Org, u *directory.User, password string) (Message, error) {
	d := c.data(org, u)
	d.Password, d.LoginURL = password, c.publicURL+loginPage
	return c.render(PasswordSet, u, d)
}

// Unlocked tells u, whose lockout an admin lifted, the new password the
// admin set and where to log in.
func (c *Composer) Unlocked(org *directory.Org, u *directory.User, password string) (Message, error) {
	d := c.data(org, u)
	d.Password, d.LoginURL = password, c.publicURL+loginPage
	return c.render(Unlocked, u, d)
}

// Lockout tells u that its u.FailedLogins failed sign-in attempts in a
// row locked its account, the last of which got factor wrong: wrong
// passwords, or a wrong second-factor code after the right password.
func (c *Composer) Lockout(org *directory.Org, u *directory.User, factor directory.LoginFactor) (Message, error) {
	d := c.data(org, u)
	d.FailedAttempts = u.FailedLogins
	d.WrongCode = factor == directory.FactorCode
	return c.render(Lockout, u, d)
}

// InactivityWarning tells u that its unused account will be marked
// inactive at deactivateAt unless it logs in.
func (c *Composer) InactivityWarning(org *directory.Org, u *directory.User, deactivateAt time.Time) (Message, error) {
	d := c.data(org, u)
	d.DeactivateAt, d.LoginURL = deactivateAt, c.publicURL+loginPage
	return c.render(InactivityWarning, u, d)
}

// data fills what every email says: the product, the organization and
// whom it greets (display name, else given name, else login).
func (c *Composer) data(org *directory.Org, u *directory.User) templateData {
	name := u.DisplayName
	if name == "" {
		name = u.GivenName
	}
	return templateData{Product: c.product, OrgName: org.Name, Name: name, UserName: u.UserName}
}

func (c *Composer) tokenLink(page, token string) string {
	return c.publicURL + page + "?token=" + url.QueryEscape(token)
}

// render renders kind for u's email. The message names its kind and
// recipient even when rendering fails, so that a caller can report which
// email was not sent.
func (c *Composer) render(kind Kind, u *directory.User, d templateData) (Message, error) {
	m, err := c.templates.Render(kind, u.Email, d)
	if err != nil {
		return Message{To: u.Email, Kind: kind}, err
	}
	return m, nil
}
