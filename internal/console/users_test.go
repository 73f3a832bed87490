package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// usersEnv is the console env with a few named users in acme.
func usersEnv(t *testing.T) *consoletest.Env {
	t.Helper()
	e := consoletest.New(t)
	for _, n := range []struct{ given, family, email string }{
		{"Ada", "Lovelace", "ada@acme.example"}, {"Alan", "Turing", "alan@acme.example"}, {"Grace", "Hopper", "grace@acme.example"},
	} {
		u := e.CreateUser(e.Acme, n.email, directory.RoleUser, consoletest.Password)
		if _, err := e.Svc.UpdateUser(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.Acme.ID, u.ID, 0,
			func(u *directory.User) error { u.GivenName, u.FamilyName = n.given, n.family; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func userByEmail(t *testing.T, e *consoletest.Env, org *directory.Org, email string) *directory.User {
	t.Helper()
	pg, err := e.Svc.ListUsers(e.Ctx, org.ID, directory.UserQuery{IncludeDeleted: true,
		Filter: directory.Eq(directory.UserEmail, email), Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Users) == 0 {
		t.Fatalf("no user %s", email)
	}
	return pg.Users[0]
}

func TestUsersListFollowsThePermissionTable(t *testing.T) {
	e := usersEnv(t)
	for role, want := range map[string]int{"org_admin": 200, "org_viewer": 200, "billing_admin": 403, "user": 403} {
		r := e.SignIn(role).Get("/users")
		if r.Status != want {
			t.Errorf("%s: status %d, want %d", role, r.Status, want)
			continue
		}
		if want != 200 {
			continue
		}
		for _, name := range []string{"Ada Lovelace", "alan@acme.example", "Organization Admin"} {
			if !strings.Contains(r.Body, name) {
				t.Errorf("%s: the list lacks %q", role, name)
			}
		}
		writes := strings.Contains(r.Body, `href="/users/new"`) || strings.Contains(r.Body, `action="/users/delete"`) ||
			strings.Contains(r.Body, "/suspend\"")
		if writes != (role == "org_admin") {
			t.Errorf("%s: write buttons shown = %v", role, writes)
		}
	}
	if r := e.Anonymous().Get("/users"); r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Fusers" {
		t.Errorf("anonymous: %d to %q", r.Status, r.Location())
	}
	home := e.SignIn("org_viewer").Get("/home")
	if !strings.Contains(home.Body, `href="/users"`) {
		t.Error("the nav does not offer Users to a viewer")
	}
	if strings.Contains(e.SignIn("billing_admin").Get("/home").Body, `href="/users"`) {
		t.Error("the nav offers Users to a billing admin")
	}
}

func TestUsersListSearchesFiltersAndSorts(t *testing.T) {
	e := usersEnv(t)
	c := e.SignIn("org_admin")
	names := func(r *consoletest.Response) []string {
		var out []string
		for _, n := range []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"} {
			if strings.Contains(r.Body, n) {
				out = append(out, n)
			}
		}
		return out
	}
	for query, want := range map[string]string{
		"q=lovel":                 "Ada Lovelace",
		"q=GRACE":                 "Grace Hopper",
		"q=alan%40acme":           "Alan Turing",
		"q=a&status=&role=&sort=": "Ada Lovelace,Alan Turing,Grace Hopper",
		"q=nobody":                "",
	} {
		r := c.Get("/users?" + query)
		if r.Status != 200 {
			t.Fatalf("%s: status %d\n%s", query, r.Status, r.Body)
		}
		if got := strings.Join(names(r), ","); got != want {
			t.Errorf("%s: shows %q, want %q", query, got, want)
		}
	}
	grace := userByEmail(t, e, e.Acme, "grace@acme.example")
	if _, err := e.Svc.SetStatus(e.Ctx, directory.Actor{Kind: directory.ActorOperator}, e.Acme.ID, grace.ID, directory.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	if got := names(c.Get("/users?status=suspended")); len(got) != 1 || got[0] != "Grace Hopper" {
		t.Errorf("status=suspended shows %v", got)
	}
	if r := c.Get("/users?role=org_viewer"); len(names(r)) != 0 || !strings.Contains(r.Body, "org_viewer@acme.example") {
		t.Errorf("role=org_viewer shows the wrong users")
	}
	r := c.Get("/users?sort=givenName&order=asc&q=a")
	if a, g := strings.Index(r.Body, "Ada Lovelace"), strings.Index(r.Body, "Grace Hopper"); a < 0 || g < a {
		t.Errorf("sort by first name: Ada at %d, Grace at %d", a, g)
	}
	r = c.Get("/users?sort=givenName&order=desc&q=a")
	if a, g := strings.Index(r.Body, "Ada Lovelace"), strings.Index(r.Body, "Grace Hopper"); g < 0 || a < g {
		t.Errorf("sort by first name, descending: Ada at %d, Grace at %d", a, g)
	}
	for query, msg := range map[string]string{
		"sort=password": "cannot sort by", "status=gone": "is not one of the known values", "order=up": "order must be asc or desc",
		"bogus=1": "unknown query parameter",
	} {
		r := c.Get("/users?" + query)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, msg) {
			t.Errorf("%s: status %d, want 422 with %q", query, r.Status, msg)
		}
	}
}

func TestUsersListPagesWithACursor(t *testing.T) {
	e := consoletest.New(t)
	for i := range 60 {
		e.CreateUser(e.Acme, fmt.Sprintf("p%02d@acme.example", i), directory.RoleUser, "")
	}
	c := e.SignIn("org_viewer")
	seen := map[string]bool{}
	path := "/users?sort=email"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than users")
		}
		r := c.Get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		for i := range 60 {
			email := fmt.Sprintf("p%02d@acme.example", i)
			if strings.Contains(r.Body, ">"+email+"<") {
				if seen[email] {
					t.Errorf("%s shown twice", email)
				}
				seen[email] = true
			}
		}
		path = ""
		if i := strings.Index(r.Body, `id="next-page"`); i >= 0 {
			j := strings.LastIndex(r.Body[:i], `href="`) + len(`href="`)
			path = strings.ReplaceAll(r.Body[j:j+strings.IndexByte(r.Body[j:], '"')], "&amp;", "&")
		}
	}
	if len(seen) != 60 {
		t.Errorf("the pages showed %d of the 60 users", len(seen))
	}
}

func TestUserRowActions(t *testing.T) {
	e := usersEnv(t)
	c := e.SignIn("org_admin")
	ada := userByEmail(t, e, e.Acme, "ada@acme.example")
	status := func() directory.Status {
		t.Helper()
		u, err := e.Svc.GetUser(e.Ctx, e.Acme.ID, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Status
	}
	post := func(action string) *consoletest.Response {
		t.Helper()
		return c.Post("/users/"+ada.ID+"/"+action, url.Values{"back": {"/users?q=ada"}})
	}
	if r := post("suspend"); r.Status != http.StatusSeeOther || r.Location() != "/users?q=ada" || status() != directory.StatusSuspended {
		t.Fatalf("ban: %d to %q, status %s", r.Status, r.Location(), status())
	}
	if r := c.Get("/users?q=ada"); !strings.Contains(r.Body, "Ada Lovelace is banned") || !strings.Contains(r.Body, "/reactivate") {
		t.Errorf("after the ban the list lacks the message or Validate:\n%s", r.Body)
	}
	if r := post("reactivate"); r.Status != http.StatusSeeOther || status() != directory.StatusActive {
		t.Fatalf("validate: %d, status %s", r.Status, status())
	}
	// Unlocking a user that is not locked is refused with the reason.
	if r := post("unlock"); r.Status != http.StatusSeeOther || !strings.Contains(c.Get(r.Location()).Body, "not locked") {
		t.Errorf("unlock of an active user: %d", r.Status)
	}
	before := e.Mail.Count("ada@acme.example")
	if r := post("reset-password"); r.Status != http.StatusSeeOther || e.Mail.Count("ada@acme.example") != before+1 {
		t.Errorf("reset password: %d, emails %d", r.Status, e.Mail.Count("ada@acme.example")-before)
	}
	// A view-only admin, a form without the token, another org's id, the
	// admin's own account.
	if r := e.SignIn("org_viewer").Post("/users/"+ada.ID+"/suspend", nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer bans: %d", r.Status)
	}
	if r := c.PostRaw("/users/"+ada.ID+"/suspend", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", r.Status)
	}
	if status() != directory.StatusActive {
		t.Fatalf("a refused ban changed the status to %s", status())
	}
	globex := e.Users["globex_admin"]
	for _, action := range []string{"suspend", "delete", "reset-password", "restore", "mfa"} {
		if r := c.Post("/users/"+globex.ID+"/"+action, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s of another org's user: %d", action, r.Status)
		}
	}
	if r := c.Get("/users/" + globex.ID); r.Status != http.StatusNotFound {
		t.Errorf("edit page of another org's user: %d", r.Status)
	}
	if r := c.Post("/users/"+e.Users["org_admin"].ID+"/suspend", nil); r.Status != http.StatusForbidden ||
		!strings.Contains(r.Body, "your own account") {
		t.Errorf("ban oneself: %d", r.Status)
	}
	if r := post("delete"); r.Status != http.StatusSeeOther || status() != directory.StatusDeleted {
		t.Fatalf("delete: %d, status %s", r.Status, status())
	}
	if r := c.Get("/users?status=deleted"); !strings.Contains(r.Body, "Ada Lovelace") || !strings.Contains(r.Body, "/restore") {
		t.Errorf("the deleted users view lacks Ada or Restore")
	}
	if r := post("restore"); r.Status != http.StatusSeeOther || status() != directory.StatusActive {
		t.Fatalf("restore: %d, status %s", r.Status, status())
	}
}

func TestUserActionsThroughHTMXRedirectTheWholePage(t *testing.T) {
	e := usersEnv(t)
	c := e.SignIn("org_admin")
	ada := userByEmail(t, e, e.Acme, "ada@acme.example")
	req, err := http.NewRequestWithContext(e.Ctx, http.MethodPost, e.URL+"/users/"+ada.ID+"/suspend",
		strings.NewReader(url.Values{"back": {"/users"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	r := c.Do(req)
	if r.Status != http.StatusNoContent || r.Header.Get("HX-Redirect") != "/users" {
		t.Fatalf("htmx ban: %d, HX-Redirect %q", r.Status, r.Header.Get("HX-Redirect"))
	}
}

func TestBulkDeleteAsksHowManyThenDeletes(t *testing.T) {
	e := usersEnv(t)
	c := e.SignIn("org_admin")
	ada, alan := userByEmail(t, e, e.Acme, "ada@acme.example"), userByEmail(t, e, e.Acme, "alan@acme.example")
	form := url.Values{"id": {ada.ID, alan.ID}, "back": {"/users"}}
	r := c.Post("/users/delete", form)
	if r.Status != 200 || !strings.Contains(r.Body, "Delete 2 users?") || !strings.Contains(r.Body, "Alan Turing") {
		t.Fatalf("confirmation: %d\n%s", r.Status, r.Body)
	}
	if u, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, ada.ID); u.Status == directory.StatusDeleted {
		t.Fatal("deleted before the confirmation")
	}
	form.Set("confirm", "yes")
	if r := c.PostRaw("/users/delete", form); r.Status != http.StatusForbidden {
		t.Errorf("confirmed without the CSRF token: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").Post("/users/delete", form); r.Status != http.StatusForbidden {
		t.Errorf("confirmed by a viewer: %d", r.Status)
	}
	r = c.Post("/users/delete", form)
	if r.Status != http.StatusSeeOther || !strings.Contains(c.Get(r.Location()).Body, "2 users deleted.") {
		t.Fatalf("delete: %d to %q", r.Status, r.Location())
	}
	for _, u := range []*directory.User{ada, alan} {
		if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID); got.Status != directory.StatusDeleted {
			t.Errorf("%s is %s", u.UserName, got.Status)
		}
	}
	// Another org's id is not found, on the confirmation as on the delete.
	bad := url.Values{"id": {e.Users["globex_admin"].ID}}
	if r := c.Post("/users/delete", bad); r.Status != http.StatusNotFound {
		t.Errorf("confirmation of another org's user: %d", r.Status)
	}
	bad.Set("confirm", "yes")
	r = c.Post("/users/delete", bad)
	if r.Status != http.StatusSeeOther || !strings.Contains(c.Get(r.Location()).Body, "0 users deleted. 1 user not") {
		t.Errorf("delete of another org's user: %d", r.Status)
	}
	if g, _ := e.Svc.GetUser(e.Ctx, e.Globex.ID, e.Users["globex_admin"].ID); g.Status == directory.StatusDeleted {
		t.Fatal("another org's user was deleted")
	}
	if r := c.Post("/users/delete", url.Values{}); r.Status != http.StatusSeeOther ||
		!strings.Contains(c.Get(r.Location()).Body, "Tick the users") {
		t.Errorf("nothing ticked: %d", r.Status)
	}
}

func itoa64(n int64) string { return fmt.Sprint(n) }
