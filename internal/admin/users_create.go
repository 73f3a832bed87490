package admin

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

// Password modes of a new user.
const (
	// modeInvite creates the user pending and emails a link to choose a
	// password.
	modeInvite = "invite"
	// modeGenerate sets a strong random password and emails it; the
	// admin never sees it.
	modeGenerate = "generate"
	// modeSetAndEmail sets the admin's password and emails it.
	modeSetAndEmail = "set_and_email"
	// modeSet sets the admin's password and emails nothing.
	modeSet = "set"
	// modeNone is for single sign-on users, who have no password.
	modeNone = "none"
)

type createUserRequest struct {
	UserName       string               `json:"userName"`
	Email          string               `json:"email"`
	GivenName      string               `json:"givenName"`
	FamilyName     string               `json:"familyName"`
	DisplayName    string               `json:"displayName"`
	Phone          string               `json:"phone"`
	Title          string               `json:"title"`
	OfficeLocation string               `json:"officeLocation"`
	ExternalID     string               `json:"externalId"`
	Enterprise     *enterpriseView      `json:"enterprise"`
	Properties     map[string]any       `json:"properties"`
	Role           directory.Role       `json:"role"`
	AuthMethod     directory.AuthMethod `json:"authMethod"`
	// PasswordMode is invite (the default for local users), generate,
	// set_and_email, set, or none (single sign-on users).
	PasswordMode string `json:"passwordMode"`
	Password     string `json:"password"`
	// Services are the keys of the services the user is given.
	Services []string `json:"services"`
}

// emailResult says whether the email a change calls for went out.
type emailResult struct {
	Kind  mail.Kind `json:"kind"`
	Sent  bool      `json:"sent"`
	Error string    `json:"error,omitempty"`
}

type createdUser struct {
	User  userView     `json:"user"`
	Email *emailResult `json:"email,omitempty"`
}

func (h *handler) createUser(w http.ResponseWriter, r *http.Request, p *principal, in *createUserRequest) (createdUser, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return createdUser{}, err
	}
	u, sent, err := h.createOne(r, p, org, in)
	if err != nil {
		return createdUser{}, err
	}
	w.Header().Set("Location", Prefix+"/users/"+u.ID)
	v, err := h.detail(r, u)
	if err != nil {
		return createdUser{}, err
	}
	return createdUser{User: v, Email: sent}, nil
}

// newUser is the user a create request describes.
func newUser(in *createUserRequest) *directory.User {
	u := &directory.User{
		UserName: in.UserName, Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName,
		DisplayName: in.DisplayName, Phone: in.Phone, Title: in.Title, OfficeLocation: in.OfficeLocation, ExternalID: in.ExternalID,
		Properties: in.Properties, Role: in.Role, AuthMethod: in.AuthMethod, Source: directory.SourceLocal,
	}
	if e := in.Enterprise; e != nil {
		u.Enterprise = directory.Enterprise{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter, Organization: e.Organization,
			Division: e.Division, Department: e.Department, ManagerID: e.Manager}
	}
	return u
}

// createOne validates the password mode, creates the user and sends the
// email its mode calls for. The email failing does not undo the user; the
// result says so, and the admin can send a new link with reset-password.
func (h *handler) createOne(r *http.Request, p *principal, org *directory.Org, in *createUserRequest) (*directory.User, *emailResult, error) {
	u, mode, password, err := h.prepareUser(org, in)
	if err != nil {
		return nil, nil, err
	}
	if len(in.Services) > 0 {
		var all []*directory.OrgService
		svcs, err := h.servicesOf(r, org.ID, in.Services, &all)
		if err != nil {
			return nil, nil, err
		}
		directory.AddServices(u, svcs)
	}
	u, err = h.dir.CreateUser(r.Context(), p.actor(true), org.ID, u)
	if err != nil {
		return nil, nil, err
	}
	return u, h.welcome(r, p, org, u, mode, password), nil
}

// prepareUser checks a create request and builds its user, hashing the
// password it sets; it returns the password mode and the plaintext the
// welcome email may need.
func (h *handler) prepareUser(org *directory.Org, in *createUserRequest) (*directory.User, string, string, error) {
	u := newUser(in)
	if u.Role == "" {
		return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "role", "role is required: org_admin, org_viewer, billing_admin or user")
	}
	mode := in.PasswordMode
	if mode == "" {
		mode = modeInvite
		if u.AuthMethod == directory.AuthSSO {
			mode = modeNone
		}
	}
	if (u.AuthMethod == directory.AuthSSO) != (mode == modeNone) {
		return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "passwordMode", "single sign-on users take passwordMode none, and only they do")
	}
	password := in.Password
	switch mode {
	case modeInvite, modeGenerate, modeNone:
		if password != "" {
			return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "password", "passwordMode %s takes no password", mode)
		}
	case modeSet, modeSetAndEmail:
		if password == "" {
			return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "password", "passwordMode %s needs a password", mode)
		}
	default:
		return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "passwordMode", "passwordMode must be invite, generate, set_and_email, set or none")
	}
	if mode == modeInvite || mode == modeGenerate || mode == modeSetAndEmail {
		probe := u.Clone()
		probe.Normalize()
		if probe.Email == "" {
			return nil, "", "", directory.FieldErrorf(directory.CodeInvalid, "email",
				"passwordMode %s emails the user: give it an email (its userName is not an email address)", mode)
		}
	}
	var err error
	if mode == modeGenerate {
		if password, err = auth.GeneratePassword(); err != nil {
			return nil, "", "", directory.Internal(err)
		}
	}
	if password != "" {
		if u.PasswordHash, err = h.hashNewPassword(org, password); err != nil {
			return nil, "", "", err
		}
	}
	return u, mode, password, nil
}

// welcome sends a created user the email its password mode calls for.
func (h *handler) welcome(r *http.Request, p *principal, org *directory.Org, u *directory.User, mode, password string) *emailResult {
	switch mode {
	case modeInvite:
		return h.sendLink(r.Context(), p.actor(true), org, u, directory.LinkPasswordSet)
	case modeGenerate, modeSetAndEmail:
		msg, err := h.cfg.Mailer.Compose.PasswordSet(org, u, password)
		return h.send(r.Context(), msg, err)
	}
	return nil
}

// sendLink issues a one-time link of purpose for u and emails it.
func (h *handler) sendLink(ctx context.Context, actor directory.Actor, org *directory.Org, u *directory.User, purpose directory.LinkPurpose) *emailResult {
	return h.emailer().sendLink(ctx, actor, org, u, purpose)
}

// send emails msg, which the composer built (err: it could not).
func (h *handler) send(ctx context.Context, msg mail.Message, err error) *emailResult {
	return h.emailer().send(ctx, msg, err)
}

func (h *handler) emailer() *emailer {
	return &emailer{auth: h.auth, mailer: h.cfg.Mailer, logger: h.logger}
}

// emailer sends the emails of admin actions: invitations, password links
// and passwords. The handler has one; so has the importer's Inviter
// (NewInviter), so that an imported user gets the invitation a user
// created through the API does.
type emailer struct {
	auth   *auth.Authenticator
	mailer *mail.Mailer
	logger *slog.Logger
}

// sendLink issues a one-time link of purpose for u and emails it.
func (m *emailer) sendLink(ctx context.Context, actor directory.Actor, org *directory.Org, u *directory.User, purpose directory.LinkPurpose) *emailResult {
	kind, compose := mail.Invitation, m.mailer.Compose.Invitation
	if purpose == directory.LinkPasswordReset {
		kind, compose = mail.PasswordReset, m.mailer.Compose.PasswordReset
	}
	token, expires, err := m.auth.IssueLink(ctx, actor, u, purpose)
	if err != nil {
		m.logNotSent(ctx, string(kind), err)
		return &emailResult{Kind: kind, Error: directory.ErrorMessage(err)}
	}
	msg, err := compose(org, u, token, expires)
	return m.send(ctx, msg, err)
}

// send emails msg, which the composer built (err: it could not).
func (m *emailer) send(ctx context.Context, msg mail.Message, err error) *emailResult {
	if err == nil {
		err = m.mailer.Send(ctx, msg)
	}
	if err != nil {
		m.logNotSent(ctx, string(msg.Kind), err)
		return &emailResult{Kind: msg.Kind, Error: "the email could not be sent; see the server log"}
	}
	return &emailResult{Kind: msg.Kind, Sent: true}
}

// logNotSent records a notification that could not be delivered; the
// request it belongs to still succeeded.
func (m *emailer) logNotSent(ctx context.Context, what string, err error) {
	m.logger.WarnContext(ctx, "email not delivered", slog.String("email", what), slog.String("error", err.Error()))
}

// maxBulkRows bounds one bulk request.
const maxBulkRows = 500

type bulkCreateRequest struct {
	Users []createUserRequest `json:"users"`
}

// rowResult is what happened to one row of a bulk request.
type rowResult struct {
	Row    int                  `json:"row"`
	ID     string               `json:"id,omitempty"`
	Status string               `json:"status"` // created, deleted, failed
	Error  *apijson.ErrorDetail `json:"error,omitempty"`
	Email  *emailResult         `json:"email,omitempty"`
}

type bulkResult struct {
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"`
	Results   []rowResult `json:"results"`
}

func (b *bulkResult) add(res rowResult) {
	if res.Error != nil {
		b.Failed++
	} else {
		b.Succeeded++
	}
	b.Results = append(b.Results, res)
}

// createUsers creates the rows in one transaction: a row that breaks a
// rule is reported and fails alone, the others are created together, or
// none of them is if the transaction fails. Emails go once they exist.
func (h *handler) createUsers(w http.ResponseWriter, r *http.Request, p *principal, in *bulkCreateRequest) (bulkResult, error) {
	if len(in.Users) == 0 || len(in.Users) > maxBulkRows {
		return bulkResult{}, directory.FieldErrorf(directory.CodeInvalid, "users", "send 1 to %d users", maxBulkRows)
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return bulkResult{}, err
	}
	type prepared struct {
		row            int
		mode, password string
	}
	rows := make([]rowResult, len(in.Users))
	var users []*directory.User
	var ready []prepared
	fail := func(i int, err error) {
		if directory.IsServerFault(err) {
			h.logger.ErrorContext(r.Context(), "bulk create row failed", "row", i, "error", err)
		}
		d := apijson.Detail(err)
		rows[i] = rowResult{Row: i, Status: "failed", Error: &d}
	}
	var services []*directory.OrgService // read once, by the first row with services
	for i := range in.Users {
		u, mode, password, err := h.prepareUser(org, &in.Users[i])
		if err == nil && len(in.Users[i].Services) > 0 {
			var svcs []*directory.OrgService
			if svcs, err = h.servicesOf(r, org.ID, in.Users[i].Services, &services); err == nil {
				directory.AddServices(u, svcs)
			}
		}
		if err != nil {
			fail(i, err)
			continue
		}
		users = append(users, u)
		ready = append(ready, prepared{row: i, mode: mode, password: password})
	}
	if len(users) > 0 {
		results, err := h.dir.CreateUsers(r.Context(), p.actor(true), org.ID, users)
		if err != nil {
			return bulkResult{}, err
		}
		for j, res := range results {
			i := ready[j].row
			if res.Err != nil {
				fail(i, res.Err)
				continue
			}
			rows[i] = rowResult{Row: i, ID: res.User.ID, Status: "created",
				Email: h.welcome(r, p, org, res.User, ready[j].mode, ready[j].password)}
		}
	}
	out := bulkResult{Results: []rowResult{}}
	for _, res := range rows {
		out.add(res)
	}
	return out, nil
}
