package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/server"
)

// withImporter turns the import routes on, with an importer over the env's
// directory whose files may be up to maxFile bytes (0: the default).
func withImporter(maxFile int64) envOption {
	return func(c *Config) {
		lim := importer.DefaultLimits()
		if maxFile > 0 {
			lim.MaxFileBytes = maxFile
		}
		inv := NewInviter(c.Directory, c.Auth, c.Mailer, c.Logger)
		c.Importer = importer.New(serviceOf(c), inv, importer.Config{Now: c.Now, Limits: lim}, c.Logger)
	}
}

// upload sends body as a file of contentType.
func (e *env) upload(h http.Handler, path, token, contentType string, body io.Reader) *response {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(res.body, &res.json); err != nil {
			e.t.Fatalf("POST %s: response is not a JSON object: %v: %s", path, err, res.body)
		}
	}
	return res
}

func (e *env) userNamed(userName string) (*directory.User, bool) {
	e.t.Helper()
	us, err := e.svc.FindUsersByUserNames(e.ctx, e.acme.ID, []string{userName})
	if err != nil {
		e.t.Fatal(err)
	}
	return firstOr(us)
}

func firstOr(us []*directory.User) (*directory.User, bool) {
	if len(us) == 0 {
		return nil, false
	}
	return us[0], true
}

func summaryOf(t *testing.T, r *response, path ...string) map[string]any {
	t.Helper()
	var v any = r.json
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("no summary in %s", r.body)
	}
	return m
}

func TestImportTemplateAndPreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))

	r := e.do(http.MethodGet, "/api/v1/users/import/template?format=csv", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("template content type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="acme-users-template.csv"`) {
		t.Errorf("template disposition %q", cd)
	}
	if !strings.Contains(string(r.body), "userName") {
		t.Errorf("template: %s", r.body)
	}
	// A bad format is a JSON error, not a download.
	r = e.do(http.MethodGet, "/api/v1/users/import/template?format=pdf", e.tokens["org_admin"], nil).want(t, http.StatusBadRequest)
	if r.header.Get("Content-Disposition") != "" || r.code() != "invalid" {
		t.Errorf("bad format: disposition %q code %q", r.header.Get("Content-Disposition"), r.code())
	}

	csv := "userName,givenName\nann@acme.example,Ann\nbob@acme.example,Bob\n"
	r = e.upload(e.h, "/api/v1/users/import/preview", e.tokens["org_admin"], "text/csv", strings.NewReader(csv)).want(t, http.StatusOK)
	if sum := summaryOf(t, r); sum["rows"] != 2.0 || sum["creates"] != 2.0 || sum["committed"] != false {
		t.Errorf("preview summary: %s", r.body)
	}
	if _, ok := e.userNamed("ann@acme.example"); ok {
		t.Error("the preview created a user")
	}
	e.upload(e.h, "/api/v1/users/import/preview", e.tokens["org_viewer"], "text/csv", strings.NewReader(csv)).want(t, http.StatusForbidden)
}

func TestImportCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))

	// A file with problems writes nothing and says where they are.
	bad := "userName,role\ncy@acme.example,org_admin\ndee@acme.example,boss\n"
	r := e.upload(e.h, "/api/v1/users/import?filename=bad.csv", e.tokens["org_admin"], "text/csv", strings.NewReader(bad)).want(t, http.StatusUnprocessableEntity)
	sum := summaryOf(t, r, "summary")
	problems, _ := sum["problems"].([]any)
	if sum["committed"] != false || len(problems) != 1 {
		t.Fatalf("bad file: %s", r.body)
	}
	if p, _ := problems[0].(map[string]any); p["row"] != 3.0 || p["column"] != "role" {
		t.Errorf("bad file problem: %v", p)
	}
	if _, ok := e.userNamed("cy@acme.example"); ok {
		t.Error("a file with problems created a user")
	}
	// A file that cannot be read at all is a 400.
	e.upload(e.h, "/api/v1/users/import", e.tokens["org_admin"], "text/csv", strings.NewReader("")).want(t, http.StatusBadRequest)

	// Roles and authentication.
	good := "userName,givenName\nann@acme.example,Ann\nbob@acme.example,Bob\n"
	e.upload(e.h, "/api/v1/users/import", e.tokens["org_viewer"], "text/csv", strings.NewReader(good)).want(t, http.StatusForbidden)
	e.upload(e.h, "/api/v1/users/import", "", "text/csv", strings.NewReader(good)).want(t, http.StatusUnauthorized)
	e.do(http.MethodGet, "/api/v1/users/export", "", nil).want(t, http.StatusUnauthorized)
	if _, ok := e.userNamed("ann@acme.example"); ok {
		t.Fatal("a refused commit created a user")
	}

	// A multipart form, with invitations.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(good))
	_ = mw.Close()
	r = e.upload(e.h, "/api/v1/users/import?invite=true", e.tokens["org_admin"], mw.FormDataContentType(), &form).want(t, http.StatusOK)
	sum = summaryOf(t, r, "summary")
	if sum["creates"] != 2.0 || sum["committed"] != true || sum["invited"] != 2.0 {
		t.Fatalf("commit: %s", r.body)
	}
	ann, ok := e.userNamed("ann@acme.example")
	if !ok || ann.OrgID != e.acme.ID || ann.GivenName != "Ann" || ann.Status != directory.StatusPending {
		t.Fatalf("ann after the import: %+v", ann)
	}
	if n := e.mail.count("ann@acme.example"); n != 1 {
		t.Errorf("ann got %d emails, want her invitation", n)
	}
	if m := e.mail.last(t, "ann@acme.example"); !strings.Contains(m.Text+m.HTML, publicURL+"/set-password?token=") {
		t.Errorf("the invitation has no set-password link: %s", m.Text)
	}

	// The recorded run, in its organization only.
	id := r.str("id")
	if id == "" {
		t.Fatalf("no run id: %s", r.body)
	}
	run := e.do(http.MethodGet, "/api/v1/users/import/"+id, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if run.str("fileName") != "users.csv" || run.str("actor", "id") != e.users["org_admin"].ID {
		t.Errorf("run: %s", run.body)
	}
	rep := e.do(http.MethodGet, "/api/v1/users/import/"+id+"/report?format=csv", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if !strings.Contains(string(rep.body), "bob@acme.example,created") {
		t.Errorf("report: %s", rep.body)
	}
	e.do(http.MethodGet, "/api/v1/users/import/"+id, e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
	r = e.do(http.MethodGet, "/api/v1/users/import/"+id+"/report", e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
	if r.header.Get("Content-Disposition") != "" {
		t.Error("a 404 is served as a download")
	}
	e.do(http.MethodGet, "/api/v1/users/import/"+id, e.tokens["user"], nil).want(t, http.StatusForbidden)
}

func TestImportExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))
	if _, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID,
		&directory.User{UserName: "mallory@acme.example", GivenName: "Mal", DisplayName: "=cmd|' /C calc'!A0", Role: directory.RoleUser}); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodGet, "/api/v1/users/export?format=csv", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	body := string(r.body)
	for _, name := range []string{"org_admin@acme.example", "org_viewer@acme.example", "mallory@acme.example"} {
		if !strings.Contains(body, name) {
			t.Errorf("the export lacks %s: %s", name, body)
		}
	}
	if strings.Contains(body, "admin@globex.example") {
		t.Error("the export holds another organization's user")
	}
	if !strings.Contains(body, "'=cmd") || strings.Contains(body, ",=cmd") || strings.Contains(body, "\"=cmd") {
		t.Errorf("the formula-like name is not neutralized: %s", body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="acme-users.csv"`) {
		t.Errorf("export disposition %q", cd)
	}
	e.do(http.MethodGet, "/api/v1/users/export?status=gone", e.tokens["org_admin"], nil).want(t, http.StatusBadRequest)
	e.do(http.MethodGet, "/api/v1/users/export", e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
}

// TestImportUploadBodyLimit runs the API behind the HTTP server, whose
// body limit (http.max_body_bytes) is 1 MiB: the upload routes take files
// up to the importer's limit, and a larger one gets the importer's 413.
func TestImportUploadBodyLimit(t *testing.T) {
	t.Parallel()
	const maxFile = 2 << 20
	e := newEnv(t, withImporter(maxFile))
	srv, err := server.New(server.Config{
		Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Store: pinger{},
		Mounts:       []server.Mount{{Pattern: Prefix + "/", Handler: e.h}},
		MaxBodyBytes: 1 << 20, BodyLimits: UploadBodyLimits(e.h.cfg.Importer), ShutdownTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var big strings.Builder
	big.WriteString("userName,title\n")
	for i := 0; big.Len() < 3<<19; i++ { // 1.5 MiB
		fmt.Fprintf(&big, "u%d@acme.example,%s\n", i, strings.Repeat("x", 1000))
	}
	r := e.upload(srv.Handler(), "/api/v1/users/import/preview", e.tokens["org_admin"], "text/csv", strings.NewReader(big.String())).want(t, http.StatusOK)
	if sum := summaryOf(t, r); sum["rows"] == 0.0 || sum["problemCount"] != 0.0 {
		t.Errorf("large preview: %.300s", r.body)
	}
	over := strings.NewReader(big.String() + strings.Repeat("y", maxFile-big.Len()+1))
	r = e.upload(srv.Handler(), "/api/v1/users/import", e.tokens["org_admin"], "text/csv", over).want(t, http.StatusRequestEntityTooLarge)
	if r.code() != "too_large" || !strings.Contains(r.str("error", "message"), "2 MiB") {
		t.Errorf("over the importer's limit: %s", r.body)
	}
	// The other routes keep the server's limit.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/users/bulk", strings.NewReader(`{"users":[`+strings.Repeat(" ", 3<<19)+`]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens["org_admin"])
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 1.5 MiB JSON body: %d %s", rec.Code, rec.Body)
	}
}

type pinger struct{}

func (pinger) Ping(context.Context) error { return nil }

func TestImportRoutesAreDocumented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc struct {
		Paths map[string]map[string]struct {
			Roles []string `json:"x-roles"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, roles string }{
		{"get", "/users/import/template", "org_admin org_viewer"},
		{"post", "/users/import/preview", "org_admin"},
		{"post", "/users/import", "org_admin"},
		{"get", "/users/import/{id}", "org_admin org_viewer"},
		{"get", "/users/import/{id}/report", "org_admin org_viewer"},
		{"get", "/users/export", "org_admin org_viewer"},
	} {
		op, ok := doc.Paths[Prefix+tc.path][tc.method]
		if !ok {
			t.Errorf("%s %s is not documented", tc.method, tc.path)
			continue
		}
		if got := strings.Join(op.Roles, " "); got != tc.roles {
			t.Errorf("%s %s: roles %q, want %q", tc.method, tc.path, got, tc.roles)
		}
	}
}

func TestImportRoutesOffWithoutAnImporter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(http.MethodGet, "/api/v1/users/export", e.tokens["org_admin"], nil).want(t, http.StatusNotFound)
	e.do(http.MethodGet, "/api/v1/users/import/template", e.tokens["org_admin"], nil).want(t, http.StatusNotFound)
	if UploadBodyLimits(nil) != nil {
		t.Error("no importer, yet body limits")
	}
}

// TestImportDownloadErrors: an error before a download's first byte is a
// JSON error without the download's headers; one after can only abort the
// connection.
func TestImportDownloadErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := &principal{user: e.users["org_admin"]}
	failed := directory.Errorf(directory.CodeInvalid, "no")
	early := downloadRoute(e.h, func(w http.ResponseWriter, _ *http.Request, got *principal) error {
		if got != p || got.orgID() != e.acme.ID || got.actor(true).Kind != directory.ActorAdmin {
			t.Errorf("principal %+v", got)
		}
		w.Header().Set("Content-Disposition", `attachment; filename="x.csv"`)
		return failed
	}).serve
	rec := httptest.NewRecorder()
	if err := early(rec, httptest.NewRequest(http.MethodGet, "/x", nil), p, http.StatusOK); err != failed { //nolint:errorlint // the very error
		t.Errorf("early error: %v", err)
	}
	if rec.Header().Get("Content-Disposition") != "" {
		t.Error("an error before the download keeps its Content-Disposition")
	}

	late := downloadRoute(e.h, func(w http.ResponseWriter, _ *http.Request, _ *principal) error {
		_, _ = w.Write([]byte("userName\n"))
		return failed
	}).serve
	defer func() {
		if p := recover(); p != http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared, as net/http does
			t.Errorf("an error after the download began: panic %v, want http.ErrAbortHandler", p)
		}
	}()
	_ = late(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil), p, http.StatusOK)
	t.Error("an error after the download began did not abort it")
}

// TestImportAnswersMatchTheirSchemas checks the OpenAPI document of the
// import routes against what they answer: uploads and downloads say so,
// and every field of a real preview, commit, refusal and run is declared
// in the schema documented for it.
func TestImportAnswersMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	op := func(method, path string) string { return method + " " + path }
	schemaOf := func(method, path, status string) string {
		o := doc.Paths[Prefix+path][method]
		return strings.TrimPrefix(o.Responses[status].Content["application/json"].Schema.Ref, "#/components/schemas/")
	}
	for _, path := range []string{"/users/import/preview", "/users/import"} {
		body := doc.Paths[Prefix+path]["post"].RequestBody.Content
		for _, ct := range []string{"text/csv", "multipart/form-data", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
			if body[ct] == nil {
				t.Errorf("%s takes no %s body in the document", op("post", path), ct)
			}
		}
	}
	for _, path := range []string{"/users/import/template", "/users/import/{id}/report", "/users/export"} {
		content := doc.Paths[Prefix+path]["get"].Responses["200"].Content
		_, csv := content["text/csv"]
		_, xlsx := content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
		if !csv || !xlsx {
			t.Errorf("%s is not documented as a CSV or XLSX download: %v", op("get", path), content)
		}
	}
	// declared checks that every field of the JSON object at the end of
	// path in body is a property of schema.
	declared := func(what, schema string, body []byte, path ...string) {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		props := doc.Components.Schemas[schema].Properties
		if len(props) == 0 {
			t.Fatalf("%s: schema %q has no properties", what, schema)
		}
		for k := range v.(map[string]any) {
			if _, ok := props[k]; !ok {
				t.Errorf("%s: field %q is not in schema %s", what, k, schema)
			}
		}
	}

	csv := "userName,givenName\nann@acme.example,Ann\n"
	r = e.upload(e.h, "/api/v1/users/import/preview", e.tokens["org_admin"], "text/csv", strings.NewReader(csv)).want(t, http.StatusOK)
	declared("preview", schemaOf("post", "/users/import/preview", "200"), r.body)

	bad := "userName,role\ndee@acme.example,boss\n"
	r = e.upload(e.h, "/api/v1/users/import", e.tokens["org_admin"], "text/csv", strings.NewReader(bad)).want(t, http.StatusUnprocessableEntity)
	refused := schemaOf("post", "/users/import", "422")
	declared("refused commit", refused, r.body)
	declared("refused commit's summary", "ImportSummary", r.body, "summary")

	r = e.upload(e.h, "/api/v1/users/import?filename=ok.csv", e.tokens["org_admin"], "text/csv", strings.NewReader(csv)).want(t, http.StatusOK)
	declared("commit", schemaOf("post", "/users/import", "200"), r.body)
	declared("commit's summary", "ImportSummary", r.body, "summary")
	var committed struct{ ID string }
	if err := json.Unmarshal(r.body, &committed); err != nil || committed.ID == "" {
		t.Fatalf("commit answered no run id: %s", r.body)
	}

	r = e.do(http.MethodGet, "/api/v1/users/import/"+committed.ID, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	declared("run", schemaOf("get", "/users/import/{id}", "200"), r.body)
	declared("run's summary", "ImportSummary", r.body, "summary")
}

// TestImportUploadsAndDownloads covers the HTTP side of import and export:
// attachments, multipart and raw uploads, the upload limit, and the
// export's filters.
func TestImportUploadsAndDownloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(1<<20))
	admin := e.tokens["org_admin"]
	ann := e.createUser(e.acme, "ann@acme.example", directory.RoleUser, "")
	bob := e.createUser(e.acme, "bob@acme.example", directory.RoleUser, "")
	if _, err := e.svc.SetStatus(e.ctx, directory.Actor{Kind: directory.ActorAdmin, Name: "test"}, e.acme.ID, bob.ID, directory.StatusSuspended, "banned"); err != nil {
		t.Fatal(err)
	}

	t.Run("the template downloads as an attachment", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/v1/users/import/template?format=xlsx", admin, nil).want(t, http.StatusOK)
		if r.header.Get("Content-Disposition") != `attachment; filename="acme-users-template.xlsx"` || !bytes.HasPrefix(r.body, []byte("PK\x03\x04")) {
			t.Fatalf("%v", r.header)
		}
		e.do(http.MethodGet, "/api/v1/users/import/template?format=pdf", admin, nil).want(t, http.StatusBadRequest)
	})
	t.Run("a preview of a multipart upload lists the problems", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("note", "ignored")
		fw, _ := mw.CreateFormFile("file", "users.csv")
		_, _ = fw.Write([]byte("userName,role\n" + ann.UserName + ",user\nnew@acme.example,boss\n"))
		_ = mw.Close()
		r := e.upload(e.h, "/api/v1/users/import/preview?mode=upsert", admin, mw.FormDataContentType(), &body).want(t, http.StatusOK)
		var sum importer.Summary
		if err := json.Unmarshal(r.body, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Unchanged != 1 || sum.ProblemCount != 1 || sum.Problems[0].Cell != "B3" {
			t.Fatalf("summary %+v", sum)
		}
	})
	t.Run("a raw upload is read too", func(t *testing.T) {
		r := e.upload(e.h, "/api/v1/users/import/preview", admin, "text/csv", strings.NewReader("userName\nzed@acme.example\n")).want(t, http.StatusOK)
		if !strings.Contains(string(r.body), `"creates":1`) {
			t.Fatalf("%s", r.body)
		}
	})
	t.Run("an upload over the limit is refused", func(t *testing.T) {
		e.upload(e.h, "/api/v1/users/import/preview", admin, "text/csv", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20))).want(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("a form without a file is refused", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("note", "x")
		_ = mw.Close()
		e.upload(e.h, "/api/v1/users/import/preview", admin, mw.FormDataContentType(), &body).want(t, http.StatusBadRequest)
	})
	t.Run("an export applies its filters", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/v1/users/export?status=suspended&q=BOB", admin, nil).want(t, http.StatusOK)
		if r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("%v", r.header)
		}
		if !strings.Contains(string(r.body), bob.UserName) || strings.Contains(string(r.body), ann.UserName) {
			t.Fatalf("body %s", r.body)
		}
		e.do(http.MethodGet, "/api/v1/users/export?role=boss", admin, nil).want(t, http.StatusBadRequest)
	})
}

func TestImportCommitRunAndReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withImporter(0))
	admin := e.tokens["org_admin"]

	bad := e.upload(e.h, "/api/v1/users/import?filename=bad.csv", admin, "text/csv", strings.NewReader("userName,role\nann@acme.example,boss\n"))
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(string(bad.body), `"committed":false`) {
		t.Fatalf("a file with problems: %d %s", bad.status, bad.body)
	}

	r := e.upload(e.h, "/api/v1/users/import?filename=users.csv&mode=upsert", admin, "text/csv",
		strings.NewReader("userName,badge,givenName\nann@acme.example,B1,=1+2\nbob@acme.example,B2,Bob\n")).want(t, http.StatusOK)
	var res struct {
		ID      string           `json:"id"`
		Summary importer.Summary `json:"summary"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || res.ID == "" || res.Summary.Creates != 2 {
		t.Fatalf("commit: %s", r.body)
	}
	audit, err := e.svc.ListAudit(e.ctx, e.acme.ID, directory.AuditQuery{Action: "users.import"})
	if err != nil || len(audit.Events) != 1 || audit.Events[0].TargetID != res.ID || audit.Events[0].Changes["created"].After != 2.0 {
		t.Fatalf("the import is audited as a whole: %+v, %v", audit.Events, err)
	}

	run := e.do(http.MethodGet, "/api/v1/users/import/"+res.ID, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if !strings.Contains(string(run.body), `"fileName":"users.csv"`) || !strings.Contains(string(run.body), `"creates":2`) {
		t.Fatalf("run: %s", run.body)
	}
	csvReport := e.do(http.MethodGet, "/api/v1/users/import/"+res.ID+"/report?format=csv", admin, nil).want(t, http.StatusOK)
	if !strings.Contains(string(csvReport.body), "3,bob@acme.example,created,") {
		t.Fatalf("csv report: %s", csvReport.body)
	}
	xlsxReport := e.do(http.MethodGet, "/api/v1/users/import/"+res.ID+"/report?format=xlsx", admin, nil).want(t, http.StatusOK)
	sheet, err := excelize.OpenReader(bytes.NewReader(xlsxReport.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sheet.GetRows(sheet.GetSheetName(0))
	if err != nil || len(rows) != 3 || rows[0][0] != "row" || rows[2][1] != "bob@acme.example" || rows[2][2] != "created" {
		t.Fatalf("xlsx report: %q, %v", rows, err)
	}
	e.do(http.MethodGet, "/api/v1/users/import/"+directory.NewID(), admin, nil).want(t, http.StatusNotFound)
}
