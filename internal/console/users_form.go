package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// userForm is the new-user and edit-user form: its values as the browser
// sent them (or as the user has them), by the API's field names, so that
// a use case's error lands on its field.
type userForm struct {
	GivenName, FamilyName, DisplayName string
	// UserName is the part before the domain when Domain is set.
	UserName, Domain       string
	Email, Phone           string
	Role                   directory.Role
	AuthMethod             directory.AuthMethod
	PasswordMode, Password string
	MFA                    bool
	// Properties are the custom properties' values as typed.
	Properties map[string]string
}

// userFormData is what the new-user and edit pages show.
type userFormData struct {
	Org    *directory.Org
	Form   userForm
	Errors formErrors
	Roles  []directory.Role
	Modes  []sortOption
	// User, MFA and History are the edited user's (edit page only).
	User *directory.User
	MFA  *directory.MFAState
	// SMSPhone is the user's confirmed SMS number, masked; "" if none.
	SMSPhone string
	History  []*directory.AuditEvent
}

var passwordModes = []sortOption{
	{admin.ModeGenerate, "Generate a password and email it"},
	{admin.ModeSetAndEmail, "Set a password and email it"},
	{admin.ModeSet, "Set a password, send no email"},
	{admin.ModeInvite, "Email an invitation link to choose one"},
}

// readUserForm reads the form's fields; properties are those the
// organization defines.
func readUserForm(r *http.Request, org *directory.Org) userForm {
	f := userForm{
		GivenName: strings.TrimSpace(r.PostFormValue("givenName")), FamilyName: strings.TrimSpace(r.PostFormValue("familyName")),
		DisplayName: strings.TrimSpace(r.PostFormValue("displayName")),
		UserName:    strings.TrimSpace(r.PostFormValue("userName")), Domain: r.PostFormValue("domain"),
		Email: strings.TrimSpace(r.PostFormValue("email")), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Role: directory.Role(r.PostFormValue("role")), AuthMethod: directory.AuthMethod(r.PostFormValue("authMethod")),
		PasswordMode: r.PostFormValue("passwordMode"), Password: r.PostFormValue("password"),
		MFA: r.PostFormValue("mfa") == "on", Properties: map[string]string{},
	}
	for _, p := range org.UserProperties {
		f.Properties[p.Key] = strings.TrimSpace(r.PostFormValue("properties." + p.Key))
	}
	return f
}

// fullUserName is the userName the form names: the name and the chosen
// domain, or the name alone when it has its own domain or none is chosen.
func (f *userForm) fullUserName() string {
	if f.Domain == "" || f.UserName == "" || strings.Contains(f.UserName, "@") {
		return f.UserName
	}
	return f.UserName + "@" + f.Domain
}

// properties converts the typed values to the properties' types; a value
// that is not of its type is the field's error. Empty values are left
// out (removed on an edit: remove says which).
func (f *userForm) properties(org *directory.Org) (map[string]any, []string, formErrors) {
	out := map[string]any{}
	var remove []string
	errs := formErrors{}
	for _, p := range org.UserProperties {
		raw := f.Properties[p.Key]
		field := "properties." + p.Key
		if raw == "" {
			remove = append(remove, p.Key)
			continue
		}
		switch p.Type {
		case directory.PropertyNumber:
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				errs[field] = p.Label + " must be a number"
				continue
			}
			out[p.Key] = n
		case directory.PropertyBoolean:
			out[p.Key] = raw == "on" || raw == "true"
		default:
			out[p.Key] = raw
		}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return out, remove, errs
}

func (c *Console) userNewPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	f := userForm{Domain: org.PrimaryDomain(), Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
		PasswordMode: admin.ModeInvite, Properties: map[string]string{}}
	return c.render(w, r, rq, http.StatusOK, "user", userFormData{Org: org, Form: f, Roles: directory.Roles, Modes: passwordModes})
}

// userNewSubmit creates the user through the API's use case (which checks
// the password mode and policy and sends the mode's email), then requires
// MFA of it when ticked.
func (c *Console) userNewSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	f := readUserForm(r, org)
	d := userFormData{Org: org, Form: f, Roles: directory.Roles, Modes: passwordModes}
	fail := func(errs formErrors) error {
		d.Errors = errs
		d.Form.Password = "" // never sent back to the browser
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "user", d)
	}
	in, errs := f.createInput(org)
	if errs != nil {
		return fail(errs)
	}
	u, sent, err := c.cfg.Users.Create(r, rq.user, in)
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		return fail(fe)
	}
	msg := fullName(u) + " is created."
	if f.MFA {
		r.SetPathValue("id", u.ID)
		if err := c.cfg.Users.RequireMFA(r, rq.user, true); err != nil {
			return err
		}
		msg += " They must use two-factor authentication."
	}
	if sent != nil {
		if sent.Sent {
			msg += " An email was sent to " + u.Email + "."
		} else {
			c.setFlash(w, "error", msg+" The email could not be sent: "+sent.Error)
			return c.redirect(w, r, usersPath+"/"+u.ID, "")
		}
	}
	return c.redirect(w, r, usersPath+"/"+u.ID, msg)
}

// createInput is the API's create request of the form.
func (f *userForm) createInput(org *directory.Org) (*admin.CreateUserInput, formErrors) {
	props, _, errs := f.properties(org)
	if errs != nil {
		return nil, errs
	}
	if f.UserName == "" {
		return nil, formErrors{"userName": "Username is required"}
	}
	mode := f.PasswordMode
	if f.AuthMethod == directory.AuthSSO {
		mode = admin.ModeNone
	}
	in := &admin.CreateUserInput{
		UserName: f.fullUserName(), Email: f.Email, GivenName: f.GivenName, FamilyName: f.FamilyName,
		DisplayName: f.DisplayName, Phone: f.Phone, Role: f.Role, AuthMethod: f.AuthMethod,
		PasswordMode: mode, Properties: props,
	}
	if mode == admin.ModeSet || mode == admin.ModeSetAndEmail {
		in.Password = f.Password
	}
	if len(props) == 0 {
		in.Properties = nil
	}
	return in, nil
}
