// Package consoletest starts the whole HTTP handler of Roster (server
// middleware, the SCIM endpoint, the admin API and the console) over a real SQLite store,
// with organizations and a user of each role, for the console's handler
// tests (Client) and browser tests (Browser).
package consoletest

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/console"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/server"
	"github.com/roster/roster/internal/sms"
	"github.com/roster/roster/internal/sms/smstest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/scim"
	"github.com/roster/roster/sync/engine"
)

// Password is the password of every user the env creates.
const Password = "Correct-Horse-42"

// Roles names the env's users: a user of each role in acme, and
// "globex_admin", the admin of the other organization.
var Roles = []string{"org_admin", "org_viewer", "billing_admin", "user"}

// cheapParams keep argon2id fast in tests; the logic does not depend on cost.
var cheapParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Clock is a settable test clock. It starts at the real time, so that a
// browser keeps the cookies it is given.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Outbox records the emails Roster sends.
type Outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

// Send records m.
func (o *Outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// Count is the number of emails sent to to.
func (o *Outbox) Count(to string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.msgs {
		if strings.EqualFold(m.To, to) {
			n++
		}
	}
	return n
}

// Last returns the newest email to to, failing the test if there is none.
func (o *Outbox) Last(t testing.TB, to string) mail.Message {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(o.msgs[i].To, to) {
			return o.msgs[i]
		}
	}
	t.Fatalf("no email to %s", to)
	return mail.Message{}
}

var linkRE = regexp.MustCompile(`https?://\S+?/(?:set-password|reset-password)\?token=[A-Za-z0-9_\-]+`)

// Link returns the one-time link of the newest email to to.
func (o *Outbox) Link(t testing.TB, to string) string {
	t.Helper()
	m := o.Last(t, to)
	link := linkRE.FindString(m.Text)
	if link == "" {
		t.Fatalf("the email to %s (%s) has no password link:\n%s", to, m.Subject, m.Text)
	}
	return link
}

// Env is a running Roster over an in-memory SQLite store, served by an
// httptest server at URL (the public URL), with two organizations: acme
// (domain acme.example, verified) with a user of each role, and globex
// with an admin.
type Env struct {
	T     testing.TB
	Ctx   context.Context
	Clock *Clock
	Svc   *directory.Service
	Auth  *auth.Authenticator
	Mail  *Outbox
	// Twilio is the fake of Twilio the SMS codes are texted through.
	Twilio *smstest.Twilio
	// Console is the console, to wait for the emails it sends.
	Console *console.Console
	Acme    *directory.Org
	Globex  *directory.Org
	// Users by role name (see Roles) and "globex_admin".
	Users  map[string]*directory.User
	Server *httptest.Server
	// URL is the public URL, without a trailing slash.
	URL string
}

// Option changes the env before it starts.
type Option func(*options)

type options struct {
	console func(*console.Config)
	admin   func(*admin.Config)
	store   Store
	kinds   []engine.Kind
	// localhost: the public URL names localhost, not 127.0.0.1.
	localhost bool
}

// Store is a store the env can run over.
type Store interface {
	directory.Store
	Ping(ctx context.Context) error
}

// WithLocalhost makes the public URL http://localhost:port instead of
// http://127.0.0.1:port: WebAuthn binds passkeys to a domain name, so
// passkeys work on such an env only.
func WithLocalhost() Option { return func(o *options) { o.localhost = true } }

// WithStore runs the env over st, migrated, instead of an in-memory
// SQLite store; the caller closes it.
func WithStore(st Store) Option { return func(o *options) { o.store = st } }

// WithConnectors gives the API and the console a sync Runner with these
// connector kinds, serving background runs until the test ends.
func WithConnectors(kinds ...engine.Kind) Option { return func(o *options) { o.kinds = kinds } }

// WithConsole changes the console's configuration.
func WithConsole(f func(*console.Config)) Option { return func(o *options) { o.console = f } }

// WithAdmin changes the admin API's configuration.
func WithAdmin(f func(*admin.Config)) Option { return func(o *options) { o.admin = f } }

// New starts an env; it stops with the test.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	st := o.store
	if st == nil {
		mem, err := sqlite.Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = mem.Close() })
		if err := mem.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		st = mem
	}
	clk := &Clock{now: time.Now().UTC().Truncate(time.Second)}
	svc := directory.NewService(st, clk.Now)
	sealer, err := auth.NewSealer(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	// The handler is set once the server's URL (the public URL) is known.
	var root http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { root.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	public := srv.URL
	if o.localhost {
		public = strings.Replace(srv.URL, "://127.0.0.1:", "://localhost:", 1)
	}
	// Passkeys are off on 127.0.0.1 (WebAuthn wants a domain name).
	wa, _ := auth.NewWebAuthn(public, "", nil, "Roster")
	box := &Outbox{}
	mailer, err := mail.NewMailer(box, public, "Roster")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	tw := smstest.NewTwilio()
	t.Cleanup(tw.Close)
	a, err := auth.NewAuthenticator(auth.Config{
		Directory: svc, TOTP: &auth.TOTP{Issuer: "Roster", Sealer: sealer}, Params: cheapParams, Now: clk.Now, WebAuthn: wa,
		OnLockout: admin.LockoutNotifier(svc, mailer, logger),
		SMS: &sms.Twilio{AccountSID: tw.AccountSID, Username: tw.Username, Password: tw.Password, From: "+15005550006",
			BaseURL: tw.Server.URL, Client: tw.Server.Client()},
	})
	if err != nil {
		t.Fatal(err)
	}
	im := importer.New(svc, admin.NewInviter(svc, a, mailer, logger), importer.Config{Now: clk.Now}, logger)
	acfg := admin.Config{
		Directory: svc, Auth: a, Sealer: sealer, Mailer: mailer, Now: clk.Now, Logger: logger,
		PublicURL: public, AuthRate: -1, MaxBodyBytes: 64 << 10, InsecureCookies: true, Importer: im,
	}
	if o.kinds != nil {
		acfg.Sync = startRunner(t, svc, logger, o.kinds)
	}
	if o.admin != nil {
		o.admin(&acfg)
	}
	api, err := admin.NewHandler(acfg)
	if err != nil {
		t.Fatal(err)
	}
	users, err := admin.NewUserOps(acfg)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := console.Config{
		Directory: svc, Auth: a, SendReset: admin.ResetSender(svc, a, mailer, logger), Logger: logger, Now: clk.Now, Users: users, Importer: im, Sealer: sealer,
		PublicURL: public, AuthRate: -1, InsecureCookies: true, SSO: acfg.SSO != nil,
	}
	if acfg.Sync != nil {
		ccfg.Sync = acfg.Sync
	}
	if o.console != nil {
		o.console(&ccfg)
	}
	con, err := console.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(con.Wait)
	scimHandler, err := scim.NewHandler(scim.Config{Service: svc, BaseURL: public + "/scim/v2", Logger: logger, Now: clk.Now,
		HashPassword: func(p string) (string, error) { return auth.HashPassword(p, cheapParams) }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Config{
		Addr: "127.0.0.1:0", Logger: logger, Registry: prometheus.NewRegistry(), Store: st,
		Mounts: []server.Mount{
			{Pattern: "/scim/v2/", Handler: http.StripPrefix("/scim/v2", scimHandler)},
			{Pattern: admin.Prefix + "/", Handler: api},
			{Pattern: "/", Handler: con},
		},
		MaxBodyBytes: 1 << 20, ShutdownTimeout: time.Second, BodyLimits: bodyLimits(ccfg.Importer),
	})
	if err != nil {
		t.Fatal(err)
	}
	root = s.Handler()

	e := &Env{T: t, Ctx: ctx, Clock: clk, Svc: svc, Auth: a, Mail: box, Twilio: tw, Console: con,
		Users: map[string]*directory.User{}, Server: srv, URL: public}
	system := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	e.Acme, err = svc.CreateOrg(ctx, system, &directory.Org{Slug: "acme", Name: "Acme",
		Domains: []directory.Domain{{Name: "acme.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	e.Globex, err = svc.CreateOrg(ctx, system, &directory.Org{Slug: "globex", Name: "Globex",
		Domains: []directory.Domain{{Name: "globex.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Roles {
		e.Users[r] = e.CreateUser(e.Acme, r+"@acme.example", directory.Role(r), Password)
	}
	e.Users["globex_admin"] = e.CreateUser(e.Globex, "admin@globex.example", directory.RoleOrgAdmin, Password)
	return e
}

// CreateUser stores a local user whose login email is its userName:
// active with a password, pending without one.
func (e *Env) CreateUser(org *directory.Org, email string, role directory.Role, password string) *directory.User {
	e.T.Helper()
	var hash string
	if password != "" {
		var err error
		if hash, err = auth.HashPassword(password, cheapParams); err != nil {
			e.T.Fatal(err)
		}
	}
	u, err := e.Svc.CreateUser(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, org.ID,
		&directory.User{UserName: email, GivenName: "Test", FamilyName: string(role), Role: role, PasswordHash: hash})
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// UpdateOrg changes an organization's settings as its operator would.
func (e *Env) UpdateOrg(org *directory.Org, mutate func(*directory.Org)) {
	e.T.Helper()
	_, err := e.Svc.UpdateOrg(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, org.ID, 0,
		func(o *directory.Org) error { mutate(o); return nil })
	if err != nil {
		e.T.Fatal(err)
	}
}

// bodyLimits are the upload limits of the API and the console, as the
// server is given them.
func bodyLimits(im *importer.Importer) map[string]int64 {
	out := admin.UploadBodyLimits(im)
	maps.Copy(out, console.UploadBodyLimits(im))
	return out
}

// startRunner starts a sync Runner serving background runs until the test
// ends, and returns it once it serves.
func startRunner(t testing.TB, svc *directory.Service, logger *slog.Logger, kinds []engine.Kind) *engine.Runner {
	t.Helper()
	sealer, err := engine.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := engine.NewRunner(engine.RunnerConfig{Directory: svc, Sealer: sealer, Logger: logger, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Runner.Run: %v", err)
		}
	})
	// It serves once a background run of an unknown connector is not found
	// (rather than refused for want of a server).
	for {
		_, err := runner.Start(ctx, engine.RunRequest{OrgID: "none", ConnectorID: "none", Trigger: directory.TriggerManual})
		if directory.IsCode(err, directory.CodeNotFound) {
			return runner
		}
		time.Sleep(time.Millisecond)
	}
}
