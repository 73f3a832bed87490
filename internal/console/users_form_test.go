package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

func newUserForm(local, mode, password string) url.Values {
	return url.Values{"givenName": {"Nia"}, "familyName": {"New"}, "userName": {local}, "domain": {"acme.example"},
		"role": {"user"}, "authMethod": {"local"}, "passwordMode": {mode}, "password": {password}}
}

func TestNewUserPageShowsDomainsRolesModesAndProperties(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Domains = append(o.Domains, directory.Domain{Name: "acme.test"})
		o.UserProperties = []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyNumber, Required: true},
			{Key: "remote", Label: "Remote", Type: directory.PropertyBoolean}}
	})
	r := e.SignIn("org_admin").Get("/users/new")
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	for _, want := range []string{`<option value="acme.example" selected>@acme.example</option>`, `@acme.test`,
		"Organization Admin", "View Only Admin", "Billing Admin", `value="sso"`,
		`value="generate"`, `value="set_and_email"`, `value="set"`, `value="invite"`,
		`name="properties.badge"`, `Badge <abbr title="required">*</abbr> <small>(number)</small>`, `type="checkbox" name="properties.remote"`,
		`name="mfa"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, role := range []string{"org_viewer", "billing_admin", "user"} {
		if r := e.SignIn(role).Get("/users/new"); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d", role, r.Status)
		}
	}
}

// Each password mode sends its email, or none.
func TestNewUserInEachPasswordMode(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	for _, tc := range []struct {
		local, mode, password string
		kind                  mail.Kind // "": no email
	}{
		{"gen", "generate", "", mail.PasswordSet},
		{"setmail", "set_and_email", "Another-Horse-77", mail.PasswordSet},
		{"setonly", "set", "Another-Horse-77", ""},
		{"invite", "invite", "", mail.Invitation},
	} {
		email := tc.local + "@acme.example"
		r := c.Post("/users/new", newUserForm(tc.local, tc.mode, tc.password))
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/users/") {
			t.Fatalf("%s: %d to %q\n%s", tc.mode, r.Status, r.Location(), r.Body)
		}
		u := userByEmail(t, e, e.Acme, email)
		if u.UserName != email || u.GivenName != "Nia" || u.Role != directory.RoleUser {
			t.Errorf("%s: created %+v", tc.mode, u)
		}
		page := c.Get(r.Location())
		if !strings.Contains(page.Body, "Nia New is created.") {
			t.Errorf("%s: the user's page lacks the message", tc.mode)
		}
		if tc.kind == "" {
			if e.Mail.Count(email) != 0 {
				t.Errorf("%s: an email was sent", tc.mode)
			}
			if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", email, tc.password); err != nil {
				t.Errorf("%s: cannot log in with the password set: %v", tc.mode, err)
			}
			continue
		}
		if m := e.Mail.Last(t, email); m.Kind != tc.kind {
			t.Errorf("%s: email of kind %s, want %s", tc.mode, m.Kind, tc.kind)
		}
		if tc.mode == "invite" {
			e.Mail.Link(t, email)
			if u.Status != directory.StatusPending {
				t.Errorf("invited user is %s", u.Status)
			}
		}
	}
}

func TestNewUserValidationMessagesLandOnTheirFields(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.UserProperties = []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyNumber}}
	})
	c := e.SignIn("org_admin")
	withBadge := newUserForm("b", "invite", "")
	withBadge.Set("properties.badge", "twelve")
	for name, tc := range map[string]struct {
		form  url.Values
		field string
		msg   string
	}{
		"no username":         {newUserForm("", "invite", ""), "userName", "Username is required"},
		"set without":         {newUserForm("x", "set", ""), "password", "needs a password"},
		"weak password":       {newUserForm("x", "set", "short"), "password", "at least"},
		"bad mode":            {newUserForm("x", "sometimes", ""), "passwordMode", "passwordMode must be"},
		"taken":               {newUserForm("user", "invite", ""), "userName", ""},
		"property not number": {withBadge, "properties.badge", "Badge must be a number"},
		"bad role":            {func() url.Values { f := newUserForm("x", "invite", ""); f.Set("role", "root"); return f }(), "role", ""},
	} {
		r := c.Post("/users/new", tc.form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", name, r.Status)
			continue
		}
		if !strings.Contains(r.Body, `aria-invalid="true"`) || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%s: no message %q on the form", name, tc.msg)
		}
		if strings.Contains(r.Body, "short") && name == "weak password" && strings.Contains(r.Body, `value="short"`) {
			t.Errorf("the password is sent back")
		}
		if !strings.Contains(r.Body, `value="Nia"`) {
			t.Errorf("%s: the form lost its values", name)
		}
	}
	if r := c.PostRaw("/users/new", newUserForm("nocsrf", "invite", "")); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").Post("/users/new", newUserForm("viewer", "invite", "")); r.Status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.Status)
	}
	pg, _ := e.Svc.ListUsers(e.Ctx, e.Acme.ID, directory.UserQuery{Limit: 100})
	if len(pg.Users) != len(consoletest.Roles) {
		t.Errorf("refused forms created users: %d users", len(pg.Users))
	}
}

func TestNewSSOUserWithMFA(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	f := newUserForm("sso", "invite", "")
	f.Set("authMethod", "sso")
	f.Set("mfa", "on")
	if r := c.Post("/users/new", f); r.Status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", r.Status, r.Body)
	}
	u := userByEmail(t, e, e.Acme, "sso@acme.example")
	m, err := e.Svc.GetMFA(e.Ctx, e.Acme.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.AuthMethod != directory.AuthSSO || !m.Required || e.Mail.Count("sso@acme.example") != 0 {
		t.Errorf("auth %s, MFA required %v, emails %d", u.AuthMethod, m.Required, e.Mail.Count("sso@acme.example"))
	}
}

func TestEditUserKeepsABlankPasswordAndShowsHistory(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	u := e.Users["user"]
	page := c.Get("/users/" + u.ID)
	if page.Status != 200 || !strings.Contains(page.Body, `value="user@acme.example"`) || !strings.Contains(page.Body, `id="history"`) {
		t.Fatalf("edit page: %d\n%s", page.Status, page.Body)
	}
	form := url.Values{"givenName": {"Renamed"}, "familyName": {"User"}, "userName": {"user@acme.example"},
		"email": {"user@acme.example"}, "role": {"org_viewer"}, "password": {""}, "version": {itoa64(u.Version)}}
	r := c.Post("/users/"+u.ID, form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID)
	if got.GivenName != "Renamed" || got.Role != directory.RoleOrgViewer || got.PasswordHash != u.PasswordHash {
		t.Errorf("after save: %q %s, password changed %v", got.GivenName, got.Role, got.PasswordHash != u.PasswordHash)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", consoletest.Password); err != nil {
		t.Errorf("the old password no longer works: %v", err)
	}
	page = c.Get("/users/" + u.ID)
	if !strings.Contains(page.Body, "user.update") && !strings.Contains(page.Body, "user.role") {
		t.Errorf("the history lacks the edit")
	}
	// The form of an old version does not overwrite the change.
	if r := c.Post("/users/"+u.ID, form); r.Status != http.StatusConflict || !strings.Contains(r.Body, "was changed while you edited it") {
		t.Errorf("a stale form: %d", r.Status)
	}
	got, _ = e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID)
	form.Set("version", itoa64(got.Version))
	form.Set("role", "org_viewer")
	form.Set("password", "Brand-New-Horse-9")
	if r := c.Post("/users/"+u.ID, form); r.Status != http.StatusSeeOther {
		t.Fatalf("new password: %d\n%s", r.Status, r.Body)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", "Brand-New-Horse-9"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	form.Set("version", "")
	form.Set("email", "not an email")
	if r := c.Post("/users/"+u.ID, form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="email-error"`) {
		t.Errorf("bad email: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").Get("/users/" + e.Users["billing_admin"].ID); r.Status != 200 ||
		strings.Contains(r.Body, `id="save"`) || !strings.Contains(r.Body, "disabled") {
		t.Errorf("viewer's view of the edit page: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").Post("/users/"+e.Users["billing_admin"].ID, form); r.Status != http.StatusForbidden {
		t.Errorf("viewer saves: %d", r.Status)
	}
	if r := c.Post("/users/"+e.Users["globex_admin"].ID, form); r.Status != http.StatusNotFound {
		t.Errorf("save of another org's user: %d", r.Status)
	}
	if r := c.PostRaw("/users/"+u.ID, form); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", r.Status)
	}
}

func TestUnlockWithANewPasswordAndMFAReset(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	u := e.Users["user"]
	for range 10 {
		_, _ = e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", "wrong-password")
	}
	if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID); got.Status != directory.StatusLocked {
		t.Fatalf("after 10 wrong passwords the user is %s", got.Status)
	}
	if page := c.Get("/users/" + u.ID); !strings.Contains(page.Body, `id="unlock"`) {
		t.Fatal("the page of a locked user offers no unlock")
	}
	r := c.Post("/users/"+u.ID+"/unlock", url.Values{"password": {"weak"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(c.Get(r.Location()).Body, "flash-error") {
		t.Errorf("unlock with a weak password: %d", r.Status)
	}
	r = c.Post("/users/"+u.ID+"/unlock", url.Values{"password": {"Unlocked-Horse-5"}, "notify": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("unlock: %d", r.Status)
	}
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", "Unlocked-Horse-5"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if m := e.Mail.Last(t, "user@acme.example"); m.Kind != mail.Unlocked {
		t.Errorf("email %s", m.Kind)
	}
	// Require MFA, then reset the authenticator of an enrolled user.
	if r := c.Post("/users/"+u.ID+"/mfa", url.Values{"required": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("require MFA: %d", r.Status)
	}
	if m, _ := e.Svc.GetMFA(e.Ctx, e.Acme.ID, u.ID); !m.Required {
		t.Error("MFA not required")
	}
	if r := c.Post("/users/"+u.ID+"/mfa/reset", nil); r.Status != http.StatusSeeOther {
		t.Errorf("reset MFA: %d", r.Status)
	}
	if r := c.Post("/users/"+u.ID+"/mfa", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("stop requiring MFA: %d", r.Status)
	}
	if m, _ := e.Svc.GetMFA(e.Ctx, e.Acme.ID, u.ID); m.Required {
		t.Error("MFA still required")
	}
	_ = auth.RecoveryCodeCount
}

func TestMultipleUserForm(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	r := c.Get("/users/multi?n=3")
	if r.Status != 200 || strings.Count(r.Body, `name="rows.`) != 3*5 || !strings.Contains(r.Body, `name="rows.2.email"`) {
		t.Fatalf("3 rows: %d", r.Status)
	}
	if r := c.Get("/users/multi?n=1000"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "choose from 1 to 100 rows") {
		t.Errorf("1000 rows: %d", r.Status)
	}
	form := url.Values{"n": {"4"}, "sendEmails": {"on"},
		"rows.0.givenName": {"One"}, "rows.0.email": {"one@acme.example"}, "rows.0.role": {"user"},
		"rows.1.givenName": {"Two"}, "rows.1.email": {"two@acme.example"}, "rows.1.role": {"org_viewer"}, "rows.1.password": {"Second-Horse-22"},
		"rows.2.givenName": {"Bad"}, "rows.2.email": {"user@acme.example"}, "rows.2.role": {"user"}, // taken
	}
	r = c.Post("/users/multi", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="row-2-error"`) ||
		!strings.Contains(r.Body, "2 users created") {
		t.Fatalf("with a bad row: %d\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "Second-Horse-22") {
		t.Error("a password is sent back")
	}
	if m := e.Mail.Last(t, "one@acme.example"); m.Kind != mail.Invitation {
		t.Errorf("row 0 email %s", m.Kind)
	}
	if m := e.Mail.Last(t, "two@acme.example"); m.Kind != mail.PasswordSet {
		t.Errorf("row 1 email %s", m.Kind)
	}
	if u := userByEmail(t, e, e.Acme, "two@acme.example"); u.Role != directory.RoleOrgViewer {
		t.Errorf("row 1 role %s", u.Role)
	}
	// Without emails, a row needs a password.
	r = c.Post("/users/multi", url.Values{"n": {"1"}, "rows.0.givenName": {"Three"}, "rows.0.email": {"three@acme.example"}, "rows.0.role": {"user"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "give a password") {
		t.Errorf("no password, no emails: %d", r.Status)
	}
	r = c.Post("/users/multi", url.Values{"n": {"2"}, "rows.0.givenName": {"Four"}, "rows.0.email": {"four@acme.example"},
		"rows.0.role": {"user"}, "rows.0.password": {"Fourth-Horse-44"}})
	if r.Status != http.StatusSeeOther || e.Mail.Count("four@acme.example") != 0 {
		t.Errorf("password, no emails: %d, %d emails", r.Status, e.Mail.Count("four@acme.example"))
	}
	if r := c.Post("/users/multi", url.Values{"n": {"2"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at least one row") {
		t.Errorf("empty: %d", r.Status)
	}
	if r := c.PostRaw("/users/multi", form); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").Post("/users/multi", form); r.Status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.Status)
	}
}
