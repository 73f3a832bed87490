package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/roster/roster/internal/directory"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// saneRequestID accepts ids that proxies and IdPs commonly send (UUIDs,
// trace ids) and nothing that could forge log lines or bloat them.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:+/=-]{1,128}$`)

// withRequestID adopts the caller's X-Request-Id when it is sane and makes
// one up otherwise, echoes it in the response and puts it in the context,
// where audit events and log records (see NewLogHandler) pick it up.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID.MatchString(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(directory.WithRequestID(r.Context(), id)))
	})
}

// contentSecurityPolicy allows nothing: Roster's answers are JSON, SCIM
// JSON and plain text, which a browser must neither run, style nor frame.
// Pages that need more (the console) set their own policy.
const contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// hstsValue asks browsers to use https for a year.
const hstsValue = "max-age=31536000"

// securityHeaders sets the headers every answer carries, before the handler
// runs, so that errors, 404s and panics get them too; a handler may still
// replace one (a page with scripts sets its own Content-Security-Policy).
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if s.cfg.HSTS {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}

// routeInfo is filled in by the matched route (see handle) and read by
// observe, which runs outside the mux and so cannot see r.Pattern itself.
type routeInfo struct{ pattern string }

type routeInfoKey struct{}

func routeInfoFrom(ctx context.Context) *routeInfo {
	info, _ := ctx.Value(routeInfoKey{}).(*routeInfo)
	return info
}

// observe writes the access log record and the request metrics. It records
// in a deferred call so that requests aborted by a panic are counted too.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &routeInfo{}
		r = r.WithContext(context.WithValue(r.Context(), routeInfoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			elapsed := time.Since(start)
			code := rec.code()
			route := routeLabel(info.pattern)
			s.metrics.observe(route, methodLabel(r.Method), code, elapsed)
			s.logger.LogAttrs(r.Context(), accessLevel(route, code), "http request",
				slog.String("method", r.Method),
				// The path only: SCIM filters in the query hold emails.
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", code),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
				slog.String("user_agent", r.UserAgent()),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// accessLevel keeps probe and scrape traffic out of the info log.
func accessLevel(route string, code int) slog.Level {
	switch {
	case code >= 500:
		return slog.LevelError
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// recoverPanics turns a handler's panic into a logged error and a bare 500,
// never showing the panic to the client. If the response had already begun,
// the connection is aborted instead, so the client cannot mistake a
// truncated response for a complete one.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared, as net/http does
				panic(p)
			}
			s.logger.ErrorContext(r.Context(), "panic serving request",
				"panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path, "stack", string(debug.Stack()))
			if started, ok := w.(interface{ started() bool }); ok && started.started() {
				panic(http.ErrAbortHandler)
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("internal error\n")) // the client may be gone; nothing to do
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which handlers answer with 413. The cap is
// MaxBodyBytes, or the BodyLimits entry of the route the request matches.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(r.Context()) // a copy: handlers must not modify the request they get
		r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(r))
		next.ServeHTTP(w, r)
	})
}

// bodyLimit is the body cap of r.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if s.bodyRoutes != nil {
		if _, pattern := s.bodyRoutes.Handler(r); pattern != "" {
			if n, ok := s.cfg.BodyLimits[pattern]; ok {
				return n
			}
		}
	}
	return s.cfg.MaxBodyBytes
}

// statusRecorder remembers the status code and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // 1xx responses are interim
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush supports handlers that assert http.Flusher (streaming responses).
func (r *statusRecorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush() // a writer that cannot flush just buffers
}

// Unwrap lets http.ResponseController reach Flush, deadlines and hijacking.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) started() bool { return r.status != 0 }

// code is the status sent, 200 for a handler that wrote nothing.
func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
