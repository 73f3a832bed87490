package console

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// historySize is how many audit events of a user its page shows.
const historySize = 25

// editForm is the form of an existing user, filled in.
func editForm(u *directory.User, m *directory.MFAState) userForm {
	f := userForm{GivenName: u.GivenName, FamilyName: u.FamilyName, DisplayName: u.DisplayName,
		UserName: u.UserName, Email: u.Email, Phone: u.Phone, Role: u.Role, AuthMethod: u.AuthMethod,
		MFA: m != nil && m.Required, Properties: map[string]string{}}
	for k, v := range u.Properties {
		switch v := v.(type) {
		case string:
			f.Properties[k] = v
		case bool:
			if v {
				f.Properties[k] = "on"
			}
		case float64:
			f.Properties[k] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			f.Properties[k] = fmt.Sprint(v)
		}
	}
	return f
}

// editData loads what the edit page shows of the user {id}: the user, its
// second factor and its audit history. Another organization's id is not
// found.
func (c *Console) editData(r *http.Request, rq *request) (userFormData, error) {
	ctx, org := r.Context(), rq.user.OrgID
	u, err := c.dir.GetUser(ctx, org, r.PathValue("id"))
	if err != nil {
		return userFormData{}, err
	}
	o, err := c.dir.GetOrg(ctx, org)
	if err != nil {
		return userFormData{}, err
	}
	m, err := c.dir.GetMFA(ctx, org, u.ID)
	if err != nil {
		return userFormData{}, err
	}
	phone, err := c.dir.GetSMSPhone(ctx, org, u.ID)
	if err != nil {
		return userFormData{}, err
	}
	hist, err := c.dir.ListAudit(ctx, org, directory.AuditQuery{TargetKind: "user", TargetID: u.ID, Limit: historySize})
	if err != nil {
		return userFormData{}, err
	}
	d := userFormData{Org: o, User: u, MFA: m, History: hist.Events, Form: editForm(u, m), Roles: directory.Roles}
	if phone.Enrolled() {
		d.SMSPhone = directory.MaskPhone(phone.Phone)
	}
	return d, nil
}

func (c *Console) userEditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.editData(r, rq)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "user", d)
}

// userEditSubmit saves the profile through the API's edit (a blank
// password keeps the current one), then the role when it changed. The
// form carries the version it was loaded at: a change made meanwhile is
// not overwritten.
func (c *Console) userEditSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.editData(r, rq)
	if err != nil {
		return err
	}
	f := readUserForm(r, d.Org)
	f.AuthMethod, f.MFA = d.User.AuthMethod, d.Form.MFA
	fail := func(errs formErrors) error {
		d.Form, d.Errors = f, errs
		d.Form.Password = ""
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "user", d)
	}
	props, remove, errs := f.properties(d.Org)
	if errs != nil {
		return fail(errs)
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	patch := &admin.UserPatch{Version: version, Password: f.Password, Properties: map[string]any{}}
	userName := f.fullUserName()
	for _, p := range []struct {
		to   **string
		from string
	}{
		{&patch.UserName, userName}, {&patch.Email, f.Email}, {&patch.GivenName, f.GivenName},
		{&patch.FamilyName, f.FamilyName}, {&patch.DisplayName, f.DisplayName}, {&patch.Phone, f.Phone},
	} {
		*p.to = &p.from
	}
	for k, v := range props {
		patch.Properties[k] = v
	}
	for _, k := range remove {
		if _, had := d.User.Properties[k]; had {
			patch.Properties[k] = nil
		}
	}
	if err := c.cfg.Users.Edit(r, rq.user, patch); err != nil {
		if directory.ErrorCode(err) == directory.CodePreconditionFailed {
			// Someone changed the user since the form was loaded: show
			// what it is now, and nothing of this form is saved.
			fresh, ferr := c.editData(r, rq)
			if ferr != nil {
				return ferr
			}
			fresh.Errors = formErrors{"": "This user was changed while you edited it; here it is now. Make your change again."}
			return c.render(w, r, rq, http.StatusConflict, "user", fresh)
		}
		fe, err := formError(err)
		if err != nil {
			return err
		}
		return fail(fe)
	}
	if f.Role != d.User.Role {
		if err := c.cfg.Users.SetRole(r, rq.user, f.Role); err != nil {
			fe, err := formError(err)
			if err != nil {
				return err
			}
			return fail(fe)
		}
	}
	msg := fullName(d.User) + " is saved."
	if f.Password != "" {
		msg += " The password is changed."
	}
	return c.redirect(w, r, usersPath+"/"+d.User.ID, msg)
}
