package loadtest_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/gcpolicy"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/scim"
	"github.com/roster/roster/scim/loadtest"
)

// serve starts the SCIM endpoint over store on a real listener and returns
// its base URL and a token.
func serve(t *testing.T, store directory.Store) (string, string) {
	t.Helper()
	ctx := context.Background()
	svc := directory.NewService(store, nil)
	operator := directory.Actor{Kind: directory.ActorOperator, Name: "loadtest"}
	org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "load", Name: "Load"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateToken(ctx, operator, org.ID, "load")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	h, err := scim.NewHandler(scim.Config{Service: svc, BaseURL: "http://" + srv.Listener.Addr().String() + "/scim/v2"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2", token
}

func TestRun(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	url, token := serve(t, store)
	var out bytes.Buffer
	if err := loadtest.Run(t.Context(), loadtest.Options{URL: url, Token: token, N: 150, Concurrency: 4}, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	for _, phase := range []string{"create", "lookup", "get", "patch", "put", "list", "list (cursor)", "add member", "delete"} {
		if !strings.Contains(out.String(), phase) {
			t.Errorf("the report has no %s phase:\n%s", phase, out.String())
		}
	}
	if err := loadtest.Run(t.Context(), loadtest.Options{URL: url, Token: "wrong", N: 1, Concurrency: 1}, &out); err == nil {
		t.Error("Run with a bad token succeeded")
	}
}

// TestLoadPostgres measures the endpoint against PostgreSQL with 16
// clients, when asked to:
//
//	ROSTER_SCIM_LOAD_N=20000 ROSTER_TEST_POSTGRES_URL=postgres://... go test -run TestLoadPostgres -v ./scim/loadtest
//
// ROSTER_SCIM_LOAD_PG_PARAMS appends connection parameters for experiments,
// e.g. "&synchronous_commit=off" or "&pool_max_conns=8".
func TestLoadPostgres(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROSTER_SCIM_LOAD_N"))
	if n <= 0 {
		t.Skip("set ROSTER_SCIM_LOAD_N to run the load test")
	}
	applyGCPolicy(t)
	// The pool is the store's default (see postgres.Open), as serve has
	// it, unless the parameters set pool_max_conns.
	params := os.Getenv("ROSTER_SCIM_LOAD_PG_PARAMS")
	store, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t)+params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	url, token := serve(t, store)
	runLoad(t, url, token, n)
}

// applyGCPolicy runs the server with the collector settings roster's main
// sets, and puts Go's defaults back when t ends.
func applyGCPolicy(t *testing.T) {
	if gcpolicy.Apply(os.Getenv) {
		t.Cleanup(func() {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
		})
	}
}

// TestLoadSQLite is TestLoadPostgres on the embedded store, when asked to:
//
//	ROSTER_SCIM_LOAD_N=5000 go test -run TestLoadSQLite -v ./scim/loadtest
func TestLoadSQLite(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROSTER_SCIM_LOAD_N"))
	if n <= 0 {
		t.Skip("set ROSTER_SCIM_LOAD_N to run the load test")
	}
	applyGCPolicy(t)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	url, token := serve(t, store)
	runLoad(t, url, token, n)
}

// runLoad runs the load test with 16 clients and reports the process's
// peak resident memory (server and clients together). With
// ROSTER_SCIM_LOAD_PROFILE=prefix it writes a CPU profile of the run to
// prefix.cpu.pprof and the allocations since the start to
// prefix.allocs.pprof, for go tool pprof.
func runLoad(t *testing.T, url, token string, n int) {
	if prefix := os.Getenv("ROSTER_SCIM_LOAD_PROFILE"); prefix != "" {
		runtime.MemProfileRate = 64 * 1024
		f, err := os.Create(prefix + ".cpu.pprof")
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
			a, err := os.Create(prefix + ".allocs.pprof")
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := pprof.Lookup("allocs").WriteTo(a, 0); err != nil {
				t.Fatal(err)
			}
		}()
	}
	if err := loadtest.Run(t.Context(), loadtest.Options{URL: url, Token: token, N: n, Concurrency: 16}, os.Stdout); err != nil {
		t.Fatal(err)
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(status)) {
			if strings.HasPrefix(line, "VmHWM:") {
				fmt.Printf("peak RSS (server and clients): %s", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))+"\n")
			}
		}
	}
}
