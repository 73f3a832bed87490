// Package scim serves Roster's SCIM 2.0 endpoint (RFC 7643, RFC 7644 and
// RFC 9865 cursors) on github.com/elimity-com/scim.
//
// The handler serves paths relative to the SCIM base URL; mount it with
//
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
//
// so that it sees /Users, /Groups/{id}, /Schemas and so on. The bearer
// token's organization is the tenant: every request is scoped to it.
//
// Roster routes some requests itself, before the library, where the library
// cannot do what the protocol or its clients need, or costs too much (see
// newRoutes); the library serves group creation, replacement and deletion
// of resources, /Schemas and /ResourceTypes, validating bodies against
// Roster's schemas. User creation is validated with the library's
// validator too, and answered in the library's form.
package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/ratelimit"
)

// Config configures the SCIM endpoint.
type Config struct {
	Service Directory
	// BaseURL is the endpoint's public URL, e.g.
	// https://roster.example.com/scim/v2. Locations start with it.
	BaseURL string
	Logger  *slog.Logger
	// MaxBodyBytes bounds request bodies, /Bulk included (it is advertised
	// as the bulk maxPayloadSize). 0 means 1 MiB.
	MaxBodyBytes int64
	// RateLimit is the sustained number of requests per second one token
	// may make, and RateBurst how many it may make at once (default: one
	// second's worth). A RateLimit of 0 turns rate limiting off.
	RateLimit float64
	RateBurst int
	// RateShare is the number of replicas that split the rate limit (nil:
	// this process serves alone).
	RateShare ratelimit.Share
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HashPassword hashes passwords that clients set (Okta sends them on
	// create). When nil, the password attribute is not offered and any
	// password sent is dropped.
	HashPassword func(plaintext string) (string, error)

	// anchorStride replaces anchorStride (see listMemo), for tests.
	anchorStride int
}

const (
	contentType         = "application/scim+json"
	defaultMaxBodyBytes = 1 << 20
	// maxBulkOperations is the /Bulk maxOperations Roster advertises.
	maxBulkOperations = 1000
	// orgSchemaTTL bounds how long a change to an organization's custom
	// property definitions takes to reach its SCIM schema.
	orgSchemaTTL = 10 * time.Second
)

// allowStringValues guards the library's SetAllowStringValues switch. It is
// a package global in the library, so Roster sets it once per process:
// Microsoft Entra sends booleans as the strings "True" and "False", and
// every handler in the process wants them accepted.
var allowStringValues sync.Once

// NewHandler returns the SCIM endpoint.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("scim: Config.Service is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("scim: Config.BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.RateLimit < 0 || cfg.RateBurst < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("scim: RateLimit, RateBurst and MaxBodyBytes must not be negative")
	}
	allowStringValues.Do(func() { schema.SetAllowStringValues(true) })

	h := &handler{
		svc:     cfg.Service,
		base:    strings.TrimRight(cfg.BaseURL, "/"),
		log:     cfg.Logger,
		maxBody: cfg.MaxBodyBytes,
		now:     cfg.Now,
		hash:    cfg.HashPassword,
		users:   userSchema(nil, cfg.HashPassword != nil),
		groups:  groupSchema(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody == 0 {
		h.maxBody = defaultMaxBodyBytes
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.userSchemas = h.users.ids()
	h.libPrefixes = libPrefixes(h.base)
	h.tokens = newTokenCache(h.svc, h.now)
	if cfg.RateLimit > 0 {
		h.limiter = ratelimit.New(cfg.RateLimit, cfg.RateBurst, cfg.RateShare, h.now)
	}
	h.orgs = newOrgCache(h)
	h.memo = newListMemo(h.now)
	if cfg.anchorStride > 0 {
		h.memo.stride = cfg.anchorStride
	}
	h.routes = h.newRoutes()
	return h.middleware(h.routes), nil
}

// handler serves one SCIM endpoint. It holds no per-request state.
type handler struct {
	svc     Directory
	base    string
	log     *slog.Logger
	maxBody int64
	now     func() time.Time
	hash    func(string) (string, error)
	tokens  *tokenCache
	limiter *ratelimit.Limiter // nil: no rate limit
	// users is the User schema for reading: projection finds custom
	// properties by their extension's URN, so it needs no organization.
	users  *resourceSchema
	groups *resourceSchema
	// userSchemas is the "schemas" of every user (users.ids()).
	userSchemas []string
	// libPrefixes start the locations the library would write, by
	// endpoint (see libLocation).
	libPrefixes map[string]string
	orgs        *orgCache
	memo        *listMemo    // listings' counts and positions
	routes      http.Handler // everything behind authentication
}

// newRoutes routes the requests Roster serves itself and hands the rest
// to the organization's library server. Roster serves:
//   - GET and POST .search of lists: the library cannot return RFC 9865's
//     nextCursor, sort, or project attributes, and validates filters with
//     a parser that rejects forms Entra sends;
//   - GET of one resource: If-None-Match must answer 304, which the library
//     turns into a 500;
//   - PATCH: the library's validator rejects requests Entra documents (a
//     manager sent as a list, extension attributes without their URN) and
//     answers 204 without the ETag;
//   - /ServiceProviderConfig: the library's says bulk, sort, ETags and
//     cursors are unsupported;
//   - POST /Users, as the library would (see postUser), without the
//     library's per-request rebuilding of the schema;
//   - /Bulk and the root /.search, which the library does not serve.
func (h *handler) newRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ServiceProviderConfig", h.serviceProviderConfig)
	// The discovery endpoints are read-only (RFC 7644 §4).
	mux.HandleFunc("/ServiceProviderConfig", readOnly)
	for _, p := range []string{"/Schemas", "/ResourceTypes"} {
		mux.HandleFunc("GET "+p, h.discovery)
		mux.HandleFunc("GET "+p+"/{id}", h.discovery)
		mux.HandleFunc(p, readOnly)
		mux.HandleFunc(p+"/{id}", readOnly)
	}
	mux.HandleFunc("POST /Bulk", h.bulk)
	mux.HandleFunc("POST /.search", h.searchAll)
	mux.HandleFunc("GET /Users", h.listUsers)
	mux.HandleFunc("POST /Users", h.postUser)
	mux.HandleFunc("POST /Users/.search", h.searchUsers)
	mux.HandleFunc("GET /Users/{id}", h.getUser)
	mux.HandleFunc("PATCH /Users/{id}", h.patchUser)
	mux.HandleFunc("GET /Groups", h.listGroups)
	mux.HandleFunc("POST /Groups/.search", h.searchGroups)
	mux.HandleFunc("GET /Groups/{id}", h.getGroup)
	mux.HandleFunc("PATCH /Groups/{id}", h.patchGroup)
	mux.HandleFunc("/", h.library)
	return mux
}

// discovery serves /Schemas and /ResourceTypes, and their resources,
// through the library, and corrects what the library says: a list's
// itemsPerPage is the number of resources returned (RFC 7644 §3.4.2; the
// library gives the page size it would accept), and the attributes of
// /Schemas that Roster cannot filter on say so (see noteUnfilterable).
func (h *handler) discovery(w http.ResponseWriter, r *http.Request) {
	rec := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	h.library(rec, r)
	body := rec.body.Bytes()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if rec.code == http.StatusOK && dec.Decode(&doc) == nil {
		if resources, ok := doc["Resources"].([]any); ok {
			doc["itemsPerPage"] = len(resources)
			for _, res := range resources {
				if m, ok := res.(map[string]any); ok {
					noteUnfilterable(m)
				}
			}
		} else {
			noteUnfilterable(doc)
		}
		if b, err := json.Marshal(doc); err == nil {
			body = b
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.code)
	_, _ = w.Write(body) //nolint:gosec // the library's JSON, re-encoded
}

// bufferedResponse holds a response until it is written on.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }

// readOnly answers writes to a read-only endpoint.
func readOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	writeError(w, scimerrors.ScimError{Status: http.StatusMethodNotAllowed,
		Detail: r.Method + " is not allowed here: the endpoint is read-only"})
}

// library serves a request through the organization's library server.
func (h *handler) library(w http.ResponseWriter, r *http.Request) {
	o, err := h.orgs.get(r.Context(), tokenOf(r.Context()).OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o.server.ServeHTTP(w, r)
}

// writeJSON writes a 2xx SCIM response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBuffer {
			jsonBuffers.Put(buf)
		}
	}()
	body, err := appendJSON((*buf)[:0], v)
	if err != nil {
		writeError(w, errorFor(directory.Internal(err)))
		return
	}
	*buf = body
	w.Header()["Content-Type"] = contentTypeValue
	w.WriteHeader(status)
	_, _ = w.Write(body) //nolint:gosec // JSON (<, > and & escaped) served as application/scim+json
}

// jsonBuffers hold answers while they are written (a Write does not keep
// what it is given); one that grew past maxPooledBuffer, for a large
// listing, is let go rather than kept.
var jsonBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

const maxPooledBuffer = 256 << 10

// contentTypeValue is the Content-Type header of every answer, shared
// rather than allocated per answer: headers are set, never changed in
// place.
var contentTypeValue = []string{contentType}

// libLogger lets the library log through slog.
type libLogger struct{ log *slog.Logger }

func (l libLogger) Error(args ...any) {
	msg := "scim library error"
	if len(args) > 0 {
		if s, ok := args[0].(string); ok {
			msg, args = "scim library: "+s, args[1:]
		}
	}
	l.log.Error(msg, args...)
}
