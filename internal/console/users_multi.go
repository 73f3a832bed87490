package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// The multiple-user form: choose a number of rows, generate them, fill
// them in and create the users in one go through the API's bulk create
// (one transaction; a row that breaks a rule fails alone and shows its
// error on its row).

const (
	defaultMultiRows = 5
	maxMultiRows     = 100
)

// multiRow is one row of the form.
type multiRow struct {
	GivenName, FamilyName, Email, Password string
	Role                                   directory.Role
	// Error is the row's error after a submit; Created says it was.
	Error   string
	Created bool
}

type multiData struct {
	N          int
	Rows       []multiRow
	Roles      []directory.Role
	SendEmails bool
	Errors     formErrors
	Created    int
}

// multiCount reads the number of rows, within 1 and maxMultiRows.
func multiCount(s string) (int, error) {
	if s == "" {
		return defaultMultiRows, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxMultiRows {
		return 0, directory.FieldErrorf(directory.CodeInvalid, "n", "choose from 1 to %d rows", maxMultiRows)
	}
	return n, nil
}

func (c *Console) usersMultiPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d := multiData{Roles: directory.Roles, SendEmails: true}
	n, err := multiCount(r.URL.Query().Get("n"))
	if err != nil {
		fe, _ := formError(err)
		d.Errors, d.N = fe, defaultMultiRows
		d.Rows = newRows(d.N)
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "users_multi", d)
	}
	d.N, d.Rows = n, newRows(n)
	return c.render(w, r, rq, http.StatusOK, "users_multi", d)
}

func newRows(n int) []multiRow {
	rows := make([]multiRow, n)
	for i := range rows {
		rows[i].Role = directory.RoleUser
	}
	return rows
}

// usersMultiSubmit creates the filled rows (blank rows are skipped). With
// send emails, a row without a password is invited and a row with one is
// emailed it; without, each row needs a password.
func (c *Console) usersMultiSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := multiCount(r.PostFormValue("n"))
	if err != nil {
		return err
	}
	d := multiData{N: n, Roles: directory.Roles, SendEmails: r.PostFormValue("sendEmails") == "on", Rows: make([]multiRow, n)}
	var in []admin.CreateUserInput
	var at []int // row of each input
	for i := range d.Rows {
		p := "rows." + strconv.Itoa(i) + "."
		row := multiRow{
			GivenName: strings.TrimSpace(r.PostFormValue(p + "givenName")), FamilyName: strings.TrimSpace(r.PostFormValue(p + "familyName")),
			Email: strings.TrimSpace(r.PostFormValue(p + "email")), Password: r.PostFormValue(p + "password"),
			Role: directory.Role(r.PostFormValue(p + "role")),
		}
		d.Rows[i] = row
		if row.GivenName == "" && row.FamilyName == "" && row.Email == "" {
			continue
		}
		mode := admin.ModeInvite
		switch {
		case row.Password != "" && d.SendEmails:
			mode = admin.ModeSetAndEmail
		case row.Password != "":
			mode = admin.ModeSet
		case !d.SendEmails:
			d.Rows[i].Error = "give a password, or tick Send emails to invite the user"
			continue
		}
		if row.Email == "" {
			d.Rows[i].Error = "email is required"
			continue
		}
		in = append(in, admin.CreateUserInput{UserName: row.Email, Email: row.Email, GivenName: row.GivenName,
			FamilyName: row.FamilyName, Role: row.Role, AuthMethod: directory.AuthLocal, PasswordMode: mode, Password: row.Password})
		at = append(at, i)
	}
	failed := false
	for _, row := range d.Rows {
		failed = failed || row.Error != ""
	}
	if len(in) == 0 && !failed {
		d.Errors = formErrors{"": "Fill in at least one row."}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "users_multi", d)
	}
	if len(in) > 0 {
		res, err := c.cfg.Users.CreateMany(r, rq.user, in)
		if err != nil {
			return err
		}
		for _, row := range res.Results {
			i := at[row.Row]
			if row.Error != nil {
				d.Rows[i].Error, failed = row.Error.Message, true
				continue
			}
			d.Rows[i].Created = true
			d.Created++
		}
	}
	for i := range d.Rows {
		d.Rows[i].Password = "" // never sent back to the browser
	}
	if failed {
		if d.Created > 0 {
			d.Errors = formErrors{"": plural(d.Created, "user") + " created; the rows below with an error were not."}
		} else {
			d.Errors = formErrors{"": "No user was created; correct the rows below."}
		}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "users_multi", d)
	}
	return c.redirect(w, r, usersPath, plural(d.Created, "user")+" created.")
}
