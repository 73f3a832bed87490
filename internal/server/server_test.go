package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
)

// fakeStore is a Pinger whose answer the test sets.
type fakeStore struct {
	mu  sync.Mutex
	err error
	// block makes Ping wait for its context, like a hung database.
	block bool
}

func (f *fakeStore) Ping(ctx context.Context) error {
	f.mu.Lock()
	err, block := f.err, f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

type harness struct {
	srv   *Server
	store *fakeStore
	logs  *logtest.Buffer
	reg   *prometheus.Registry
}

func newHarness(t *testing.T, mounts ...Mount) *harness {
	t.Helper()
	h := &harness{store: &fakeStore{}, logs: &logtest.Buffer{}, reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(Config{
		Addr:            "127.0.0.1:0",
		Logger:          logger,
		Registry:        h.reg,
		Store:           h.store,
		Mounts:          mounts,
		MaxBodyBytes:    16,
		ShutdownTimeout: time.Second,
		ReadyTimeout:    50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h
}

func (h *harness) do(t *testing.T, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	h.store.err = errors.New("database down")
	rec := h.do(t, http.MethodGet, "/healthz", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Fatalf("/healthz = %d %q, want 200 ok even with the database down", rec.Code, rec.Body)
	}
	if rec := h.do(t, http.MethodPost, "/healthz", nil, nil); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d, want 405", rec.Code)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		block bool
		want  int
	}{
		{"ready when the database answers", nil, false, http.StatusOK},
		{"unavailable when the database fails", errors.New("connection refused"), false, http.StatusServiceUnavailable},
		{"unavailable when the database hangs", nil, true, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.store.err, h.store.block = tc.err, tc.block
			start := time.Now()
			rec := h.do(t, http.MethodGet, "/readyz", nil, nil)
			if rec.Code != tc.want {
				t.Fatalf("/readyz = %d %q, want %d", rec.Code, rec.Body, tc.want)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatal("/readyz did not bound its wait for the database")
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	h := newHarness(t, Mount{"/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = directory.RequestID(r.Context())
	})})
	for _, tc := range []struct {
		name, sent string
		keep       bool
	}{
		{"a missing id is generated", "", false},
		{"a sane id is adopted", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"a UUID is adopted", "0190f1a2-7b8c-7def-8000-123456789abc", true},
		{"an id with spaces is replaced", "evil id\nlevel=error", false},
		{"an overlong id is replaced", strings.Repeat("a", 129), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.sent != "" {
				hdr.Set(RequestIDHeader, tc.sent)
			}
			rec := h.do(t, http.MethodGet, "/api/v1/users", nil, hdr)
			got := rec.Header().Get(RequestIDHeader)
			if got == "" || got != seen {
				t.Fatalf("response id %q, handler saw %q; want the same, non-empty", got, seen)
			}
			if tc.keep != (got == tc.sent) {
				t.Fatalf("sent %q, got %q; keep=%v", tc.sent, got, tc.keep)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	h := newHarness(t, Mount{"/scim/v2/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	})})
	h.do(t, http.MethodPost, "/scim/v2/Users?filter=userName+eq+%22a%40b.c%22", nil, http.Header{RequestIDHeader: {"req-1"}})

	recs := h.logs.Records(t)
	if len(recs) != 1 {
		t.Fatalf("got %d log records, want 1: %v", len(recs), recs)
	}
	want := map[string]any{
		"level": "INFO", "msg": "http request", "method": "POST", "path": "/scim/v2/Users",
		"route": "/scim/v2/", "status": float64(201), "bytes": float64(5), "request_id": "req-1",
	}
	for k, v := range want {
		if recs[0][k] != v {
			t.Errorf("log %s = %v, want %v", k, recs[0][k], v)
		}
	}
	if _, ok := recs[0]["duration_ms"]; !ok {
		t.Error("log has no duration_ms")
	}
	if strings.Contains(h.logs.String(), "a@b.c") {
		t.Error("the access log shows the query string")
	}
}

func TestPanicRecovery(t *testing.T) {
	h := newHarness(t,
		Mount{"/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("secret detail: db password hunter2")
		})},
	)
	rec := h.do(t, http.MethodGet, "/boom", nil, nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatalf("the response leaks the panic: %q", rec.Body)
	}
	var panicRec map[string]any
	for _, r := range h.logs.Records(t) {
		if r["msg"] == "panic serving request" {
			panicRec = r
		}
	}
	if panicRec == nil || !strings.Contains(panicRec["stack"].(string), "server_test.go") {
		t.Fatalf("the panic was not logged with its stack: %v", h.logs.Records(t))
	}
	if body := scrape(t, h); !strings.Contains(body, `roster_http_requests_total{code="500",method="GET",route="/boom"} 1`) {
		t.Fatalf("the panic was not counted as a 500:\n%s", body)
	}
}

func TestPanicAfterTheResponseStartedAbortsTheConnection(t *testing.T) {
	h := newHarness(t, Mount{"/half", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("midway")
	})})
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/half")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("the client read a complete body; want the connection cut")
	}
}

func TestBodyLimit(t *testing.T) {
	var readErr error
	h := newHarness(t, Mount{"POST /api/v1/import", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	})})
	h.do(t, http.MethodPost, "/api/v1/import", strings.NewReader(strings.Repeat("x", 16)), nil)
	if readErr != nil {
		t.Fatalf("a body at the limit failed: %v", readErr)
	}
	h.do(t, http.MethodPost, "/api/v1/import", strings.NewReader(strings.Repeat("x", 17)), nil)
	var tooLarge *http.MaxBytesError
	if !errors.As(readErr, &tooLarge) {
		t.Fatalf("read error = %v, want *http.MaxBytesError", readErr)
	}
}

func TestBodyLimitPerRoute(t *testing.T) {
	reads := map[string]error{}
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, reads[r.URL.Path] = io.ReadAll(r.Body)
	})
	h := &harness{store: &fakeStore{}, logs: &logtest.Buffer{}, reg: prometheus.NewRegistry()}
	srv, err := New(Config{
		Addr: "127.0.0.1:0", Logger: slog.New(slog.NewJSONHandler(h.logs, nil)), Registry: h.reg, Store: h.store,
		Mounts:       []Mount{{"/api/v1/", read}},
		MaxBodyBytes: 16, ShutdownTimeout: time.Second,
		BodyLimits: map[string]int64{"POST /api/v1/users/{id}/upload": 64},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	var tooLarge *http.MaxBytesError
	h.do(t, http.MethodPost, "/api/v1/users/7/upload", strings.NewReader(strings.Repeat("x", 64)), nil)
	if err := reads["/api/v1/users/7/upload"]; err != nil {
		t.Fatalf("a body within the route's limit failed: %v", err)
	}
	h.do(t, http.MethodPost, "/api/v1/users/7/upload", strings.NewReader(strings.Repeat("x", 65)), nil)
	if err := reads["/api/v1/users/7/upload"]; !errors.As(err, &tooLarge) || tooLarge.Limit != 64 {
		t.Fatalf("over the route's limit: read error = %v, want *http.MaxBytesError of 64", err)
	}
	// Other routes, and other methods on the same path, keep MaxBodyBytes.
	for _, tc := range []struct{ method, path string }{{http.MethodPost, "/api/v1/users"}, {http.MethodPut, "/api/v1/users/7/upload"}} {
		h.do(t, tc.method, tc.path, strings.NewReader(strings.Repeat("x", 17)), nil)
		if err := reads[tc.path]; !errors.As(err, &tooLarge) || tooLarge.Limit != 16 {
			t.Errorf("%s %s: read error = %v, want *http.MaxBytesError of 16", tc.method, tc.path, err)
		}
	}
	if _, err := New(Config{
		Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Store: h.store,
		MaxBodyBytes: 16, ShutdownTimeout: time.Second, BodyLimits: map[string]int64{"POST /x": 0},
	}); err == nil {
		t.Error("New accepted a body limit of 0")
	}
}

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	rec := h.do(t, http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, Mount{"GET /api/v1/users/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	})})
	h.do(t, http.MethodGet, "/healthz", nil, nil)
	h.do(t, http.MethodGet, "/healthz", nil, nil)
	h.do(t, http.MethodGet, "/api/v1/users/1", nil, nil)
	h.do(t, http.MethodGet, "/api/v1/users/2", nil, nil)
	h.do(t, http.MethodGet, "/wp-login.php", nil, nil)
	h.do(t, "BREW", "/healthz", nil, nil)

	body := scrape(t, h)
	for _, want := range []string{
		`roster_http_requests_total{code="200",method="GET",route="/healthz"} 2`,
		`roster_http_requests_total{code="404",method="GET",route="/api/v1/users/{id}"} 2`,
		`roster_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`roster_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`,
		`roster_http_request_duration_seconds_count{code="200",method="GET",route="/healthz"} 2`,
		`roster_http_requests_in_flight 1`, // the scrape itself
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "wp-login") {
		t.Error("a raw path became a label")
	}
	if strings.Contains(body, "go_goroutines") {
		t.Error("the server must use only the registry it was given, not the global one")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	base := Config{Addr: ":0", Logger: logger, Registry: prometheus.NewRegistry(), Store: &fakeStore{}, MaxBodyBytes: 1, ShutdownTimeout: time.Second}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"a mount clashing with a built-in route", func(c *Config) { c.Mounts = []Mount{{"GET /healthz", http.NotFoundHandler()}} }, "cannot mount"},
		{"two mounts on one pattern", func(c *Config) {
			c.Mounts = []Mount{{"/scim/v2/", http.NotFoundHandler()}, {"/scim/v2/", http.NotFoundHandler()}}
		}, "cannot mount"},
		{"a nil handler", func(c *Config) { c.Mounts = []Mount{{"/x", nil}} }, "no handler"},
		{"no logger", func(c *Config) { c.Logger = nil }, "Logger"},
		{"no store", func(c *Config) { c.Store = nil }, "Store"},
		{"no address", func(c *Config) { c.Addr = "" }, "Addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Registry = prometheus.NewRegistry()
			tc.mutate(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("a registry already holding the HTTP metrics", func(t *testing.T) {
		cfg := base
		cfg.Registry = prometheus.NewRegistry()
		if _, err := New(cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg); err == nil {
			t.Fatal("New registered the metrics twice")
		}
	})
}

func TestRunShutsDownGracefully(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	h := newHarness(t, Mount{"/slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	})})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.srv.cfg.Listener = ln
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Run(ctx) }()

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz = %d", resp.StatusCode)
	}

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	<-entered
	cancel()
	// Shutdown has begun: readiness fails while the slow request runs.
	waitFor(t, func() bool { return h.srv.draining.Load() })
	if rec := h.do(t, http.MethodGet, "/readyz", nil, nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during shutdown = %d, want 503", rec.Code)
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Fatalf("the request in flight got %q, want it to finish", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after a graceful shutdown", err)
	}
}

func TestRunCutsOffRequestsAfterTheShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	h := newHarness(t, Mount{"/stuck", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // released only when the connection is closed
	})})
	h.srv.cfg.ShutdownTimeout = 100 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.srv.cfg.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Run(ctx) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			_ = resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cut off") {
			t.Fatalf("Run = %v, want an error about cut-off requests", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its shutdown timeout")
	}
}

func TestRunReportsAListenError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	h := newHarness(t)
	h.srv.cfg.Addr = taken.Addr().String()
	if err := h.srv.Run(context.Background()); err == nil {
		t.Fatal("Run on a taken port succeeded")
	}
}

func TestLogHandlerAddsTheRequestID(t *testing.T) {
	var b bytes.Buffer
	logger := slog.New(NewLogHandler(NewLogHandler(slog.NewJSONHandler(&b, nil)))).With("component", "scim")
	logger.InfoContext(directory.WithRequestID(context.Background(), "abc"), "hello")
	logger.Info("no context")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || strings.Count(lines[0], `"request_id":"abc"`) != 1 || strings.Contains(lines[1], "request_id") {
		t.Fatalf("log lines = %q", lines)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	mounts := []Mount{
		{"/scim/v2/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/scim+json")
			_, _ = io.WriteString(w, `{"totalResults":0}`)
		})},
		{"/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/panic" {
				panic("boom")
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
		})},
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for _, https := range []bool{false, true} {
		h := newHarness(t, mounts...)
		h.srv.cfg.HSTS = https
		for _, target := range []string{"/scim/v2/Users", "/api/v1/users", "/api/v1/panic", "/healthz", "/readyz", "/metrics", "/nowhere"} {
			t.Run(fmt.Sprintf("%s over https=%v", target, https), func(t *testing.T) {
				rec := h.do(t, http.MethodGet, target, nil, nil)
				for k, v := range want {
					if got := rec.Header().Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				hsts := rec.Header().Get("Strict-Transport-Security")
				if https && hsts != "max-age=31536000" {
					t.Errorf("Strict-Transport-Security = %q with an https public URL", hsts)
				}
				if !https && hsts != "" {
					t.Errorf("Strict-Transport-Security = %q with an http public URL", hsts)
				}
			})
		}
	}
}
