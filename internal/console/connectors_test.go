package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// newConnectorEnv serves the console with an Entra kind over a fake Graph
// tenant of five users.
func newConnectorEnv(t *testing.T) (*consoletest.Env, *entratest.Server) {
	t.Helper()
	g := entratest.New()
	t.Cleanup(g.Close)
	for i := range 5 {
		g.PutUser(entratest.User{ID: entratest.ID(i), UserPrincipalName: fmt.Sprintf("u%d@contoso.test", i),
			Mail: fmt.Sprintf("u%d@contoso.test", i), GivenName: "User", Surname: fmt.Sprintf("Number%d", i), AccountEnabled: true})
	}
	e := consoletest.New(t, consoletest.WithConnectors(entra.Kind(entra.WithHTTPClient(g.Client()))))
	return e, g
}

func entraForm(g *entratest.Server, mods map[string]string) url.Values {
	f := url.Values{"kind": {"entra"}, "name": {"Contoso"}, "settings.tenantId": {g.TenantID},
		"settings.clientId": {g.ClientID}, "settings.groups": {"none"}, "secret.clientSecret": {g.ClientSecret},
		"settings.authorityUrl": {g.URL}, "settings.graphUrl": {g.URL}, "deprovision": {"suspend"}, "threshold": {"50"},
		"thresholdMin": {"0"}}
	for k, v := range mods {
		f.Set(k, v)
	}
	return f
}

var runLinkRE = regexp.MustCompile(`^/org/connectors/([^/]+)/runs/([^/]+)$`)

// waitRun polls the run's page as htmx does until the run is over, and
// returns the last fragment.
func waitRun(t *testing.T, c *consoletest.Client, e *consoletest.Env, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(e.Ctx, http.MethodGet, e.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("HX-Request", "true")
		r := c.Do(req)
		if r.Status != 200 || !strings.HasPrefix(r.Body, `<section id="run"`) {
			t.Fatalf("poll %s: %d\n%s", path, r.Status, r.Body)
		}
		if !strings.Contains(r.Body, `data-status="running"`) {
			if strings.Contains(r.Body, "hx-trigger") {
				t.Errorf("a finished run still polls")
			}
			return r.Body
		}
		if !strings.Contains(r.Body, `hx-trigger="every 1s"`) || !strings.Contains(r.Body, `<progress id="run-progress"`) {
			t.Errorf("a running run neither polls nor shows progress:\n%s", r.Body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still running", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConnectorFormIsBuiltFromTheKindsSchema(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_admin")
	expect(t, "list", c.Get("/org/connectors"), 200, "No connectors yet.", `href="/org/connectors/new?kind=entra"`)
	r := c.Get("/org/connectors/new?kind=entra")
	expect(t, "form", r, 200, `name="settings.tenantId"`, `name="settings.clientId"`, `name="settings.maxRetries" type="number" min="1"`,
		`<option value="listed">`, `name="settings.groupIds"`, `id="threshold" name="threshold" type="number" min="1" max="100" step="any" required value="20"`,
		`id="thresholdMin" name="thresholdMin" type="number" min="0" step="1" required value="10"`, `name="secret.clientSecret" type="password"`, "Directory (tenant) id")
	expect(t, "unknown kind", c.Get("/org/connectors/new?kind=nis"), 404)
	if r := e.SignIn("org_viewer").Get("/org/connectors/new?kind=entra"); r.Status != 403 {
		t.Errorf("viewer opens the form: %d", r.Status)
	}

	expect(t, "missing tenant", c.Post("/org/connectors", entraForm(g, map[string]string{"settings.tenantId": ""})), 422, "required", `value="Contoso"`)
	expect(t, "bad number", c.Post("/org/connectors", entraForm(g, map[string]string{"settings.maxRetries": "0"})), 422, "enter a whole number of at least 1")
	expect(t, "no secret", c.Post("/org/connectors", entraForm(g, map[string]string{"secret.clientSecret": ""})), 422, "needs the secret")
	expect(t, "no name", c.Post("/org/connectors", entraForm(g, map[string]string{"name": ""})), 422, "a connector needs a name")
	expect(t, "no threshold", c.Post("/org/connectors", entraForm(g, map[string]string{"threshold": "x"})), 422, "enter a percentage such as 20")
	expect(t, "threshold too high", c.Post("/org/connectors", entraForm(g, map[string]string{"threshold": "150"})), 422, "at most 100")
	expect(t, "negative minimum", c.Post("/org/connectors", entraForm(g, map[string]string{"thresholdMin": "-1"})), 422, "enter a number of users")
	expect(t, "bad deprovision", c.Post("/org/connectors", entraForm(g, map[string]string{"deprovision": "shred"})), 422, "deprovision must be suspend or delete")
	expect(t, "bad enum", c.Post("/org/connectors", entraForm(g, map[string]string{"settings.groups": "some"})), 422)
	if r := e.SignIn("org_viewer").Post("/org/connectors", entraForm(g, nil)); r.Status != 403 {
		t.Errorf("viewer creates: %d", r.Status)
	}
	if r := c.PostRaw("/org/connectors", entraForm(g, nil)); r.Status != 403 {
		t.Errorf("create without CSRF: %d", r.Status)
	}

	r = c.Post("/org/connectors", entraForm(g, map[string]string{"settings.maxRetries": "3"}))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/org/connectors/") {
		t.Fatalf("create: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	page := c.Get(r.Location())
	expect(t, "connector", page, 200, "Contoso", `maxRetries&#34;:3`, "more than 50% of its users", "Secrets set: clientSecret", "Connector Contoso created")
	if strings.Contains(page.Body, g.ClientSecret) {
		t.Fatal("the page shows the secret")
	}
}

func TestConnectorTestDryRunRunApproveAndHistory(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_admin")
	r := c.Post("/org/connectors", entraForm(g, nil))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	home := r.Location()

	expect(t, "test", c.Post(home+"/check", nil), 200, "The directory answered")
	g.ClientSecret = "rotated"
	expect(t, "test with a wrong secret", c.Post(home+"/check", nil), 422, "Test failed:")
	g.ClientSecret = "s3cret"

	r = c.Post(home+"/dry-run", nil)
	m := runLinkRE.FindStringSubmatch(r.Location())
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("dry run: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	dry := waitRun(t, c, e, r.Location())
	for _, want := range []string{`data-status="succeeded"`, `id="run-plan"`, "u0@contoso.test", "u4@contoso.test", "Planned"} {
		if !strings.Contains(dry, want) {
			t.Errorf("the dry run lacks %q:\n%s", want, dry)
		}
	}
	if page, _ := e.Svc.ListUsers(e.Ctx, e.Acme.ID, directory.UserQuery{Filter: directory.Eq(directory.UserSource, "entra"), Limit: 10}); len(page.Users) != 0 {
		t.Fatalf("the dry run created %d users", len(page.Users))
	}
	expect(t, "full page", c.Get(r.Location()), 200, "Dry run of Contoso", `<progress id="run-progress" value="1"`)

	r = c.Post(home+"/run", nil)
	done := waitRun(t, c, e, r.Location())
	if !strings.Contains(done, `data-status="succeeded"`) || !strings.Contains(done, "<td>create</td><td>5</td>") {
		t.Fatalf("run:\n%s", done)
	}

	for i := range 3 {
		g.DeleteUser(entratest.ID(i), true)
	}
	r = c.Post(home+"/run", nil)
	heldPath := r.Location()
	held := waitRun(t, c, e, heldPath)
	for _, want := range []string{`data-status="held"`, `id="held"`, `id="approve"`, `id="run-plan"`} {
		if !strings.Contains(held, want) {
			t.Errorf("the held run lacks %q:\n%s", want, held)
		}
	}
	viewerPage := e.SignIn("org_viewer").Get(heldPath)
	if viewerPage.Status != 200 || strings.Contains(viewerPage.Body, `id="approve"`) {
		t.Errorf("viewer's page of the held run: %d, approve shown %v", viewerPage.Status, strings.Contains(viewerPage.Body, `id="approve"`))
	}
	if r := e.SignIn("org_viewer").Post(heldPath+"/approve", nil); r.Status != 403 {
		t.Errorf("viewer approves: %d", r.Status)
	}
	r = c.Post(heldPath+"/approve", nil)
	if r.Status != http.StatusSeeOther || r.Location() == heldPath {
		t.Fatalf("approve: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	approved := waitRun(t, c, e, r.Location())
	if !strings.Contains(approved, `data-status="succeeded"`) || !strings.Contains(approved, "<td>suspend</td><td>3</td>") {
		t.Fatalf("approval run:\n%s", approved)
	}
	hist := c.Get(home)
	if n := strings.Count(hist.Body, `/runs/`); n != 4 {
		t.Errorf("the history lists %d runs, want 4 (dry, run, held, approval)", n)
	}
	expect(t, "history", hist, 200, "dry run", "<td>approval</td>", "<td>approved</td>")

	// Another organization's connector and run are not found.
	other := e.SignIn("globex_admin")
	for _, path := range []string{home, heldPath} {
		if r := other.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("globex GET %s: %d", path, r.Status)
		}
	}
	for _, action := range []string{"/check", "/run", "/dry-run"} {
		if r := other.Post(home+action, nil); r.Status != http.StatusNotFound {
			t.Errorf("globex POST %s: %d", action, r.Status)
		}
	}
	if r := other.Post(heldPath+"/reject", nil); r.Status != http.StatusNotFound {
		t.Errorf("globex rejects: %d", r.Status)
	}
	// A run of another connector is not found under this one.
	r = c.Post("/org/connectors", entraForm(g, map[string]string{"name": "Second"}))
	second := r.Location()
	if r := c.Get(second + heldPath[len(home):]); r.Status != http.StatusNotFound {
		t.Errorf("a run under another connector: %d", r.Status)
	}
}

func TestConnectorHeldRunIsRejected(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_admin")
	home := c.Post("/org/connectors", entraForm(g, nil)).Location()
	waitRun(t, c, e, c.Post(home+"/run", nil).Location())
	for i := range 3 {
		g.DeleteUser(entratest.ID(i), true)
	}
	heldPath := c.Post(home+"/run", nil).Location()
	if held := waitRun(t, c, e, heldPath); !strings.Contains(held, `data-status="held"`) {
		t.Fatalf("run:\n%s", held)
	}
	if r := c.PostRaw(heldPath+"/reject", nil); r.Status != http.StatusForbidden {
		t.Errorf("reject without CSRF: %d", r.Status)
	}
	r := c.Post(heldPath+"/reject", nil)
	if r.Status != http.StatusSeeOther || r.Location() != heldPath {
		t.Fatalf("reject: %d to %q\n%s", r.Status, r.Location(), r.Body)
	}
	expect(t, "rejected", c.Get(heldPath), 200, `data-status="rejected"`, "Run rejected")
	page, _ := e.Svc.ListUsers(e.Ctx, e.Acme.ID, directory.UserQuery{Filter: directory.Eq(directory.UserStatus, string(directory.StatusSuspended)), Limit: 10})
	if len(page.Users) != 0 {
		t.Errorf("a rejected run suspended %d users", len(page.Users))
	}
	expect(t, "approve after reject", c.Post(heldPath+"/approve", nil), http.StatusConflict)
}

func TestConnectorThresholdShowsAsAPercentage(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_admin")
	r := c.Post("/org/connectors", entraForm(g, map[string]string{"threshold": "7"}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	expect(t, "page", c.Get(r.Location()), 200, "more than 7% of its users")
}

// The connector page lists its role rules and says whether the members of
// nested groups count.
func TestConnectorPageShowsRoleRulesAndNestedGroups(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_admin")
	r := c.Post("/org/connectors", entraForm(g, map[string]string{"settings.groups": "all"}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	page := r.Location()
	expect(t, "without rules", c.Get(page), 200, `id="role-rules">None`, "its own users only; set <code>nestedGroups</code>")

	id := strings.TrimPrefix(page, "/org/connectors/")
	if _, err := e.Svc.UpdateConnector(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.Acme.ID, id, 0,
		func(cn *directory.Connector) error {
			cn.RoleRules = []directory.RoleRule{{Group: "Helpdesk", Role: directory.RoleOrgViewer}}
			cn.Settings = []byte(strings.Replace(string(cn.Settings), "{", `{"nestedGroups":true,`, 1))
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	expect(t, "with a rule and nested groups", c.Get(page), 200, "members of <code>Helpdesk</code>: org_viewer",
		"those of the groups nested in it (<code>nestedGroups</code>), each once")
}

func TestARunPageListsItsErrors(t *testing.T) {
	e, g := newConnectorEnv(t)
	if _, err := e.Svc.CreateUser(e.Ctx, directory.Actor{Kind: directory.ActorToken, ID: "tok-1"}, e.Acme.ID,
		&directory.User{UserName: "u1@contoso.test", Source: directory.SourceSCIM, SourceRef: "okta-1"}); err != nil {
		t.Fatal(err)
	}
	c := e.SignIn("org_admin")
	r := c.Post("/org/connectors", entraForm(g, nil))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	r = c.Post(r.Location()+"/run", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("run: %d\n%s", r.Status, r.Body)
	}
	page := waitRun(t, c, e, r.Location())
	for _, want := range []string{`id="run-errors"`, "Errors (1)", "u1@contoso.test", "<td>userName</td>", "conflict"} {
		if !strings.Contains(page, want) {
			t.Errorf("the run page lacks %q:\n%s", want, page)
		}
	}
}
