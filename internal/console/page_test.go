package console

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/store/sqlite"
)

// The page table's guard is tested here, inside the package, with pages
// of each permission that the real table may not have yet; the pages
// themselves are tested through consoletest in package console_test.

type guardEnv struct {
	t      *testing.T
	c      *Console
	tokens map[directory.Role]string
	served map[string]int
}

func newGuardEnv(t *testing.T) *guardEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := directory.NewService(st, time.Now)
	sealer, err := auth.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	params := auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	a, err := auth.NewAuthenticator(auth.Config{Directory: svc, TOTP: &auth.TOTP{Issuer: "Roster", Sealer: sealer}, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := mail.NewMailer(mail.NewLog(slog.New(slog.DiscardHandler)), "https://roster.example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Directory: svc, Auth: a, SendReset: admin.ResetSender(svc, a, mailer, slog.New(slog.DiscardHandler)), Logger: slog.New(slog.DiscardHandler),
		PublicURL: "https://roster.example.com", AuthRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := &guardEnv{t: t, c: c, tokens: map[directory.Role]string{}, served: map[string]int{}}
	serve := func(name string) pageFunc {
		return func(w http.ResponseWriter, r *http.Request, rq *request) error {
			g.served[name]++
			return c.render(w, r, rq, http.StatusOK, "home", homeData{Org: &directory.Org{Name: name}})
		}
	}
	err = c.register([]page{
		{http.MethodGet, "/t/read", admin.PermRead, false, serve("read")},
		{http.MethodPost, "/t/write", admin.PermWrite, false, serve("write")},
		{http.MethodGet, "/t/usage", admin.PermUsage, false, serve("usage")},
	})
	if err != nil {
		t.Fatal(err)
	}
	org, err := svc.CreateOrg(ctx, directory.Actor{Kind: directory.ActorOperator}, &directory.Org{Slug: "acme", Name: "Acme",
		Domains: []directory.Domain{{Name: "acme.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("Correct-Horse-42", params)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []directory.Role{directory.RoleOrgAdmin, directory.RoleOrgViewer, directory.RoleBillingAdmin, directory.RoleUser} {
		email := string(role) + "@acme.example"
		if _, err := svc.CreateUser(ctx, directory.Actor{Kind: directory.ActorOperator}, org.ID,
			&directory.User{UserName: email, Role: role, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		l, err := a.PasswordLogin(ctx, "acme", email, "Correct-Horse-42")
		if err != nil {
			t.Fatal(err)
		}
		g.tokens[role] = l.Token
	}
	return g
}

const testCSRF = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// do sends a request as role ("" for nobody), with the CSRF cookie, and
// the token in the form when withToken.
func (g *guardEnv) do(method, path string, role directory.Role, withToken bool) *httptest.ResponseRecorder {
	g.t.Helper()
	form := url.Values{}
	if withToken {
		form.Set(csrfField, testCSRF)
	}
	r := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
	if role != "" {
		r.AddCookie(&http.Cookie{Name: admin.SessionCookie, Value: g.tokens[role]})
	}
	w := httptest.NewRecorder()
	g.c.ServeHTTP(w, r)
	return w
}

func TestPagesFollowThePermissionTable(t *testing.T) {
	g := newGuardEnv(t)
	cases := []struct {
		method, path string
		role         directory.Role
		want         int
	}{
		{"GET", "/t/read", directory.RoleOrgAdmin, 200},
		{"GET", "/t/read", directory.RoleOrgViewer, 200},
		{"GET", "/t/read", directory.RoleBillingAdmin, 403},
		{"GET", "/t/read", directory.RoleUser, 403},
		{"GET", "/t/read", "", 303},
		{"POST", "/t/write", directory.RoleOrgAdmin, 200},
		{"POST", "/t/write", directory.RoleOrgViewer, 403},
		{"POST", "/t/write", directory.RoleUser, 403},
		{"GET", "/t/usage", directory.RoleBillingAdmin, 200},
		{"GET", "/t/usage", directory.RoleUser, 403},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" as "+string(tc.role), func(t *testing.T) {
			w := g.do(tc.method, tc.path, tc.role, true)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d\n%s", w.Code, tc.want, w.Body)
			}
			if tc.want == 303 && w.Header().Get("Location") != "/login?next=%2Ft%2Fread" {
				t.Errorf("redirected to %q", w.Header().Get("Location"))
			}
		})
	}
	if g.served["write"] != 1 {
		t.Errorf("the write page ran %d times, want once (the admin's)", g.served["write"])
	}
}

func TestWritesWithoutTheCSRFTokenAreRefused(t *testing.T) {
	g := newGuardEnv(t)
	w := g.do("POST", "/t/write", directory.RoleOrgAdmin, false)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "reload the page") {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	if g.served["write"] != 0 {
		t.Errorf("the write page ran without a token")
	}
}

func TestAPageWithoutAPermissionStopsTheConsole(t *testing.T) {
	g := newGuardEnv(t)
	err := g.c.register([]page{{http.MethodGet, "/t/none", admin.PermNone, false,
		func(http.ResponseWriter, *http.Request, *request) error { return nil }}})
	if err == nil || !strings.Contains(err.Error(), "needs a permission") {
		t.Fatalf("register = %v", err)
	}
}

func TestViewCanShowsWriteButtonsToWritersOnly(t *testing.T) {
	for role, want := range map[directory.Role]bool{
		directory.RoleOrgAdmin: true, directory.RoleOrgViewer: false, directory.RoleBillingAdmin: false, directory.RoleUser: false,
	} {
		v := view{User: &directory.User{Role: role}}
		if got := v.Can("write"); got != want {
			t.Errorf("%s: Can(write) = %v", role, got)
		}
		if !v.Can("self") {
			t.Errorf("%s: Can(self) = false", role)
		}
	}
	if (view{}).Can("self") {
		t.Error("nobody signed in: Can(self) = true")
	}
	if (view{User: &directory.User{Role: directory.RoleOrgAdmin}}).Can("everything") {
		t.Error("an unknown permission is granted")
	}
}

func TestLocalPathKeepsRedirectsOnSite(t *testing.T) {
	for in, want := range map[string]string{
		"/users?q=a": "/users?q=a", "": homePath, "//evil.example/": homePath, "https://evil.example": homePath,
		"/\\evil.example": homePath, "users": homePath,
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAssetsAreGzippedForBrowsersThatTakeIt(t *testing.T) {
	h, err := staticHandler()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := staticFS.ReadFile("static/pico/pico.min.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		accept string
		gz     bool
	}{{"", false}, {"gzip", true}, {"br, gzip;q=0.8", true}, {"gzip;q=0", false}, {"identity", false}} {
		r := httptest.NewRequest(http.MethodGet, "/static/pico/pico.min.css", nil)
		r.Header.Set("Accept-Encoding", tc.accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body := w.Body.Bytes()
		if tc.gz {
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("%q: not gzipped", tc.accept)
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(body, plain) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
			t.Errorf("%q: %d bytes of %s", tc.accept, len(body), w.Header().Get("Content-Type"))
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/static/pico/", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("a directory: %d", w.Code)
	}
}
