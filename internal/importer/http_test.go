package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// serve wraps a handler as the admin API would: errors become a status.
func serve(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := map[directory.Code]int{directory.CodeInvalid: 400, directory.CodeTooLarge: 413, directory.CodeNotFound: 404}[directory.ErrorCode(err)]
			if status == 0 {
				status = 500
			}
			http.Error(w, directory.ErrorMessage(err), status)
		}
	}
}

func TestHandlers(t *testing.T) {
	org := testOrg()
	d := newFakeDirectory(org)
	d.add(&directory.User{OrgID: org.ID, UserName: "ann@acme.com", Role: directory.RoleOrgAdmin, Properties: map[string]any{"badge": "B1"}})
	d.add(&directory.User{OrgID: org.ID, UserName: "bob@acme.com", Status: directory.StatusSuspended, Properties: map[string]any{"badge": "B2"}})
	lim := DefaultLimits()
	lim.MaxFileBytes = 1 << 20
	im := New(d, nil, Config{Limits: lim}, nil)
	h := NewHandlers(im, func(*http.Request) (Scope, error) { return Scope{OrgID: org.ID, Actor: testAdmin}, nil })

	do := func(handler func(http.ResponseWriter, *http.Request) error, method, target, contentType string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, bytes.NewReader(body)).WithContext(context.Background())
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		serve(handler)(w, r)
		return w
	}

	t.Run("the template downloads as an attachment", func(t *testing.T) {
		w := do(h.Template, "GET", "/t?format=xlsx", "", nil)
		if w.Code != 200 || w.Header().Get("Content-Disposition") != `attachment; filename="acme-users-template.xlsx"` || !bytes.HasPrefix(w.Body.Bytes(), zipMagic) {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
		if w := do(h.Template, "GET", "/t?format=pdf", "", nil); w.Code != 400 {
			t.Fatalf("a pdf template: %d", w.Code)
		}
	})
	t.Run("a preview of a multipart upload lists the problems", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("note", "ignored")
		fw, _ := mw.CreateFormFile("file", "users.csv")
		_, _ = fw.Write([]byte("userName,badge\nann@acme.com,B1\nnew@acme.com,\n"))
		_ = mw.Close()
		w := do(h.Preview, "POST", "/p?mode=upsert", mw.FormDataContentType(), body.Bytes())
		var sum Summary
		if err := json.Unmarshal(w.Body.Bytes(), &sum); err != nil || w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if sum.Unchanged != 1 || sum.ProblemCount != 1 || sum.Problems[0].Cell != "B3" {
			t.Fatalf("summary %+v", sum)
		}
	})
	t.Run("a raw upload is read too", func(t *testing.T) {
		w := do(h.Preview, "POST", "/p", "text/csv", []byte("userName,badge\nzed@acme.com,B9\n"))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"creates":1`) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("an upload over the limit is refused", func(t *testing.T) {
		w := do(h.Preview, "POST", "/p", "text/csv", bytes.Repeat([]byte("x"), 2<<20))
		if w.Code != 413 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("a form without a file is refused", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("note", "x")
		_ = mw.Close()
		if w := do(h.Preview, "POST", "/p", mw.FormDataContentType(), body.Bytes()); w.Code != 400 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("an export applies its filters", func(t *testing.T) {
		svc, org := serviceOver(t)
		ctx := context.Background()
		for _, u := range []*directory.User{
			{UserName: "ann@acme.com", PasswordHash: "x", Properties: map[string]any{"badge": "B1"}},
			{UserName: "bob@acme.com", PasswordHash: "x", Properties: map[string]any{"badge": "B2"}},
		} {
			if _, err := svc.CreateUser(ctx, testAdmin, org.ID, u); err != nil {
				t.Fatal(err)
			}
		}
		bob, _ := svc.FindUserByUserName(ctx, "bob@acme.com")
		if _, err := svc.SetStatus(ctx, testAdmin, org.ID, bob.ID, directory.StatusSuspended, "banned"); err != nil {
			t.Fatal(err)
		}
		h := NewHandlers(New(svc, nil, Config{}, nil), func(*http.Request) (Scope, error) { return Scope{OrgID: org.ID, Actor: testAdmin}, nil })
		w := do(h.Export, "GET", "/e?status=suspended&q=BOB", "", nil)
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("%d %v", w.Code, w.Header())
		}
		if !strings.Contains(w.Body.String(), "bob@acme.com") || strings.Contains(w.Body.String(), "ann@acme.com") {
			t.Fatalf("body %s", w.Body)
		}
		if w := do(h.Export, "GET", "/e?role=boss", "", nil); w.Code != 400 {
			t.Fatalf("a bad role: %d", w.Code)
		}
	})
}

func TestExportQuery(t *testing.T) {
	q, err := ExportQuery("active, deleted", "user", "ldap", "smith")
	if err != nil {
		t.Fatal(err)
	}
	and, ok := q.Filter.(directory.And)
	if !ok || len(and) != 4 || !q.IncludeDeleted {
		t.Fatalf("query %+v", q)
	}
	for _, bad := range [][4]string{{"gone", "", "", ""}, {"", "boss", "", ""}, {"", "", "CSV file", ""}, {"", "", "", strings.Repeat("x", 201)}} {
		if _, err := ExportQuery(bad[0], bad[1], bad[2], bad[3]); directory.ErrorCode(err) != directory.CodeInvalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCommitAndReportHandlers(t *testing.T) {
	svc, org := serviceOver(t)
	h := NewHandlers(New(svc, nil, Config{}, nil), func(*http.Request) (Scope, error) { return Scope{OrgID: org.ID, Actor: testAdmin}, nil })
	do := func(handler func(http.ResponseWriter, *http.Request) error, method, target string, body []byte, id string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, bytes.NewReader(body))
		r.Header.Set("Content-Type", "text/csv")
		r.SetPathValue("id", id)
		w := httptest.NewRecorder()
		serve(handler)(w, r)
		return w
	}

	bad := do(h.Commit, "POST", "/i?filename=bad.csv", []byte("userName,badge\nann@acme.com,\n"), "")
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `"committed":false`) {
		t.Fatalf("a file with problems: %d %s", bad.Code, bad.Body)
	}

	w := do(h.Commit, "POST", "/i?filename=users.csv&mode=upsert", []byte("userName,badge,givenName\nann@acme.com,B1,=1+2\nbob@acme.com,B2,Bob\n"), "")
	var res struct {
		ID      string  `json:"id"`
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || w.Code != 200 || res.ID == "" || res.Summary.Creates != 2 {
		t.Fatalf("commit: %d %s", w.Code, w.Body)
	}
	audit, err := svc.ListAudit(context.Background(), org.ID, directory.AuditQuery{Action: "users.import"})
	if err != nil || len(audit.Events) != 1 || audit.Events[0].TargetID != res.ID || audit.Events[0].Changes["created"].After != 2.0 {
		t.Fatalf("the import is audited as a whole: %+v, %v", audit.Events, err)
	}

	run := do(h.Run, "GET", "/r", nil, res.ID)
	if run.Code != 200 || !strings.Contains(run.Body.String(), `"fileName":"users.csv"`) || !strings.Contains(run.Body.String(), `"creates":2`) {
		t.Fatalf("run: %d %s", run.Code, run.Body)
	}
	csvReport := do(h.Report, "GET", "/r?format=csv", nil, res.ID)
	if csvReport.Code != 200 || !strings.Contains(csvReport.Body.String(), "3,bob@acme.com,created,") {
		t.Fatalf("csv report: %d %s", csvReport.Code, csvReport.Body)
	}
	xlsxReport := do(h.Report, "GET", "/r?format=xlsx", nil, res.ID)
	rows, err := readAll(t, spoolBytes(t, xlsxReport.Body.Bytes(), "report.xlsx", DefaultLimits()))
	if err != nil || len(rows) != 3 || rows[0][0] != "row" || rows[2][1] != "bob@acme.com" || rows[2][2] != "created" {
		t.Fatalf("xlsx report: %q, %v", rows, err)
	}
	if w := do(h.Run, "GET", "/r", nil, directory.NewID()); w.Code != 404 {
		t.Fatalf("an unknown run: %d", w.Code)
	}
}
