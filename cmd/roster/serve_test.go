package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
)

// running is a serve command running in the background.
type running struct {
	base           string // http://127.0.0.1:PORT
	stdout, stderr *logtest.Buffer
	cancel         context.CancelFunc
	done           chan int
}

// startServe runs `roster serve` until the test stops it, and waits until
// it listens.
func (c *cli) startServe(args ...string) *running {
	c.t.Helper()
	r := &running{stdout: &logtest.Buffer{}, stderr: &logtest.Buffer{}, done: make(chan int, 1)}
	a := c.app(r.stdout, r.stderr)
	bound := make(chan string, 1)
	a.onListen = func(addr string) { bound <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- a.run(ctx, append([]string{"serve"}, args...)) }()
	select {
	case addr := <-bound:
		r.base = "http://" + addr
	case code := <-r.done:
		c.t.Fatalf("serve exited with %d before listening; stderr:\n%s", code, r.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		c.t.Fatal("serve did not start listening within 30s")
	}
	c.t.Cleanup(func() { r.stop(c.t) })
	return r
}

// stop cancels serve's context, as SIGTERM does, and checks it exits 0.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case code := <-r.done:
		if code != 0 {
			t.Fatalf("serve exited with %d; stderr:\n%s", code, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down within 20s")
	}
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return r.getWithToken(t, path, "")
}

func (r *running) getWithToken(t *testing.T, path, token string) (int, string) {
	t.Helper()
	return r.do(t, http.MethodGet, path, token, nil)
}

// do sends a request with an optional bearer token and JSON body.
func (r *running) do(t *testing.T, method, path, token string, body any) (int, string) {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.base+path, in)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

func TestServeFirstStartAndRestart(t *testing.T) {
	c := newCLI(t)
	srv := c.startServe()
	out := srv.stdout.String()
	ctx := context.Background()

	// The first start printed the credentials once.
	for _, want := range []string{"shown only once", "Organization:", "default (Default organization)", "admin@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("first start output lacks %q:\n%s", want, out)
		}
	}
	password := capture(t, `Admin password:\s+(\S+)`, out)
	token := capture(t, `SCIM token:\s+(\S+)`, out)
	if got := capture(t, `SCIM base URL:\s+(\S+)`, out); got != srv.base+"/scim/v2" {
		t.Errorf("SCIM base URL = %s, want %s/scim/v2", got, srv.base)
	}
	// The console's login page of the new organization is printed, and
	// served; the root leads to the login page.
	login := capture(t, `Console login:\s+(\S+)`, out)
	if login != srv.base+"/o/default/login" {
		t.Errorf("Console login = %s, want %s/o/default/login", login, srv.base)
	}
	for _, path := range []string{"/o/default/login", "/"} {
		if code, body := srv.get(t, path); code != http.StatusOK || !strings.Contains(body, "<h1>Sign in") {
			t.Errorf("GET %s = %d\n%s", path, code, body)
		}
	}
	if !strings.Contains(srv.stderr.String(), `"console_url":"`+srv.base+`/"`) {
		t.Errorf("the log does not name the console's URL:\n%s", srv.stderr)
	}

	svc := c.service()
	admin, err := findUser(ctx, svc, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if admin.Role != directory.RoleOrgAdmin || admin.Status != directory.StatusActive || admin.AuthMethod != directory.AuthLocal {
		t.Errorf("admin = role %s, status %s, auth %s", admin.Role, admin.Status, admin.AuthMethod)
	}
	if ok, err := auth.VerifyPassword(password, admin.PasswordHash); !ok || err != nil {
		t.Errorf("the printed admin password does not verify: %v %v", ok, err)
	}
	if _, err := svc.AuthenticateToken(ctx, directory.TokenSCIM, token); err != nil {
		t.Errorf("the printed SCIM token does not authenticate: %v", err)
	}

	// The HTTP endpoints answer.
	if code, body := srv.get(t, "/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := srv.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q", code, body)
	}
	code, metrics := srv.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`roster_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`roster_build_info{version=`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The printed SCIM base URL and token work; no token, no answer.
	if code, body := srv.getWithToken(t, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "admin@example.com"`), token); code != http.StatusOK ||
		!strings.Contains(body, `"totalResults":1`) {
		t.Errorf("SCIM list with the printed token = %d %s", code, body)
	}
	if code, _ := srv.get(t, "/scim/v2/Users"); code != http.StatusUnauthorized {
		t.Errorf("SCIM without a token = %d, want 401", code)
	}
	if code, _ := srv.get(t, "/api/v2/nothing"); code != http.StatusNotFound {
		t.Errorf("an unmounted path answered %d, want 404", code)
	}

	// The admin API: the printed credentials log in, and the session
	// lists the organization's users.
	session := srv.login(t, "admin@example.com", password)
	if session.Stage != "full" || !strings.HasPrefix(session.Token, "rss_") {
		t.Errorf("login = stage %q, token %q…; want a full session", session.Stage, session.Token[:min(4, len(session.Token))])
	}
	code, body := srv.getWithToken(t, "/api/v1/users?count=true", session.Token)
	var users struct {
		Users []struct{ UserName, Role string }
		Total int
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &users) != nil || users.Total != 1 ||
		len(users.Users) != 1 || users.Users[0].UserName != "admin@example.com" || users.Users[0].Role != "org_admin" {
		t.Errorf("GET /api/v1/users = %d %s", code, body)
	}
	if code, _ := srv.get(t, "/api/v1/users"); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/users without a session = %d, want 401", code)
	}
	if code, _ := srv.do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": "wrong password"}); code != http.StatusUnauthorized {
		t.Errorf("a wrong password logged in: %d", code)
	}
	code, body = srv.get(t, "/api/v1/openapi.json")
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.") ||
		doc.Paths["/api/v1/auth/login"] == nil || doc.Paths["/api/v1/users"] == nil {
		t.Errorf("GET /api/v1/openapi.json = %d %.300s", code, body)
	}

	// Bulk import and export are mounted; an upload may be larger than
	// http.max_body_bytes (1 MiB by default), up to the importer's limit.
	if code, body := srv.getWithToken(t, "/api/v1/users/export?format=csv", session.Token); code != http.StatusOK ||
		!strings.Contains(body, "admin@example.com") {
		t.Errorf("GET /api/v1/users/export = %d %.300s", code, body)
	}
	var file strings.Builder
	file.WriteString("userName,title\n")
	for i := 0; file.Len() < 3<<19; i++ { // 1.5 MiB
		fmt.Fprintf(&file, "u%d@example.com,%s\n", i, strings.Repeat("x", 1000))
	}
	if code, body := srv.upload(t, "/api/v1/users/import/preview", session.Token, file.String()); code != http.StatusOK ||
		!strings.Contains(body, `"rows":`) {
		t.Errorf("POST /api/v1/users/import/preview of 1.5 MiB = %d %.300s", code, body)
	}
	if code, body := srv.upload(t, "/api/v1/users/import/preview", session.Token, strings.Repeat("x", 32<<20+1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /api/v1/users/import/preview of 32 MiB + 1 = %d %.300s", code, body)
	}

	srv.stop(t)

	// Logs are JSON and never hold a secret.
	logs := srv.stderr.String()
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	key := strings.TrimSpace(readFile(t, c.keyFile()))
	for _, secret := range []string{password, token, session.Token, key} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold a secret:\n%s", logs)
		}
	}
	for _, want := range []string{`"msg":"database ready"`, `"msg":"first start: created organization, admin and SCIM token"`,
		`"msg":"generated an encryption key for the new database`, `"key_file":"` + c.keyFile() + `"`,
		`"msg":"http server stopped"`, `"msg":"roster stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}

	// A restart finds the organization and prints no credentials.
	again := c.startServe()
	if code, _ := again.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after restart = %d", code)
	}
	again.stop(t)
	if s := again.stdout.String(); s != "" {
		t.Errorf("a restart printed:\n%s", s)
	}
	if !strings.Contains(again.stderr.String(), `"msg":"encryption key read from its file"`) {
		t.Errorf("the restart did not read the key file:\n%s", again.stderr)
	}
	if got := strings.TrimSpace(readFile(t, c.keyFile())); got != key {
		t.Error("the restart changed the key file")
	}
}

// upload posts body as a CSV file.
func (r *running) upload(t *testing.T, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

// sessionView is the answer of a login step.
type sessionView struct {
	Token string `json:"token"`
	Stage string `json:"stage"`
}

// login logs in through the admin API and returns the session.
func (r *running) login(t *testing.T, email, password string) sessionView {
	t.Helper()
	code, body := r.do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	var s sessionView
	if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil || s.Token == "" {
		t.Fatalf("POST /api/v1/auth/login = %d %s", code, body)
	}
	return s
}

// keyFile is where serve keeps the generated key of the test database.
func (c *cli) keyFile() string { return filepath.Join(filepath.Dir(c.dbPath), "roster.key") }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path) // #nosec G304 -- a test's own file
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeKeepsSealedSecretsAcrossRestarts(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_BOOTSTRAP_ADMIN_PASSWORD"] = "correct horse battery"
	srv := c.startServe()

	// The admin enrols TOTP: its seed is sealed under the generated key.
	session := srv.login(t, "admin@example.com", "correct horse battery")
	code, body := srv.do(t, http.MethodPost, "/api/v1/me/mfa/totp", session.Token, nil)
	var enrolment struct{ URI string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &enrolment) != nil {
		t.Fatalf("POST /api/v1/me/mfa/totp = %d %s", code, body)
	}
	otpKey, err := otp.NewKeyFromURL(enrolment.URI)
	if err != nil {
		t.Fatal(err)
	}
	if otpKey.Issuer() != "Roster" {
		t.Errorf("TOTP issuer = %q, want the default Roster", otpKey.Issuer())
	}
	code = srv.postCode(t, "/api/v1/me/mfa/totp/confirm", session.Token, otpKey.Secret(), time.Now())
	if code != http.StatusOK {
		t.Fatalf("confirming the enrolment = %d", code)
	}
	srv.stop(t)

	info, err := os.Stat(c.keyFile())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
	}

	// A restart opens the seed: the second factor of a new login passes.
	// The clock moves on so that the code is of a step not yet spent.
	later := func() time.Time { return time.Now().Add(time.Minute) }
	c.now = later
	again := c.startServe()
	pending := again.login(t, "admin@example.com", "correct horse battery")
	if pending.Stage != "mfa" {
		t.Fatalf("login after enrolment = stage %q, want mfa", pending.Stage)
	}
	if code := again.postCode(t, "/api/v1/auth/mfa", pending.Token, otpKey.Secret(), later()); code != http.StatusOK {
		t.Fatalf("the TOTP code after a restart = %d; the seed did not open", code)
	}
	again.stop(t)

	// Without its key file, the database is refused rather than given a
	// new key that would not open the seed.
	saved := readFile(t, c.keyFile())
	if err := os.Remove(c.keyFile()); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := c.run("serve")
	if code != 1 || !strings.Contains(stderr, "the encryption key file "+c.keyFile()+" is missing, but the database holds organizations") {
		t.Fatalf("serve without the key file: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(c.keyFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("serve made a new key file: %v", err)
	}
	// Other commands do not make one up either.
	c.mustRun("token", "list", "--org", "default")
	if _, err := os.Stat(c.keyFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("token list made a new key file: %v", err)
	}

	// A configured key must agree with the file's.
	if err := os.WriteFile(c.keyFile(), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	code, _, stderr = c.run("serve")
	if code != 1 || !strings.Contains(stderr, "security.encryption_key differs from the key Roster generated for this database in "+c.keyFile()) {
		t.Fatalf("serve with another key: exit %d, stderr:\n%s", code, stderr)
	}
	delete(c.env, "ROSTER_SECURITY_ENCRYPTION_KEY")
	c.env["ROSTER_SECURITY_ENCRYPTION_KEY_FILE"] = c.keyFile()
	c.startServe().stop(t)
}

// postCode posts the TOTP code of secret at time at.
func (r *running) postCode(t *testing.T, path, token, secret string, at time.Time) int {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	status, body := r.do(t, http.MethodPost, path, token, map[string]string{"code": code})
	if status != http.StatusOK {
		t.Logf("POST %s = %d %s", path, status, body)
	}
	return status
}

func TestServeRefusesPostgreSQLWithoutAKey(t *testing.T) {
	c := newCLI(t)
	// Nothing listens there: the key is checked before the database is
	// opened.
	c.env["ROSTER_DATABASE_URL"] = "postgres://roster@127.0.0.1:1/roster?sslmode=disable"
	code, _, stderr := c.run("serve")
	if code != 1 || !strings.Contains(stderr, "security.encryption_key is required with PostgreSQL") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestServeReportsMailProblemsTogether(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_MAIL_DRIVER"] = "smtp"
	c.env["ROSTER_MAIL_SMTP_SECURITY"] = "ssl"
	c.env["ROSTER_MAIL_SMTP_PASSWORD"] = "hunter2"
	c.env["ROSTER_AUTH_SESSION_TTL"] = "0s"
	code, _, stderr := c.run("serve")
	for _, want := range []string{
		"mail.from: is required with mail.driver smtp",
		"mail.smtp.host: is required with mail.driver smtp",
		`mail.smtp.security: "ssl" is not one of starttls, tls, none`,
		"mail.smtp.password: is set but mail.smtp.username is not",
		"auth.session_ttl: must be positive",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code != 1 || strings.Contains(stderr, "hunter2") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(c.dbPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused configuration created the database: %v", err)
	}
}

func TestServeSendsMailThroughTheConfiguredDriver(t *testing.T) {
	c := newCLI(t)
	outbox := filepath.Join(t.TempDir(), "outbox")
	c.env["ROSTER_MAIL_DRIVER"] = "file"
	c.env["ROSTER_MAIL_FROM"] = "Roster <no-reply@example.com>"
	c.env["ROSTER_MAIL_OUTBOX_DIR"] = outbox
	srv := c.startServe()

	code, body := srv.do(t, http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": "admin@example.com"})
	if code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/auth/password/forgot = %d %s", code, body)
	}
	// The email goes out after the answer.
	deadline := time.Now().Add(10 * time.Second)
	var files []string
	for len(files) == 0 && time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(outbox, "*password_reset*.eml"))
		time.Sleep(20 * time.Millisecond)
	}
	if len(files) != 1 {
		t.Fatalf("outbox holds %v, want one password reset", files)
	}
	msg := readFile(t, files[0])
	for _, want := range []string{"To: <admin@example.com>", "no-reply@example.com", srv.base} {
		if !strings.Contains(msg, want) {
			t.Errorf("the reset email lacks %q:\n%s", want, msg)
		}
	}
	srv.stop(t)
}

func TestServeBootstrapSettings(t *testing.T) {
	c := newCLI(t)
	pwFile := filepath.Join(t.TempDir(), "admin-password")
	if err := os.WriteFile(pwFile, []byte("configured passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "roster.yaml")
	if err := os.WriteFile(config, []byte(`
http:
  public_url: https://roster.example.com/
bootstrap:
  org_slug: acme
  org_name: Acme
  org_domain: acme.com
  admin_email: it@acme.com
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env["ROSTER_BOOTSTRAP_ADMIN_PASSWORD_FILE"] = pwFile
	srv := c.startServe("--config", config)
	srv.stop(t)

	out := srv.stdout.String()
	for _, want := range []string{"acme (Acme)", "it@acme.com", "(as set in bootstrap.admin_password)", "https://roster.example.com/scim/v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "configured passphrase") {
		t.Error("a configured password was printed")
	}
	admin, err := findUser(context.Background(), c.service(), "it@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.VerifyPassword("configured passphrase", admin.PasswordHash); !ok {
		t.Error("the configured password does not verify")
	}
}

func TestServeWithBootstrapDisabled(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_BOOTSTRAP_ENABLED"] = "false"
	srv := c.startServe()
	srv.stop(t)
	if s := srv.stdout.String(); s != "" {
		t.Errorf("serve printed:\n%s", s)
	}
	if n, err := c.service().CountOrgs(context.Background()); err != nil || n != 0 {
		t.Errorf("CountOrgs = %d, %v; want an empty directory", n, err)
	}
}

func TestServeRefusesAWeakConfiguredPassword(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_BOOTSTRAP_ADMIN_PASSWORD"] = "short"
	code, _, stderr := c.run("serve")
	if code != 1 || !strings.Contains(stderr, "bootstrap.admin_password: the password needs at least 12 characters") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// Nothing was half set up: a corrected start bootstraps.
	if n, err := c.service().CountOrgs(context.Background()); err != nil || n != 0 {
		t.Fatalf("CountOrgs = %d, %v after a refused bootstrap", n, err)
	}
}

func TestServeReportsATakenPort(t *testing.T) {
	c := newCLI(t)
	first := c.startServe()
	c.env["ROSTER_HTTP_ADDR"] = strings.TrimPrefix(first.base, "http://")
	code, _, stderr := c.run("serve")
	if code != 1 || !strings.Contains(stderr, "listen on") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestServeSendsSecurityHeaders(t *testing.T) {
	for _, public := range []string{"", "https://roster.example.com/"} {
		t.Run("public URL "+public, func(t *testing.T) {
			c := newCLI(t)
			c.env["ROSTER_BOOTSTRAP_ENABLED"] = "false"
			if public != "" {
				c.env["ROSTER_HTTP_PUBLIC_URL"] = public
			}
			srv := c.startServe()
			for _, path := range []string{"/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/api/v1/users", "/api/v1/openapi.json", "/healthz", "/metrics"} {
				resp, err := http.Get(srv.base + path)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				h := resp.Header
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
					!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
					!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
					t.Errorf("%s (%d) lacks a security header: %v", path, resp.StatusCode, h)
				}
				if hsts := h.Get("Strict-Transport-Security"); (public != "") != (hsts != "") {
					t.Errorf("%s: Strict-Transport-Security = %q with public URL %q", path, hsts, public)
				}
			}
		})
	}
}
