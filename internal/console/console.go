package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/ratelimit"
)

// Directory is what the console's pages need of the directory service.
// *directory.Service is one.
type Directory interface {
	GetOrg(ctx context.Context, id string) (*directory.Org, error)
	GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error)
	FindOrgByDomain(ctx context.Context, domain string) (*directory.Org, error)
	GetOIDC(ctx context.Context, orgID string) (*directory.OIDCSettings, error)
	PeekLink(ctx context.Context, hash string) (*directory.Link, *directory.User, *directory.Org, error)

	// My account.
	UpdateUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.User) error) (*directory.User, error)
	GetMFA(ctx context.Context, orgID, userID string) (*directory.MFAState, error)
	GetSMSPhone(ctx context.Context, orgID, userID string) (*directory.SMSPhone, error)
	ListSessions(ctx context.Context, orgID, userID string, kind directory.SessionKind) ([]*directory.Session, error)
	EndSession(ctx context.Context, orgID, userID, id string) error

	// Users.
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
	GetUser(ctx context.Context, orgID, id string) (*directory.User, error)
	ListAudit(ctx context.Context, orgID string, q directory.AuditQuery) (*directory.AuditPage, error)
	GetImportRun(ctx context.Context, orgID, id string) (*directory.ImportRun, error)

	// Organization, audit and usage.
	orgDirectory
	auditDirectory
	usageDirectory
}

var _ Directory = (*directory.Service)(nil)

// Config is everything the console depends on.
type Config struct {
	Directory Directory
	// Auth logs users in, with the same sessions as the API.
	Auth *auth.Authenticator
	// SendReset emails the link of a forgotten password when the email is
	// a local user's (admin.ResetSender); the page answers the same either
	// way and runs it after answering.
	SendReset func(ctx context.Context, orgSlug, email string)
	// Users are the API's user use cases, which the user pages call; nil
	// leaves the user pages out.
	Users *admin.UserOps
	// Importer serves the import pages; nil leaves them out. Mount the
	// console behind UploadBodyLimits for its upload form.
	Importer *importer.Importer
	// Sealer seals the client secrets of single sign-on the Security
	// Center sets, as the API's.
	Sealer *auth.Sealer
	// Sync runs the directory connectors (the API's *engine.Runner);
	// without it the connector pages are not served.
	Sync   Connectors
	Logger *slog.Logger
	Now    func() time.Time
	// PublicURL is the base URL users reach Roster at.
	PublicURL string
	// SSO says whether single sign-on runs on this server (the API's SSO
	// routes exist); the login page offers it to organizations that
	// configured it.
	SSO bool
	// InsecureCookies drops the Secure flag from cookies on a plain-HTTP
	// public URL, as the API does; an https public URL always sets it.
	InsecureCookies bool
	// MaxBodyBytes bounds form bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// AuthRate and AuthBurst limit login, code and password attempts per
	// client address and per login name; 0 means 1 per second with a
	// burst of 10. A negative rate turns limiting off.
	AuthRate  float64
	AuthBurst int
	// AuthLimiter, when set, is used instead of one made of AuthRate and
	// AuthBurst: the API's, so that the two login forms share one budget.
	AuthLimiter *ratelimit.Limiter
}

// Console is the web console's handler, to be mounted at "/".
type Console struct {
	cfg     Config
	dir     Directory
	auth    *auth.Authenticator
	logger  *slog.Logger
	limiter *ratelimit.Limiter
	origin  string // scheme://host of the public URL
	secure  bool   // Secure cookies
	mux     *http.ServeMux
	pages   []page
	// patterns are the registered GET paths, which nav shows.
	patterns map[string]bool
	tmpl     map[string]*template.Template
	// background tracks work that outlives its request (the email of a
	// forgotten password), so that tests can wait for it.
	background sync.WaitGroup
	// imports are the files read and the imports running (import.go).
	imports imports
}

// New returns the console. It fails when a page has no permission or a
// template does not parse, so that a broken console never starts.
func New(cfg Config) (*Console, error) {
	switch {
	case cfg.Directory == nil, cfg.Auth == nil, cfg.SendReset == nil:
		return nil, errors.New("console: Directory, Auth and SendReset are required")
	case cfg.Logger == nil:
		return nil, errors.New("console: Logger is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.AuthRate == 0 {
		cfg.AuthRate, cfg.AuthBurst = 1, 10
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	origin, err := admin.PublicOrigin(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{
		cfg: cfg, dir: cfg.Directory, auth: cfg.Auth, logger: cfg.Logger,
		limiter:  cfg.AuthLimiter,
		origin:   origin,
		secure:   strings.HasPrefix(origin, "https://") || !cfg.InsecureCookies,
		mux:      http.NewServeMux(),
		patterns: map[string]bool{},
	}
	if c.limiter == nil {
		c.limiter = ratelimit.New(max(cfg.AuthRate, 0), cfg.AuthBurst, nil, cfg.Now)
	}
	if c.tmpl, err = loadTemplates(); err != nil {
		return nil, err
	}
	pages := append(c.table(), c.orgTable()...)
	if cfg.Sync != nil {
		pages = append(pages, c.connectorTable()...)
	}
	if err := c.register(pages); err != nil {
		return nil, err
	}
	static, err := staticHandler()
	if err != nil {
		return nil, err
	}
	c.mux.Handle("GET /static/", static)
	return c, nil
}

// ServeHTTP serves a page, an asset, or the not-found page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := c.mux.Handler(r); pattern != "" {
		c.mux.ServeHTTP(w, r)
		return
	}
	rq := c.request(w, r)
	c.renderError(w, r, rq, directory.Errorf(directory.CodeNotFound, "there is no page at %s", r.URL.Path))
}

// Wait blocks until the work pages started in the background (emails)
// is done; tests call it before reading the outbox.
func (c *Console) Wait() { c.background.Wait() }
