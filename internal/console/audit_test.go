package console_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

func TestAuditLogFiltersAndPages(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	if r := c.Post("/org/scim-tokens", url.Values{"name": {"=HYPERLINK(\"http://evil\")"}}); r.Status != http.StatusCreated {
		t.Fatalf("token: %d", r.Status)
	}
	if r := c.Post("/org/domains", url.Values{"domain": {"sales.acme.example"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("domain: %d", r.Status)
	}
	all := c.Get("/audit")
	expect(t, "all", all, 200, "token.create", "org.update", "user.create", `action="/audit"`, `href="/audit.csv"`)

	r := c.Get("/audit?action=token.")
	expect(t, "by action", r, 200, "token.create", `value="token."`, `href="/audit.csv?action=token."`)
	if strings.Contains(r.Body, "org.update") {
		t.Errorf("the action filter lets other actions through")
	}
	admin := e.Users["org_admin"]
	r = c.Get("/audit?" + url.Values{"actor": {admin.ID}}.Encode())
	expect(t, "by actor", r, 200, "token.create", "org.update")
	if strings.Contains(r.Body, "<code>user.create</code>") {
		t.Errorf("the actor filter shows the operator's user creations")
	}
	byLogin := c.Get("/audit?actor=ORG_ADMIN@acme.example")
	expect(t, "by login", byLogin, 200, "token.create", `value="ORG_ADMIN@acme.example"`)
	if strings.Contains(byLogin.Body, "<code>user.create</code>") {
		t.Errorf("the actor filter by login shows the operator's user creations")
	}
	expect(t, "unknown login", c.Get("/audit?actor=nobody@acme.example"), 422, "no user signs in as nobody@acme.example")
	expect(t, "globex's login", c.Get("/audit?actor=admin@globex.example"), 422, "no user signs in as")
	r = c.Get("/audit?" + url.Values{"targetKind": {"user"}, "target": {e.Users["user"].ID}}.Encode())
	expect(t, "by target", r, 200, "user.create")
	if strings.Count(r.Body, "<code>user.create</code>") != 1 {
		t.Errorf("the target filter shows %d creations", strings.Count(r.Body, "<code>user.create</code>"))
	}
	today := e.Clock.Now().UTC().Format("2006-01-02")
	expect(t, "today", c.Get("/audit?from="+today+"&to="+today), 200, "token.create")
	expect(t, "before", c.Get("/audit?to=2001-01-01"), 200, "No events match.")

	expect(t, "bad date", c.Get("/audit?from=yesterday"), 422, "enter a date such as 2026-01-31", `value="yesterday"`)
	expect(t, "backwards", c.Get("/audit?from=2026-02-02&to=2026-02-01"), 422, "the last day cannot be before the first")
	expect(t, "wildcard", c.Get("/audit?action=user.%25"), 422, "at most 200 characters")

	// Paging: more events than a page.
	for i := range 60 {
		if _, _, err := e.Svc.CreateToken(e.Ctx, directory.Actor{Kind: directory.ActorAdmin, ID: admin.ID, Name: admin.UserName},
			e.Acme.ID, "t"+strings.Repeat("x", i%5)); err != nil {
			t.Fatal(err)
		}
	}
	r = c.Get("/audit?action=token.create")
	expect(t, "page 1", r, 200, `rel="next"`)
	if n := strings.Count(r.Body, "<code>token.create</code>"); n != 50 {
		t.Errorf("page 1 shows %d events", n)
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	r = c.Get(next)
	if n := strings.Count(r.Body, "<code>token.create</code>"); n != 11 || strings.Contains(r.Body, `rel="next"`) {
		t.Errorf("page 2 (%s) shows %d events", next, n)
	}

	// Globex's admin sees none of acme's log.
	g := e.SignIn("globex_admin").Get("/audit?action=token.")
	expect(t, "globex", g, 200, "No events match.")
}

func TestAuditExportIsCSVWithTheFilters(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	if r := c.Post("/org/scim-tokens", url.Values{"name": {"=HYPERLINK(\"http://evil\")"}}); r.Status != http.StatusCreated {
		t.Fatalf("token: %d", r.Status)
	}
	r := c.Get("/audit.csv?action=token.")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "time" || rows[1][4] != "token.create" {
		t.Fatalf("rows: %q", rows)
	}
	if !strings.Contains(rows[1][7], `'=HYPERLINK`) && !strings.Contains(rows[1][7], `name: — → =HYPERLINK`) {
		t.Errorf("changes cell: %q", rows[1][7])
	}
	for _, cell := range rows[1] {
		if strings.HasPrefix(cell, "=") {
			t.Errorf("a cell runs as a formula: %q", cell)
		}
	}
	all := c.Get("/audit.csv")
	rows, _ = csv.NewReader(strings.NewReader(all.Body)).ReadAll()
	if len(rows) < 6 { // the operator's user and org creations, the token
		t.Errorf("the whole export has %d rows", len(rows))
	}
	expect(t, "bad filter", c.Get("/audit.csv?to=someday"), http.StatusBadRequest, "to: enter a date")
	if r := e.SignIn("billing_admin").Get("/audit.csv"); r.Status != http.StatusForbidden {
		t.Errorf("billing admin exports: %d", r.Status)
	}
	g := e.SignIn("globex_admin").Get("/audit.csv?action=token.")
	if rows, _ := csv.NewReader(strings.NewReader(g.Body)).ReadAll(); len(rows) != 1 {
		t.Errorf("globex's export holds acme's events: %q", rows)
	}
}
