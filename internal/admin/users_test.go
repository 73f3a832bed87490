package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

var linkToken = regexp.MustCompile(`token=(rsl_[A-Za-z0-9_%-]+)`)

// linkFrom returns the one-time token in an emailed link.
func linkFrom(t *testing.T, m mail.Message) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no link in %q", m.Text)
	}
	tok, err := url.QueryUnescape(match[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var mailedPassword = regexp.MustCompile(`Your password is:\s+(\S+)`)

func TestEachPasswordMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	create := func(userName, mode, password string) *response {
		return e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{
			"userName": userName, "givenName": "New", "role": "user", "passwordMode": mode, "password": password,
			"properties": map[string]any{"badge": "B-7"},
		})
	}

	t.Run("an invited user is pending until it sets its password through the emailed link", func(t *testing.T) {
		r := create("invited@acme.example", "invite", "").want(t, http.StatusCreated)
		if r.str("user", "status") != "pending" || r.str("email", "kind") != "invitation" || r.header.Get("Location") == "" {
			t.Fatalf("created %s", r.body)
		}
		link := linkFrom(t, e.mail.last(t, "invited@acme.example"))
		if res, _ := e.login("invited@acme.example", testPassword); res.status != http.StatusUnauthorized {
			t.Fatalf("a pending user logged in: %d", res.status)
		}
		e.do(http.MethodPost, "/api/v1/auth/password/set", "", map[string]string{"token": link, "password": "short"}).want(t, http.StatusBadRequest)
		set := e.do(http.MethodPost, "/api/v1/auth/password/set", "", map[string]string{"token": link, "password": testPassword}).want(t, http.StatusOK)
		if set.str("status") != "active" {
			t.Fatalf("after setting the password: %s", set.body)
		}
		e.do(http.MethodPost, "/api/v1/auth/password/set", "", map[string]string{"token": link, "password": testPassword + "x"}).want(t, http.StatusNotFound)
		if res, _ := e.login("invited@acme.example", testPassword); res.status != http.StatusOK || res.str("stage") != "full" {
			t.Fatalf("login after invitation: %s", res.body)
		}
	})

	t.Run("a generated password is emailed and never shown to the admin", func(t *testing.T) {
		r := create("generated@acme.example", "generate", "").want(t, http.StatusCreated)
		m := e.mail.last(t, "generated@acme.example")
		match := mailedPassword.FindStringSubmatch(m.Text)
		if match == nil || m.Kind != mail.PasswordSet {
			t.Fatalf("email %q", m.Text)
		}
		if strings.Contains(string(r.body), match[1]) || r.str("user", "status") != "active" {
			t.Fatalf("response %s", r.body)
		}
		if res, _ := e.login("generated@acme.example", match[1]); res.status != http.StatusOK {
			t.Fatalf("login with the emailed password: %s", res.body)
		}
	})

	t.Run("a password the admin types is emailed", func(t *testing.T) {
		create("typed@acme.example", "set_and_email", "Typed-Pass-2026").want(t, http.StatusCreated)
		if !strings.Contains(e.mail.last(t, "typed@acme.example").Text, "Typed-Pass-2026") {
			t.Fatal("the email lacks the password")
		}
		if res, _ := e.login("typed@acme.example", "Typed-Pass-2026"); res.status != http.StatusOK {
			t.Fatalf("login: %s", res.body)
		}
	})

	t.Run("a password the admin types without email sends nothing", func(t *testing.T) {
		r := create("quiet@acme.example", "set", "Quiet-Pass-2026").want(t, http.StatusCreated)
		if e.mail.count("quiet@acme.example") != 0 || r.json["email"] != nil {
			t.Fatalf("an email went out: %s", r.body)
		}
		if res, _ := e.login("quiet@acme.example", "Quiet-Pass-2026"); res.status != http.StatusOK {
			t.Fatalf("login: %s", res.body)
		}
	})

	for name, body := range map[string]map[string]any{
		"a weak password":                     {"userName": "weak@acme.example", "role": "user", "passwordMode": "set", "password": "abc"},
		"a password with invite":              {"userName": "x1@acme.example", "role": "user", "passwordMode": "invite", "password": "Long-Enough-123"},
		"set without a password":              {"userName": "x2@acme.example", "role": "user", "passwordMode": "set"},
		"an unknown mode":                     {"userName": "x3@acme.example", "role": "user", "passwordMode": "carrier-pigeon"},
		"no role":                             {"userName": "x4@acme.example"},
		"a taken userName":                    {"userName": "user@acme.example", "role": "user", "passwordMode": "invite"},
		"an unknown custom property":          {"userName": "x5@acme.example", "role": "user", "properties": map[string]any{"shoe": 42}},
		"a wrongly typed property":            {"userName": "x6@acme.example", "role": "user", "properties": map[string]any{"badge": 7}},
		"an sso user with a password":         {"userName": "x7@acme.example", "role": "user", "authMethod": "sso", "passwordMode": "set", "password": "Long-Enough-123"},
		"a userName with a control character": {"userName": "no\u0001body", "role": "user"},
		"an invitation without an email":      {"userName": "jdoe", "role": "user", "passwordMode": "invite"},
		"a userName over 256 characters":      {"userName": strings.Repeat("n", 257), "role": "user"},
	} {
		t.Run(name+" is refused and creates nothing", func(t *testing.T) {
			r := e.do(http.MethodPost, "/api/v1/users", admin, body)
			if r.status != http.StatusBadRequest && r.status != http.StatusConflict {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if r.str("error", "message") == "" {
				t.Fatalf("no message: %s", r.body)
			}
			if un, _ := body["userName"].(string); un != "user@acme.example" {
				if _, err := e.svc.FindUserByUserName(e.ctx, e.acme.ID, un); !directory.IsCode(err, directory.CodeNotFound) {
					t.Fatalf("the user was created: %v", err)
				}
			}
		})
	}
}

func TestBulkCreateReportsEachRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(http.MethodPost, "/api/v1/users/bulk", e.tokens["org_admin"], map[string]any{"users": []any{
		map[string]any{"userName": "b1@acme.example", "role": "user"},
		map[string]any{"userName": "bad\u0007name", "role": "user"},
		map[string]any{"userName": "b1@acme.example", "role": "user"},
		map[string]any{"userName": "b2@acme.example", "role": "org_viewer", "passwordMode": "set", "password": "Bulk-Pass-2026"},
	}}).want(t, http.StatusOK)
	results, _ := r.json["results"].([]any)
	if len(results) != 4 || r.json["succeeded"] != 2.0 || r.json["failed"] != 2.0 {
		t.Fatalf("results %s", r.body)
	}
	want := []string{"created", "failed", "failed", "created"}
	for i, res := range results {
		row := res.(map[string]any)
		if row["status"] != want[i] || row["row"] != float64(i) {
			t.Errorf("row %d: %v", i, row)
		}
	}
	if fail := results[2].(map[string]any)["error"].(map[string]any); fail["code"] != "conflict" || fail["field"] != "userName" {
		t.Errorf("duplicate row error %v", fail)
	}
	e.do(http.MethodPost, "/api/v1/users/bulk", e.tokens["org_admin"], map[string]any{"users": []any{}}).want(t, http.StatusBadRequest)
}

func TestListSearchFilterSortPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, n := range []string{"zoe", "yann", "xavier"} {
		u := e.createUser(e.acme, n+"@acme.example", directory.RoleUser, testPassword)
		if _, err := e.svc.UpdateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, u.ID, 0, func(u *directory.User) error {
			u.FamilyName = strings.ToUpper(n[:1]) + n[1:] + "son"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	viewer := e.tokens["org_viewer"]
	r := e.do(http.MethodGet, "/api/v1/users?q=ANNs&sort=familyName", viewer, nil).want(t, http.StatusOK)
	if users := r.json["users"].([]any); len(users) != 1 || users[0].(map[string]any)["userName"] != "yann@acme.example" {
		t.Fatalf("search: %s", r.body)
	}
	r = e.do(http.MethodGet, "/api/v1/users?role=user&sort=userName&order=desc&limit=2&count=true", viewer, nil).want(t, http.StatusOK)
	users := r.json["users"].([]any)
	if len(users) != 2 || users[0].(map[string]any)["userName"] != "zoe@acme.example" || r.str("next") == "" || r.json["total"] != 4.0 {
		t.Fatalf("first page: %s", r.body)
	}
	// The count is only made when asked for.
	uncounted := e.do(http.MethodGet, "/api/v1/users?role=user&sort=userName&order=desc&limit=2", viewer, nil).want(t, http.StatusOK)
	if _, ok := uncounted.json["total"]; ok || len(uncounted.json["users"].([]any)) != 2 || uncounted.str("next") != r.str("next") {
		t.Fatalf("first page without count: %s", uncounted.body)
	}
	r = e.do(http.MethodGet, "/api/v1/users?role=user&sort=userName&order=desc&limit=2&cursor="+url.QueryEscape(r.str("next")), viewer, nil).want(t, http.StatusOK)
	users = r.json["users"].([]any)
	if len(users) != 2 || users[0].(map[string]any)["userName"] != "xavier@acme.example" || r.str("next") != "" {
		t.Fatalf("second page: %s", r.body)
	}
	if strings.Contains(string(r.body), "globex") {
		t.Fatal("another organization's users are listed")
	}
	for _, q := range []string{"status=zombie", "sort=password", "order=sideways", "limit=0", "limit=abc", "colour=red", "cursor=garbage", "count=yes", "count=1"} {
		r := e.do(http.MethodGet, "/api/v1/users?"+q, viewer, nil)
		if r.status != http.StatusBadRequest || r.code() != "invalid" {
			t.Errorf("%s: status %d %s", q, r.status, r.body)
		}
	}
}

func TestEditKeepsPasswordAndRespectsDirectories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	u := e.users["user"]
	r := e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"givenName": "Grace", "password": "", "properties": map[string]any{"badge": "B-1"}}).want(t, http.StatusOK)
	if r.str("givenName") != "Grace" || r.header.Get("ETag") == "" {
		t.Fatalf("edit: %s", r.body)
	}
	if res, _ := e.login(u.UserName, testPassword); res.status != http.StatusOK {
		t.Fatal("an empty password field changed the password")
	}
	e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"password": "New-Password-77"}).want(t, http.StatusOK)
	if res, _ := e.login(u.UserName, "New-Password-77"); res.status != http.StatusOK {
		t.Fatal("the new password does not work")
	}
	stale := e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"givenName": "Old", "version": 1})
	if stale.status != http.StatusPreconditionFailed {
		t.Fatalf("stale version: %d %s", stale.status, stale.body)
	}

	scimUser, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorToken, Source: directory.SourceSCIM}, e.acme.ID,
		&directory.User{UserName: "synced@acme.example", GivenName: "Sync", Source: directory.SourceSCIM})
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(http.MethodPatch, "/api/v1/users/"+scimUser.ID, admin, map[string]any{"givenName": "Changed"})
	if r.status != http.StatusForbidden || r.str("error", "field") != "givenName" || !strings.Contains(r.str("error", "message"), "SCIM") {
		t.Fatalf("editing a directory attribute: %d %s", r.status, r.body)
	}
	if e.user(scimUser.ID).GivenName != "Sync" {
		t.Fatal("the refused edit changed the user")
	}
	e.do(http.MethodPatch, "/api/v1/users/"+scimUser.ID, admin, map[string]any{"givenName": "Sync", "properties": map[string]any{"badge": "X"}}).want(t, http.StatusOK)
	r = e.do(http.MethodPost, "/api/v1/users/"+scimUser.ID+"/role", admin, map[string]any{"role": "org_viewer"}).want(t, http.StatusOK)
	if r.str("role") != "org_viewer" || r.str("managedBy") != "scim" {
		t.Fatalf("role change of a directory user: %s", r.body)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	target := e.users["user"]
	before := e.user(target.ID)
	path := "/api/v1/users/" + target.ID
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"malformed JSON", http.MethodPatch, path, admin, `{"givenName": `, 400},
		{"a JSON array", http.MethodPatch, path, admin, `[1,2]`, 400},
		{"two JSON values", http.MethodPatch, path, admin, `{"givenName":"A"} {"givenName":"B"}`, 400},
		{"an unknown field", http.MethodPatch, path, admin, map[string]any{"givenName": "A", "isRoot": true}, 400},
		{"a wrong type", http.MethodPatch, path, admin, map[string]any{"givenName": 7}, 400},
		{"a key given twice", http.MethodPatch, path, admin, `{"givenName":"A","givenName":"B"}`, 400},
		{"a nested key given twice", http.MethodPatch, path, admin, `{"enterprise":{"department":"A","department":"B"}}`, 400},
		{"an oversized body", http.MethodPatch, path, admin, `{"givenName":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
		{"an empty body", http.MethodPatch, path, admin, ``, 400},
		{"a wrong token", http.MethodPatch, path, "rsp_not-a-real-token", map[string]any{"givenName": "A"}, 401},
		{"a SCIM token as a bearer", http.MethodPatch, path, "rst_00000000000000000000000000000000_x", map[string]any{"givenName": "A"}, 401},
		{"another organization's admin", http.MethodPatch, path, e.tokens["globex_admin"], map[string]any{"givenName": "A"}, 404},
		{"an unknown id", http.MethodPatch, "/api/v1/users/00000000-0000-7000-8000-000000000000", admin, map[string]any{"givenName": "A"}, 404},
		{"a method the path does not take", http.MethodPut, path, admin, map[string]any{"givenName": "A"}, 405},
		{"an unknown endpoint", http.MethodGet, "/api/v1/nothing-here", admin, nil, 404},
		{"an invalid audit filter", http.MethodGet, "/api/v1/audit?from=yesterday", admin, nil, 400},
		{"NUL in a name", http.MethodPatch, path, admin, `{"givenName":"A\u0000"}`, 400},
		{"NUL in a nested attribute", http.MethodPatch, path, admin, `{"enterprise":{"department":"R\u0000D"}}`, 400},
		{"invalid UTF-8 in a name", http.MethodPatch, path, admin, "{\"givenName\":\"A\xff\"}", 400},
		{"a line break in a name", http.MethodPatch, path, admin, `{"familyName":"A\nB"}`, 400},
		{"a control character in a title", http.MethodPatch, path, admin, `{"title":"A\u0007"}`, 400},
		{"NUL in an id", http.MethodPatch, "/api/v1/users/a%00b", admin, map[string]any{"givenName": "A"}, 400},
		{"invalid UTF-8 in a query", http.MethodGet, "/api/v1/users?q=%FF", admin, nil, 400},
		{"NUL in a login email", http.MethodPost, "/api/v1/auth/login", "", `{"email":"org_admin@acme.example\u0000","password":"x"}`, 400},
	}
	for _, c := range cases {
		t.Run(c.name+" gets a JSON error", func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.body)
			if r.status != c.status || r.code() == "" || r.str("error", "message") == "" {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
		})
	}
	after := e.user(target.ID)
	if after.Version != before.Version || after.GivenName != before.GivenName {
		t.Fatalf("the user changed: %+v", after)
	}
	// Bad text is named by its field.
	for body, field := range map[string]string{
		`{"givenName":"A\u0000"}`:                  "givenName",
		`{"enterprise":{"department":"R\u0000D"}}`: "enterprise.department",
		"{\"givenName\":\"A\xff\"}":                "givenName",
		`{"familyName":"A\nB"}`:                    "name.familyName",
		`{"title":"A\u0007"}`:                      "title",
	} {
		r := e.do(http.MethodPatch, path, admin, body).want(t, http.StatusBadRequest)
		if got := r.str("error", "field"); got != field {
			t.Errorf("PATCH %s: field %q, want %q (%s)", body, got, field, r.body)
		}
	}
	// Text without a JSON content type is refused too (cross-site forms).
	r := e.do(http.MethodGet, "/api/v1/me", admin, nil).want(t, http.StatusOK)
	if r.str("userName") != "org_admin@acme.example" {
		t.Fatalf("me: %s", r.body)
	}
}

func TestStatusActionsAndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	u := e.users["user"]
	userToken := e.tokens["user"]
	e.do(http.MethodGet, "/api/v1/me", userToken, nil).want(t, http.StatusOK)

	r := e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/suspend", admin, map[string]any{"reason": "left the company"}).want(t, http.StatusOK)
	if r.str("status") != "suspended" || r.str("statusReason") != "left the company" {
		t.Fatalf("suspend: %s", r.body)
	}
	e.do(http.MethodGet, "/api/v1/me", userToken, nil).want(t, http.StatusUnauthorized)
	if res, _ := e.login(u.UserName, testPassword); res.status != http.StatusUnauthorized {
		t.Fatal("a suspended user logged in")
	}
	e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/reactivate", admin, nil).want(t, http.StatusOK)
	e.do(http.MethodGet, "/api/v1/me", userToken, nil).want(t, http.StatusUnauthorized) // revoked for good
	if res, _ := e.login(u.UserName, testPassword); res.status != http.StatusOK {
		t.Fatal("a reactivated user cannot log in")
	}

	e.do(http.MethodDelete, "/api/v1/users/"+u.ID, admin, nil).want(t, http.StatusOK)
	e.do(http.MethodGet, "/api/v1/users?status=deleted", admin, nil).want(t, http.StatusOK)
	r = e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/restore", admin, nil).want(t, http.StatusOK)
	if r.str("status") != "active" {
		t.Fatalf("restore: %s", r.body)
	}
	r = e.do(http.MethodPost, "/api/v1/users/delete", admin, map[string]any{"ids": []string{u.ID, e.users["org_admin"].ID, "no-such-id"}}).want(t, http.StatusOK)
	if r.json["succeeded"] != 1.0 || r.json["failed"] != 2.0 {
		t.Fatalf("bulk delete (own account and an unknown id refused): %s", r.body)
	}
	e.do(http.MethodPost, "/api/v1/users/"+e.users["org_admin"].ID+"/suspend", admin, nil).want(t, http.StatusForbidden)

	r = e.do(http.MethodGet, "/api/v1/audit?target="+u.ID+"&action=user.", admin, nil).want(t, http.StatusOK)
	actions := map[string]bool{}
	for _, ev := range r.json["events"].([]any) {
		actions[ev.(map[string]any)["action"].(string)] = true
	}
	for _, a := range []string{"user.status", "user.delete", "user.restore", "user.sessions.revoke", "user.login"} {
		if !actions[a] {
			t.Errorf("audit lacks %s: %v", a, actions)
		}
	}
}

func TestAnInvitationThatLapsedIsSentAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	later := e.clock.Now().AddDate(0, 0, 91)
	// The admin signs in on the day of the pass; the invited user never
	// set its password, and the job marks it inactive.
	if err := e.svc.RecordLogin(e.ctx, e.acme.ID, e.users["org_admin"].ID, later); err != nil {
		t.Fatal(err)
	}
	u := e.createUser(e.acme, "late@acme.example", directory.RoleUser, "")
	job := directory.Actor{Kind: directory.ActorJob, ID: "inactivity", Name: "inactivity job"}
	if _, err := e.svc.DeactivateInactiveUsers(e.ctx, job, e.acme.ID, later); err != nil {
		t.Fatal(err)
	}
	if got := e.user(u.ID); got.Status != directory.StatusInactive {
		t.Fatalf("status %s, want inactive", got.Status)
	}

	r := e.do(http.MethodPost, "/api/v1/users/"+u.ID+"/reset-password", admin, nil).want(t, http.StatusAccepted)
	if r.str("kind") != string(mail.Invitation) {
		t.Fatalf("reset-password: %s", r.body)
	}
	if got := e.user(u.ID); got.Status != directory.StatusPending || got.StatusSetBy != directory.AuthorityAdmin {
		t.Fatalf("after the new invitation: %s set by %s", got.Status, got.StatusSetBy)
	}
	link := linkFrom(t, e.mail.last(t, "late@acme.example"))
	set := e.do(http.MethodPost, "/api/v1/auth/password/set", "", map[string]string{"token": link, "password": testPassword}).want(t, http.StatusOK)
	if set.str("status") != "active" {
		t.Fatalf("after setting the password: %s", set.body)
	}
	if res, _ := e.login("late@acme.example", testPassword); res.status != http.StatusOK {
		t.Fatalf("login: %s", res.body)
	}

	// A user with a password that went inactive is reactivated, not
	// sent a link.
	idle := e.users["user"]
	if _, err := e.svc.SetStatus(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, idle.ID, directory.StatusInactive, ""); err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodPost, "/api/v1/users/"+idle.ID+"/reset-password", admin, nil).want(t, http.StatusBadRequest)
}

func TestDuplicateKeysAreRefusedByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/users/" + e.users["user"].ID
	for body, field := range map[string]string{
		`{"givenName":"A","givenName":"B"}`:                        "givenName",
		`{"givenName":"A","GivenName":"B"}`:                        "GivenName",
		`{"enterprise":{"department":"A","department":"B"}}`:       "enterprise.department",
		`{"properties":{"badge":"1","badge":"2"},"givenName":"A"}`: "properties.badge",
	} {
		r := e.do(http.MethodPatch, path, e.tokens["org_admin"], body).want(t, http.StatusBadRequest)
		if r.code() != "invalid" || r.str("error", "field") != field {
			t.Errorf("%s: %s, want field %s named", body, r.body, field)
		}
	}
	if u := e.user(e.users["user"].ID); u.GivenName == "A" || u.GivenName == "B" {
		t.Errorf("a refused body changed the user: %+v", u)
	}
}

func TestAnOptionalBodyIsStillChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/users/" + e.users["user"].ID + "/suspend"
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"reason":"x"}`))
	req.Header.Set("Authorization", "Bearer "+e.tokens["org_admin"])
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a reason as text/plain = %d, want 400", rec.Code)
	}
	e.do(http.MethodPost, path, e.tokens["org_admin"], `{"reason":"a","reason":"b"}`).want(t, http.StatusBadRequest)
	if u := e.user(e.users["user"].ID); u.Status != directory.StatusActive {
		t.Fatalf("a refused body suspended the user: %s", u.Status)
	}
	r := e.do(http.MethodPost, path, e.tokens["org_admin"], nil).want(t, http.StatusOK)
	if r.str("statusReason") != "suspended by an admin" {
		t.Errorf("no body: %s", r.body)
	}
}
