package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A server at its in-flight bound answers 503 with Retry-After once the
// queue timeout passes, in the error format of the API asked; probes and
// metrics still answer; once a slot frees, requests are served again.
func TestOverloadIsShedWithRetryAfter(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered.Done()
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	reg := prometheus.NewRegistry()
	srv, err := New(Config{
		Addr:            "127.0.0.1:0",
		Logger:          slog.New(slog.DiscardHandler),
		Registry:        reg,
		Store:           &fakeStore{},
		Mounts:          []Mount{{Pattern: "/scim/v2/", Handler: slow}, {Pattern: "/api/v1/", Handler: slow}},
		MaxInFlight:     2,
		MaxBodyBytes:    1 << 10,
		ShutdownTimeout: time.Second,
		QueueTimeout:    200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	do := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	var busy sync.WaitGroup
	for range 2 {
		busy.Add(1)
		go func() { defer busy.Done(); do("/scim/v2/Users") }()
	}
	entered.Wait()

	start := time.Now()
	rec := do("/scim/v2/Users")
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("shed after %v, before the queue timeout", waited)
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("SCIM past the bound: %d, Retry-After %q; want 503 with Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	var scimErr struct {
		Schemas []string `json:"schemas"`
		Status  string   `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &scimErr); err != nil || scimErr.Status != "503" ||
		len(scimErr.Schemas) != 1 || scimErr.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("SCIM 503 body %q is not a SCIM error (%v)", rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("SCIM 503 Content-Type %q", ct)
	}

	rec = do("/api/v1/users")
	var apiErr struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &apiErr); rec.Code != http.StatusServiceUnavailable || err != nil || apiErr.Error.Code != "overloaded" {
		t.Errorf("API past the bound: %d %q", rec.Code, rec.Body)
	}
	for _, probe := range []string{"/healthz", "/readyz", "/metrics"} {
		if rec := do(probe); rec.Code != http.StatusOK {
			t.Errorf("%s while overloaded: %d, want 200", probe, rec.Code)
		}
	}
	if n := shedCount(t, reg); n != 2 {
		t.Errorf("roster_http_requests_shed_total = %v, want 2", n)
	}

	// A request that waits while a slot frees is served, not shed.
	done := make(chan int, 1)
	go func() { done <- do("/scim/v2/Users").Code }()
	time.Sleep(5 * time.Millisecond)
	entered.Add(1)
	close(release)
	if code := <-done; code != http.StatusNoContent {
		t.Errorf("a request queued while a slot freed: %d, want 204", code)
	}
	busy.Wait()
}

func shedCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "roster_http_requests_shed_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("roster_http_requests_shed_total is not exported")
	return 0
}

func TestNoBoundWhenNegative(t *testing.T) {
	srv, err := New(Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Store: &fakeStore{}, MaxBodyBytes: 1 << 10, ShutdownTimeout: time.Second, MaxInFlight: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "overloaded") {
		t.Errorf("unbounded server: %d %q", rec.Code, rec.Body)
	}
}
