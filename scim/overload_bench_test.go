package scim_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/server"
)

// BenchmarkSCIMOverload drives the SCIM endpoint, behind the server's
// back-pressure (http.max_in_flight, http.queue_timeout), at four times
// the rate it sustains, on 10,000 users: first a closed loop of 8 clients
// measures the sustainable rate, then requests arrive at four times it
// whatever the answers. It reports the throughput of the requests served
// against the sustainable rate, their p99, and how many were shed (503
// with Retry-After). ROSTER_BENCH_MAX_IN_FLIGHT sets the in-flight bound
// (default 32), ROSTER_BENCH_SECONDS each phase's length (default 5).
//
//	ROSTER_BENCH_OVERLOAD=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench SCIMOverload -benchtime 1x ./scim
func BenchmarkSCIMOverload(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_OVERLOAD") == "" {
		b.Skip("set ROSTER_BENCH_OVERLOAD=1 to drive SCIM past its sustainable rate")
	}
	maxInFlight, seconds := 32, 5
	for name, dst := range map[string]*int{"ROSTER_BENCH_MAX_IN_FLIGHT": &maxInFlight, "ROSTER_BENCH_SECONDS": &seconds} {
		if s := os.Getenv(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: a positive number", name, s)
			}
			*dst = n
		}
	}
	forEachBenchStore(b, func(b *testing.B, st directory.Store, db bulkDB) {
		benchOverload(b, st, db, maxInFlight, time.Duration(seconds)*time.Second)
	})
}

func benchOverload(b *testing.B, st directory.Store, db bulkDB, maxInFlight int, phase time.Duration) {
	const n = 10_000
	e := newEnv(b, st)
	seedBulk(b, e, db, n, nil)
	srv, err := server.New(server.Config{
		Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Store: pingable{}, Mounts: []server.Mount{{Pattern: "/scim/v2/", Handler: e.h}},
		MaxBodyBytes: 1 << 20, ShutdownTimeout: time.Second,
		MaxInFlight: maxInFlight, QueueTimeout: server.DefaultQueueTimeout,
	})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	var seq atomic.Int64
	// one sends a GET or a PATCH of a random user and returns its status,
	// its Retry-After and its time.
	one := func() (int, string, time.Duration) {
		k := seq.Add(1)
		id := benchUserID(1 + rand.IntN(n)) //nolint:gosec // a benchmark's choice of user
		var req *http.Request
		if k%2 == 0 {
			req = httptest.NewRequest(http.MethodGet, "/scim/v2/Users/"+id, nil)
		} else {
			req = httptest.NewRequest(http.MethodPatch, "/scim/v2/Users/"+id,
				strings.NewReader(patchOp(fmt.Sprintf(`{"op":"replace","path":"displayName","value":"Patched %d"}`, k))))
			req.Header.Set("Content-Type", "application/scim+json")
		}
		req.Header.Set("Authorization", "Bearer "+e.token)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Retry-After"), time.Since(t0)
	}

	// The sustainable rate: 8 clients, each sending its next request once
	// its last is answered.
	var mu sync.Mutex
	var closed []time.Duration
	deadline := time.Now().Add(phase)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				code, _, d := one()
				if code != http.StatusOK {
					b.Errorf("closed loop: status %d", code)
					return
				}
				mu.Lock()
				closed = append(closed, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rate := float64(len(closed)) / phase.Seconds()

	// Four times that rate, arriving on schedule whatever the answers.
	offered := 4 * rate
	var served []time.Duration
	var shed, other atomic.Int64
	start := time.Now()
	interval := time.Duration(float64(time.Second) / offered)
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= phase {
			break
		}
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, retry, d := one()
			switch {
			case code == http.StatusOK:
				mu.Lock()
				served = append(served, d)
				mu.Unlock()
			case (code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests) && retry != "":
				shed.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if other.Load() > 0 {
		b.Errorf("%d requests answered neither 200 nor 503/429 with Retry-After", other.Load())
	}
	p99 := func(lat []time.Duration) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		slices.Sort(lat)
		return lat[min(len(lat)-1, len(lat)*99/100)]
	}
	servedRate := float64(len(served)) / elapsed.Seconds()
	b.ReportMetric(rate, "sustained-req/s")
	b.ReportMetric(servedRate, "served-at-4x-req/s")
	b.ReportMetric(ms(p99(served)), "served-at-4x-p99-ms")
	b.ReportMetric(float64(shed.Load()), "shed")
	fmt.Printf("%s: max_in_flight %d: sustained %.0f req/s (p99 %.1f ms); offered %.0f req/s: served %.0f req/s (%.0f%% of sustained, p99 %.1f ms), shed %d with Retry-After\n",
		b.Name(), maxInFlight, rate, ms(p99(closed)), offered, servedRate, 100*servedRate/rate, ms(p99(served)), shed.Load())
}

// pingable is the server's readiness probe's store: always ready.
type pingable struct{}

func (pingable) Ping(_ context.Context) error { return nil }
