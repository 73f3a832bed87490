// Package admin serves Roster's JSON API under /api/v1: login (password,
// TOTP, single sign-on), self-service, and what an organization's admins do
// with users, security settings, SCIM tokens, directory connectors, usage
// and the audit log. Every route names the roles that may call it; the
// OpenAPI document it serves is built from the same route table.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/ratelimit"
	"github.com/roster/roster/sync/engine"
)

// Prefix is where the handler expects to be mounted; it routes full paths.
const Prefix = "/api/v1"

// Config is everything the API depends on.
type Config struct {
	Directory Directory
	Auth      *auth.Authenticator
	// SSO runs single sign-on; nil turns the SSO routes off (404).
	SSO *auth.SSO
	// Sealer seals OIDC client secrets.
	Sealer *auth.Sealer
	Mailer *mail.Mailer
	Logger *slog.Logger
	Now    func() time.Time
	// PublicURL is the base URL users reach Roster at; emailed links and
	// the SSO callback are built on it.
	PublicURL string
	// MaxBodyBytes bounds request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// AuthRate and AuthBurst limit login, code, password and token
	// requests per client address and per login name; 0 means 1 per
	// second with a burst of 10. A negative rate turns limiting off.
	AuthRate  float64
	AuthBurst int
	// AuthLimiter, when set, is the limiter of those requests instead of
	// one made of AuthRate and AuthBurst: the console shares it, so that
	// its login form adds no attempts to the API's.
	AuthLimiter *ratelimit.Limiter
	// InsecureCookies drops the Secure flag from cookies, for plain-HTTP
	// development setups.
	InsecureCookies bool
	// Sync serves the directory connectors under /connectors (see
	// connectors.go); nil turns those routes off (404).
	Sync *engine.Runner
	// Importer serves bulk import and export under /users/import and
	// /users/export (see imports.go); nil turns those routes off (404).
	// Its upload routes take bodies up to its file limit: mount the
	// handler behind a body limit of UploadBodyLimits for them.
	Importer *importer.Importer
}

// handler is the API. Its routes are in routes.go.
type handler struct {
	cfg     Config
	dir     Directory
	auth    *auth.Authenticator
	logger  *slog.Logger
	limiter *ratelimit.Limiter
	origin  string // scheme://host of the public URL
	mux     *http.ServeMux
	routes  []route
	// patterns are the mux's patterns, one per route, in table order.
	patterns []string
	// openapiJSON is the OpenAPI document, built once from routes.
	openapiJSON []byte
	// background tracks work that outlives its request (the email of a
	// forgotten password), so that tests can wait for it.
	background sync.WaitGroup
}

// NewHandler returns the API handler, to be mounted at /api/v1/.
func NewHandler(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	h.routes = h.table()
	if cfg.Sync != nil {
		h.routes = append(h.routes, h.connectorRoutes()...)
	}
	if cfg.Importer != nil {
		h.routes = append(h.routes, h.importRoutes()...)
	}
	if err := h.register(h.routes); err != nil {
		return nil, err
	}
	doc, err := h.openapiDoc()
	if err != nil {
		return nil, fmt.Errorf("admin: OpenAPI document: %w", err)
	}
	if h.openapiJSON, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("admin: OpenAPI document: %w", err)
	}
	return h, nil
}

// newHandler checks cfg, fills in its defaults and returns a handler
// without routes: the API's, and the one behind UserOps.
func newHandler(cfg Config) (*handler, error) {
	switch {
	case cfg.Directory == nil, cfg.Auth == nil, cfg.Mailer == nil, cfg.Sealer == nil:
		return nil, errors.New("admin: Directory, Auth, Sealer and Mailer are required")
	case cfg.Logger == nil:
		return nil, errors.New("admin: Logger is required")
	case cfg.PublicURL == "":
		return nil, errors.New("admin: PublicURL is required")
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
	origin, err := PublicOrigin(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	h := &handler{
		cfg: cfg, dir: cfg.Directory, auth: cfg.Auth, logger: cfg.Logger,
		limiter: cfg.AuthLimiter,
		origin:  origin,
		mux:     http.NewServeMux(),
	}
	if h.limiter == nil {
		h.limiter = ratelimit.New(max(cfg.AuthRate, 0), cfg.AuthBurst, nil, cfg.Now)
	}
	return h, nil
}

// PublicOrigin returns the scheme://host of a public URL, against which
// the API and the console check the Origin of cookie-borne writes; the
// URL must be absolute.
func PublicOrigin(publicURL string) (string, error) {
	pub, err := url.Parse(publicURL)
	if err != nil || pub.Scheme == "" || pub.Host == "" {
		return "", fmt.Errorf("PublicURL %q is not an absolute URL", publicURL)
	}
	return pub.Scheme + "://" + pub.Host, nil
}

// register puts routes on the mux; each must name its permission and be
// bound to a handler.
func (h *handler) register(routes []route) error {
	for _, rt := range routes {
		if rt.perm == permNone || rt.bind.serve == nil || rt.bind.in == nil || rt.bind.out == nil {
			return fmt.Errorf("admin: %s %s needs a permission and a bound handler", rt.method, rt.path)
		}
		pattern := rt.method + " " + Prefix + rt.path
		h.mux.Handle(pattern, h.wrap(rt))
		h.patterns = append(h.patterns, pattern)
	}
	return nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		h.mux.ServeHTTP(w, r)
		return
	}
	// ServeMux would answer in plain text; answer in JSON, with 405 and
	// Allow when the path exists under other methods.
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		h.writeError(w, r, directory.Errorf(directory.CodeNotFound, "no such endpoint: %s", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	apijson.Write(w, http.StatusMethodNotAllowed, map[string]apijson.ErrorDetail{"error": {
		Code: directory.CodeInvalid, Message: r.Method + " is not allowed here; use " + strings.Join(allow, ", "),
	}})
}

// Perm says who may call a route, or see a page of the console: the
// console's pages name their permission from this same table.
type Perm int

// perm is the route table's short name for Perm.
type perm = Perm

const (
	permNone    perm = iota // not set: a route must name its permission
	permPublic              // anyone, authenticated or not
	permPending             // a session at any stage (finishing a login)
	permSelf                // any signed-in user, about itself
	permUsage               // org_admin, org_viewer, billing_admin
	permRead                // org_admin, org_viewer
	permWrite               // org_admin
)

// The permissions, exported for the console's pages.
const (
	PermNone    = permNone
	PermPublic  = permPublic
	PermPending = permPending
	PermSelf    = permSelf
	PermUsage   = permUsage
	PermRead    = permRead
	PermWrite   = permWrite
)

// Allows reports whether a user of role r, signed in fully, holds p. Every
// signed-in role holds PermPublic, PermPending and PermSelf; nobody holds
// PermNone.
func Allows(p Perm, r directory.Role) bool {
	if p == permNone {
		return false
	}
	allowed, ok := roles[p]
	return !ok || hasRole(allowed, r)
}

var roles = map[perm][]directory.Role{
	permUsage: {directory.RoleOrgAdmin, directory.RoleOrgViewer, directory.RoleBillingAdmin},
	permRead:  {directory.RoleOrgAdmin, directory.RoleOrgViewer},
	permWrite: {directory.RoleOrgAdmin},
}

// principal is the caller of a request.
type principal struct {
	session *directory.Session
	user    *directory.User
	token   string
}

// actor is the audit actor of the caller: an admin when it acts through an
// admin route, the user itself otherwise.
func (p *principal) actor(asAdmin bool) directory.Actor {
	kind := directory.ActorUser
	if asAdmin {
		kind = directory.ActorAdmin
	}
	a := directory.Actor{Kind: kind, ID: p.user.ID, Name: p.user.UserName}
	if p.session != nil {
		a.SessionID = p.session.ID
	}
	return a
}

func (p *principal) orgID() string { return p.user.OrgID }

// wrap applies rate limiting, authentication and the role check, then runs
// the route and renders its error.
func (h *handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.serve(w, r, rt); err != nil && !errors.Is(err, errAnswered) {
			h.writeError(w, r, err)
		}
	})
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := apijson.CheckURL(r); err != nil {
		return err
	}
	if rt.limited {
		if err := h.limit(w, "ip:"+clientIP(r)); err != nil {
			return err
		}
	}
	token, viaCookie := bearerOrCookie(r)
	if viaCookie && !safeMethod(r.Method) && !h.sameOrigin(r) {
		// SameSite cookies already stay home; this refuses what an old
		// browser might still send along from another site.
		return directory.Errorf(directory.CodeForbidden, "cross-site request refused")
	}
	var p *principal
	if token != "" {
		sess, u, err := h.auth.Authenticate(r.Context(), token)
		if err != nil && rt.perm != permPublic {
			return err
		}
		if err == nil {
			p = &principal{session: sess, user: u, token: token}
		}
	}
	if rt.perm == permPublic {
		return rt.bind.serve(w, r, p, rt.successStatus())
	}
	if p == nil {
		return directory.Errorf(directory.CodeUnauthorized, "sign in first")
	}
	if rt.perm != permPending && p.session.Stage != directory.StageFull {
		return directory.Errorf(directory.CodeUnauthorized, "finish signing in first (%s)", p.session.Stage)
	}
	if allowed, ok := roles[rt.perm]; ok && !hasRole(allowed, p.user.Role) {
		return directory.Errorf(directory.CodeForbidden, "your role (%s) may not do this", p.user.Role)
	}
	return rt.bind.serve(w, r, p, rt.successStatus())
}

func hasRole(list []directory.Role, r directory.Role) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}

// limit takes a token from key's bucket and refuses the request when none
// is left.
func (h *handler) limit(w http.ResponseWriter, key string) error {
	ok, wait := h.limiter.Allow(key)
	if ok {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	return directory.Errorf(directory.CodeRateLimited, "too many attempts; wait %d seconds", int(wait/time.Second)+1)
}

// SessionCookie names the cookie browsers keep their session in, for the
// API and the console alike.
const SessionCookie = "roster_session"

const sessionCookie = SessionCookie

// bearerOrCookie returns the caller's session token, and whether it came
// in the browser's cookie rather than an Authorization header.
func bearerOrCookie(r *http.Request) (string, bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		t, _ := strings.CutPrefix(a, "Bearer ")
		return strings.TrimSpace(t), false
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser request comes from Roster's own
// pages: no Origin header (not a cross-site browser request), or the
// public URL's origin.
func (h *handler) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin == "" || strings.EqualFold(origin, h.origin)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
