// Package server wires Roster's HTTP surface: the handlers other packages
// provide (SCIM, the admin API), health and readiness probes, Prometheus
// metrics, and the middleware every request passes through (request id,
// access log, metrics, panic recovery, body limit, security headers).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Pinger is what readiness needs of the store (directory.Store has it).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Mount attaches a handler under a ServeMux pattern such as "/scim/v2/".
type Mount struct {
	Pattern string
	Handler http.Handler
}

// Config is everything a Server depends on.
type Config struct {
	// Addr is where Run listens, unless Listener is set.
	Addr string
	// Listener, if set, is served instead of listening on Addr; the caller
	// can then learn the bound address before Run (port 0).
	Listener net.Listener
	Logger   *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	Store    Pinger
	Mounts   []Mount
	// MaxBodyBytes bounds every request body but those BodyLimits names.
	MaxBodyBytes int64
	// BodyLimits bounds the bodies of particular routes instead of
	// MaxBodyBytes (the admin API's file uploads): ServeMux patterns such
	// as "POST /api/v1/users/import" to their limit. A request takes the
	// limit of the pattern it matches, MaxBodyBytes if none.
	BodyLimits map[string]int64
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// once its context ends.
	ShutdownTimeout time.Duration
	// ReadyTimeout bounds the store ping of /readyz; zero means 2s.
	ReadyTimeout time.Duration
	// MaxInFlight bounds the requests served at once (0: DefaultMaxInFlight;
	// negative: no bound); QueueTimeout is how long a request waits for a
	// slot before it is answered 503 (0: DefaultQueueTimeout).
	MaxInFlight  int
	QueueTimeout time.Duration
	// HSTS adds Strict-Transport-Security to every answer; set it when
	// clients reach Roster over https (the public URL is https).
	HSTS bool
}

// Server is the HTTP component. Create it with New and start it with Run.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	metrics *httpMetrics
	handler http.Handler
	// bodyRoutes matches the patterns of cfg.BodyLimits; nil without any.
	bodyRoutes *http.ServeMux
	draining   atomic.Bool // set once shutdown starts, so /readyz fails
}

// Timeouts that protect the server from slow clients. There is no write
// timeout: SCIM /Bulk and imports may legitimately take minutes.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	defaultReadyWait  = 2 * time.Second
)

// New builds a server. It registers the HTTP metrics on cfg.Registry and
// fails if a mount's pattern is invalid or clashes with another route.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Logger == nil:
		return nil, errors.New("server: Logger is required")
	case cfg.Registry == nil:
		return nil, errors.New("server: Registry is required")
	case cfg.Store == nil:
		return nil, errors.New("server: Store is required")
	case cfg.MaxBodyBytes <= 0:
		return nil, errors.New("server: MaxBodyBytes must be positive")
	case cfg.ShutdownTimeout <= 0:
		return nil, errors.New("server: ShutdownTimeout must be positive")
	case cfg.Listener == nil && cfg.Addr == "":
		return nil, errors.New("server: Addr or Listener is required")
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = defaultReadyWait
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = DefaultQueueTimeout
	}
	s := &Server{cfg: cfg, logger: slog.New(NewLogHandler(cfg.Logger.Handler()))}
	if len(cfg.BodyLimits) > 0 {
		s.bodyRoutes = http.NewServeMux()
		for pattern, n := range cfg.BodyLimits {
			if n <= 0 {
				return nil, fmt.Errorf("server: the body limit of %q must be positive", pattern)
			}
			if err := handle(s.bodyRoutes, pattern, http.NotFoundHandler()); err != nil {
				return nil, err
			}
		}
	}
	m, err := newHTTPMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m

	mux := http.NewServeMux()
	routes := append([]Mount{
		{"GET /healthz", http.HandlerFunc(s.healthz)},
		{"GET /readyz", http.HandlerFunc(s.readyz)},
		{"GET /metrics", s.metricsHandler()},
	}, cfg.Mounts...)
	for _, r := range routes {
		if err := handle(mux, r.Pattern, r.Handler); err != nil {
			return nil, err
		}
	}
	// limitBody comes first so that http.MaxBytesReader sees the real
	// ResponseWriter and can close the connection of an oversized request.
	s.handler = s.limitBody(s.securityHeaders(s.withRequestID(s.observe(s.shed(s.recoverPanics(mux))))))
	return s, nil
}

// handle registers h, recording its pattern for metrics and logs, and turns
// ServeMux's panic on a bad or clashing pattern into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	if h == nil {
		return fmt.Errorf("server: no handler for %q", pattern)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("server: cannot mount %q: %v", pattern, p)
		}
	}()
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := routeInfoFrom(r.Context()); info != nil {
			info.pattern = r.Pattern
		}
		h.ServeHTTP(w, r)
	}))
	return nil
}

// Handler returns the root handler with all middleware, for tests and for
// embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx ends, then shuts down gracefully: /readyz starts
// failing, new connections are refused, and requests in flight get
// ShutdownTimeout to finish before their connections are closed. It returns
// nil after a graceful shutdown.
func (s *Server) Run(ctx context.Context) error {
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		var lc net.ListenConfig
		if ln, err = lc.Listen(ctx, "tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("http: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.logger.Info("http server listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}

	s.draining.Store(true)
	s.logger.Info("http server shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		closeErr := srv.Close()
		return errors.Join(fmt.Errorf("http: requests still running after %s were cut off: %w", s.cfg.ShutdownTimeout, err), closeErr)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	s.logger.Info("http server stopped")
	return nil
}
