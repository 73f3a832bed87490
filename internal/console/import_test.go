package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

const goodCSV = "userName,givenName,familyName,email,role\n" +
	"imp1@acme.example,Ima,One,imp1@acme.example,user\n" +
	"imp2@acme.example,Ima,Two,imp2@acme.example,org_viewer\n"

const badCSV = goodCSV + "imp3@acme.example,Ima,Three,not-an-email,user\n"

var uploadTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// waitJob polls the import's page until it is done and returns it.
func waitJob(t *testing.T, c *consoletest.Client, path string) *consoletest.Response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.Get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		if !strings.Contains(r.Body, `id="job-running"`) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("the import did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestImportTemplatesCarryTheCustomProperties(t *testing.T) {
	e := consoletest.New(t)
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.UserProperties = []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyNumber, Required: true}}
	})
	c := e.SignIn("org_admin")
	r := c.Get("/users/import/template?format=csv")
	if r.Status != 200 || !strings.Contains(strings.SplitN(r.Body, "\n", 2)[0], "userName,") || !strings.Contains(strings.SplitN(r.Body, "\n", 2)[0], "badge") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), `filename="acme-users-template.csv"`) {
		t.Errorf("CSV template: %d %q\n%s", r.Status, r.Header.Get("Content-Disposition"), r.Body)
	}
	r = c.Get("/users/import/template?format=xlsx")
	if r.Status != 200 || !strings.HasPrefix(r.Body, "PK") || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("XLSX template: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := c.Get("/users/import/template?format=pdf"); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Errorf("pdf template: %d", r.Status)
	}
	if r := e.SignIn("billing_admin").Get("/users/import/template"); r.Status != http.StatusForbidden {
		t.Errorf("billing admin: %d", r.Status)
	}
	page := c.Get("/users/import")
	if page.Status != 200 || !strings.Contains(page.Body, "Badge (required)") || !strings.Contains(page.Body, `enctype="multipart/form-data"`) {
		t.Errorf("import page: %d", page.Status)
	}
	if r := e.SignIn("org_viewer").Get("/users/import"); r.Status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.Status)
	}
}

func TestImportReadsThenRefusesAFileWithABadRow(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	r := c.PostFile("/users/import/preview", "file", "users.csv", []byte(badCSV), nil)
	if r.Status != 200 || !strings.Contains(r.Body, "3 rows; 3 users to create") && !strings.Contains(r.Body, "3 rows;") {
		t.Fatalf("preview: %d\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, `id="problem-row-4"`) || !strings.Contains(r.Body, "D4") {
		t.Errorf("the preview does not show row 4's cell D4:\n%s", r.Body)
	}
	if n := e.Mail.Count("imp1@acme.example"); n != 0 {
		t.Fatal("the preview sent emails")
	}
	token := uploadTokenRE.FindStringSubmatch(r.Body)[1]
	r = c.Post("/users/import/commit", url.Values{"token": {token}, "sendEmails": {"on"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/users/import/jobs/") {
		t.Fatalf("commit: %d to %q", r.Status, r.Location())
	}
	res := waitJob(t, c, r.Location())
	if !strings.Contains(res.Body, "Nothing was created") || !strings.Contains(res.Body, `id="refused"`) || !strings.Contains(res.Body, "row 4:") {
		t.Errorf("result:\n%s", res.Body)
	}
	pg, _ := e.Svc.ListUsers(e.Ctx, e.Acme.ID, directory.UserQuery{Filter: directory.Eq(directory.UserGivenName, "Ima"), Limit: 10})
	if len(pg.Users) != 0 {
		t.Errorf("a refused file created %d users", len(pg.Users))
	}
	// A token works once, for its uploader only.
	if r := c.Post("/users/import/commit", url.Values{"token": {token}}); r.Status != http.StatusSeeOther || r.Location() != "/users/import" {
		t.Errorf("a token used twice: %d to %q", r.Status, r.Location())
	}
}

func TestImportCreatesUsersAndListsThem(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	r := c.PostFile("/users/import/preview", "file", "users.csv", []byte(goodCSV), nil)
	if r.Status != 200 || !strings.Contains(r.Body, "No problems.") {
		t.Fatalf("preview: %d\n%s", r.Status, r.Body)
	}
	token := uploadTokenRE.FindStringSubmatch(r.Body)[1]
	if r := e.SignIn("org_admin").Post("/users/import/commit", url.Values{"token": {token}}); r.Location() != "/users/import" {
		t.Errorf("another session used the token: %d to %q", r.Status, r.Location())
	}
	if r := c.PostRaw("/users/import/commit", url.Values{"token": {token}}); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF: %d", r.Status)
	}
	r = c.Post("/users/import/commit", url.Values{"token": {token}, "sendEmails": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("commit: %d", r.Status)
	}
	res := waitJob(t, c, r.Location())
	if !strings.Contains(res.Body, "2 users created") || !strings.Contains(res.Body, "imp2@acme.example") || !strings.Contains(res.Body, "2 invitations sent") {
		t.Errorf("result:\n%s", res.Body)
	}
	e.Console.Wait()
	if m := e.Mail.Last(t, "imp1@acme.example"); m.Kind != mail.Invitation {
		t.Errorf("email %s", m.Kind)
	}
	if u := userByEmail(t, e, e.Acme, "imp2@acme.example"); u.Role != directory.RoleOrgViewer || u.Source != directory.SourceImport {
		t.Errorf("imported user: %s %s", u.Role, u.Source)
	}
	// Another org's admin does not see the job.
	if r := e.SignIn("globex_admin").Get(r.Location()); r.Status != http.StatusNotFound {
		t.Errorf("another org's job: %d", r.Status)
	}
}

func TestImportUploadValidation(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("org_admin")
	if r := c.Post("/users/import/preview", url.Values{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose a CSV or XLSX file") {
		t.Errorf("no file: %d", r.Status)
	}
	if r := c.PostFile("/users/import/preview", "file", "users.xlsx", []byte("not a spreadsheet"), nil); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="file-error"`) || strings.Contains(r.Body, `name="token"`) {
		t.Errorf("a broken XLSX: %d\n%s", r.Status, r.Body)
	}
	if r := c.PostFile("/users/import/preview", "file", "users.csv", []byte(goodCSV), map[string]string{"csrf_token": "x"}); r.Status != http.StatusForbidden {
		t.Errorf("bad CSRF: %d", r.Status)
	}
	if r := e.SignIn("org_viewer").PostFile("/users/import/preview", "file", "users.csv", []byte(goodCSV), nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.Status)
	}
}
