package mail

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kind names an email template.
type Kind string

// The emails Roster sends.
const (
	// Invitation asks a new user to choose a password through a link.
	Invitation Kind = "invitation"
	// PasswordSet tells a new user the password an admin set or Roster
	// generated for it.
	PasswordSet Kind = "password_set"
	// PasswordReset carries a link to choose a new password.
	PasswordReset Kind = "password_reset"
	// Lockout tells a user its account was locked after too many wrong
	// passwords.
	Lockout Kind = "lockout"
	// InactivityWarning tells a user its unused account is about to be
	// marked inactive.
	InactivityWarning Kind = "inactivity_warning"
	// Unlocked tells a locked user the new password an admin unlocked its
	// account with.
	Unlocked Kind = "unlocked"
)

// Kinds lists every template.
var Kinds = []Kind{Invitation, PasswordSet, PasswordReset, Lockout, InactivityWarning, Unlocked}

// templateData fills a template. Each kind uses the fields its description
// names. Only the Composer fills one.
type templateData struct {
	// Product is the name the emails sign with ("Roster").
	Product string
	OrgName string
	// Name greets the recipient: a display name, or the login.
	Name     string
	UserName string
	// Link and LinkExpires: Invitation and PasswordReset.
	Link        string
	LinkExpires time.Time
	// Password: PasswordSet, when Roster generated the password or the admin
	// asked for it to be sent; Unlocked.
	Password string
	// LoginURL: PasswordSet, Unlocked and InactivityWarning.
	LoginURL string
	// DeactivateAt: InactivityWarning.
	DeactivateAt time.Time
	// FailedAttempts and WrongCode (the last attempt got the second-factor
	// code wrong, not the password): Lockout.
	FailedAttempts int
	WrongCode      bool
}

//go:embed templates/*.tmpl
var templateFiles embed.FS

// templateSet renders messages. Each kind has a text template (which also
// defines "subject") and an HTML template; the HTML one escapes every value.
type templateSet struct {
	text map[Kind]*texttemplate.Template
	html map[Kind]*htmltemplate.Template
}

var funcs = map[string]any{
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006 at 15:04 UTC") },
}

// loadTemplates parses the embedded templates.
func loadTemplates() (*templateSet, error) {
	t := &templateSet{text: map[Kind]*texttemplate.Template{}, html: map[Kind]*htmltemplate.Template{}}
	for _, k := range Kinds {
		tt, err := texttemplate.New(string(k)+".txt.tmpl").Funcs(funcs).Option("missingkey=error").
			ParseFS(templateFiles, "templates/"+string(k)+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", k, err)
		}
		if tt.Lookup("subject") == nil {
			return nil, fmt.Errorf("mail: template %s defines no subject", k)
		}
		ht, err := htmltemplate.New(string(k)+".html.tmpl").Funcs(funcs).Option("missingkey=error").
			ParseFS(templateFiles, "templates/"+string(k)+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", k, err)
		}
		t.text[k], t.html[k] = tt, ht
	}
	return t, nil
}

// Render composes the message of kind k for recipient to.
func (t *templateSet) Render(k Kind, to string, d templateData) (Message, error) {
	tt, ok := t.text[k]
	if !ok {
		return Message{}, fmt.Errorf("mail: no template %q", k)
	}
	if d.Product == "" {
		d.Product = "Roster"
	}
	if d.Name == "" {
		d.Name = d.UserName
	}
	var subject, text, html bytes.Buffer
	if err := tt.ExecuteTemplate(&subject, "subject", d); err != nil {
		return Message{}, fmt.Errorf("mail: render %s subject: %w", k, err)
	}
	if err := tt.Execute(&text, d); err != nil {
		return Message{}, fmt.Errorf("mail: render %s: %w", k, err)
	}
	if err := t.html[k].Execute(&html, d); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", k, err)
	}
	return Message{
		To:      to,
		Kind:    k,
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

// Mailer composes the emails of Roster and hands them to a notifier.
type Mailer struct {
	// Compose builds each message from domain facts.
	Compose  *Composer
	Notifier Notifier
}

// NewMailer returns a mailer over n whose links point under publicURL and
// whose emails are signed by product (empty: "Roster").
func NewMailer(n Notifier, publicURL, product string) (*Mailer, error) {
	c, err := NewComposer(publicURL, product)
	if err != nil {
		return nil, err
	}
	return &Mailer{Compose: c, Notifier: n}, nil
}

// Send delivers a message the composer built.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	return m.Notifier.Send(ctx, msg)
}
