package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/auth/oidctest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/store/sqlite"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outbox records the emails the API sends.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// last returns the newest message to `to`, failing if there is none.
func (o *outbox) last(t *testing.T, to string) mail.Message {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].To == to {
			return o.msgs[i]
		}
	}
	t.Fatalf("no email to %s", to)
	return mail.Message{}
}

func (o *outbox) count(to string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.msgs {
		if m.To == to {
			n++
		}
	}
	return n
}

// texts records the text messages the API sends (sms_test.go texts
// through a fake Twilio instead).
type texts struct {
	mu   sync.Mutex
	msgs []string
}

func (x *texts) Send(_ context.Context, to, body string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.msgs = append(x.msgs, to+": "+body)
	return nil
}

// cheapParams keep argon2id fast in tests; the logic does not depend on cost.
var cheapParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const testPassword = "Correct-Horse-42"

// env is a running API over a real SQLite store, with two organizations
// (acme and globex), a user of each role in acme, an admin in globex, a
// fake OIDC provider and a recording mailbox.
type env struct {
	t      *testing.T
	ctx    context.Context
	clock  *clock
	svc    *directory.Service
	store  directory.Store
	auth   *auth.Authenticator
	h      *handler
	mail   *outbox
	idp    *oidctest.Provider
	acme   *directory.Org
	globex *directory.Org
	// users and tokens by role name, plus "globex_admin".
	users  map[string]*directory.User
	tokens map[string]string
}

type envOption func(*Config)

const publicURL = "https://roster.example.com"

// withSSO starts a fake OIDC provider (slow under the race detector: it
// makes an RSA key) and turns single sign-on on.
func withSSO(c *Config) { c.SSO = &auth.SSO{} }

func newEnv(t *testing.T, opts ...envOption) *env {
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
	return newEnvOn(t, st, opts...)
}

// newEnvOn is newEnv over a store the caller made and migrated.
func newEnvOn(t *testing.T, st directory.Store, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	var err error
	clk := &clock{now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	svc := directory.NewService(st, clk.Now)
	sealer, err := auth.NewSealer(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	box := &outbox{}
	mailer, err := mail.NewMailer(box, publicURL, "Roster")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, clock: clk, svc: svc, store: st, mail: box, users: map[string]*directory.User{}, tokens: map[string]string{}}
	wa, err := auth.NewWebAuthn(publicURL, "", nil, "Roster")
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.NewAuthenticator(auth.Config{
		WebAuthn:  wa,
		Directory: svc, TOTP: &auth.TOTP{Issuer: "Roster", Sealer: sealer}, Params: cheapParams, Now: clk.Now,
		OnLockout: LockoutNotifier(svc, mailer, slog.New(slog.DiscardHandler)),
		SMS:       &texts{},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = a
	cfg := Config{
		Directory: svc, Auth: a, Sealer: sealer, Mailer: mailer, Now: clk.Now,
		Logger:    slog.New(slog.DiscardHandler),
		PublicURL: publicURL, AuthRate: -1, MaxBodyBytes: 64 << 10,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.SSO != nil { // withSSO asked for the provider
		idp, err := oidctest.New("roster-client", "idp-secret", clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(idp.Close)
		e.idp = idp
		cfg.SSO = auth.NewSSO(a, sealer, idp.Server.Client(), publicURL+CallbackPath)
	}
	hh, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = hh.(*handler)
	t.Cleanup(e.h.background.Wait)

	system := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	e.acme, err = svc.CreateOrg(ctx, system, &directory.Org{Slug: "acme", Name: "Acme", Domains: []directory.Domain{{Name: "acme.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}},
		UserProperties: []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyString}}})
	if err != nil {
		t.Fatal(err)
	}
	e.globex, err = svc.CreateOrg(ctx, system, &directory.Org{Slug: "globex", Name: "Globex",
		Domains: []directory.Domain{{Name: "globex.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []directory.Role{directory.RoleOrgAdmin, directory.RoleOrgViewer, directory.RoleBillingAdmin, directory.RoleUser} {
		e.users[string(r)] = e.createUser(e.acme, string(r)+"@acme.example", r, testPassword)
	}
	e.users["globex_admin"] = e.createUser(e.globex, "admin@globex.example", directory.RoleOrgAdmin, testPassword)
	for name := range e.users {
		e.tokens[name] = e.token(name)
	}
	return e
}

// createUser stores a local user: active with a password, pending without.
func (e *env) createUser(org *directory.Org, userName string, role directory.Role, password string) *directory.User {
	e.t.Helper()
	var hash string
	if password != "" {
		var err error
		if hash, err = auth.HashPassword(password, cheapParams); err != nil {
			e.t.Fatal(err)
		}
	}
	u, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, org.ID,
		&directory.User{UserName: userName, GivenName: "Test", Role: role, PasswordHash: hash})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// token makes a fresh personal API token for one of the env's users.
func (e *env) token(name string) string {
	e.t.Helper()
	l, err := e.auth.CreateAPIToken(e.ctx, e.users[name], "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Token
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r *response) str(path ...string) string {
	var v any = r.json
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r *response) code() string { return r.str("error", "code") }

// do sends a request: body is JSON-encoded unless it is a string (sent as
// is) or nil; token goes in the Authorization header, cookies as given.
func (e *env) do(method, path, token string, body any, cookies ...*http.Cookie) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.1:1234"
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(res.body, &res.json); err != nil {
			e.t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, res.body)
		}
	}
	return res
}

// want fails unless r has status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// login logs in with a password and returns the session token.
func (e *env) login(userName, password string) (*response, string) {
	e.t.Helper()
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": userName, "password": password})
	return r, r.str("token")
}

func (e *env) user(id string) *directory.User {
	e.t.Helper()
	u, err := e.svc.GetUser(e.ctx, e.acme.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// serviceOf is the directory service an env's Config was built with, for
// the components (runner, importer) that need more of it than the API.
func serviceOf(c *Config) *directory.Service { return c.Directory.(*directory.Service) }
