package loadtest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/scim"
	"github.com/roster/roster/scim/loadtest"
)

// TestLoadAndFault sends mixed SCIM traffic to Roster over a PostgreSQL
// cluster of its own, restarts that cluster once in the middle, and checks
// that every user Roster answered 201 for is there afterwards. It starts
// the cluster with the initdb and pg_ctl of the machine's PostgreSQL (as
// the postgres user when run as root), never touching another cluster.
//
//	ROSTER_LOADTEST_FAULT=1 go test ./scim/loadtest -run TestLoadAndFault -v
//
// ROSTER_LOADTEST_DURATION (default 30s) and ROSTER_LOADTEST_RATE (requests
// per second, default 100) set the traffic; the restart comes at a third
// of the duration.
func TestLoadAndFault(t *testing.T) {
	if os.Getenv("ROSTER_LOADTEST_FAULT") == "" {
		t.Skip("set ROSTER_LOADTEST_FAULT=1 to run the load-and-fault test (it starts its own PostgreSQL)")
	}
	duration := envDuration(t, "ROSTER_LOADTEST_DURATION", 30*time.Second)
	rate := envFloat(t, "ROSTER_LOADTEST_RATE", 100)

	pg := startCluster(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := directory.NewService(st, nil)
	operator := directory.Actor{Kind: directory.ActorOperator, Name: "loadtest"}
	org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "loadtest", Name: "Load test",
		Domains: []directory.Domain{{Name: "loadtest.example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateToken(ctx, operator, org.ID, "loadtest")
	if err != nil {
		t.Fatal(err)
	}
	h, err := scim.NewHandler(scim.Config{Service: svc, BaseURL: "http://roster.test/scim/v2",
		HashPassword: func(p string) (string, error) { return "hashed:" + p, nil }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	rep, err := loadtest.RunMixed(ctx, loadtest.MixedOptions{
		URL: srv.URL + "/scim/v2", Token: token, Rate: rate, Duration: duration, Concurrency: 32,
		FaultAt: duration / 3, Fault: pg.restart,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Write(&out)
	t.Logf("load and fault, %s at %.0f/s, PostgreSQL restarted once:\n%s", duration, rate, out.String())

	if rep.FaultErr != nil || rep.FaultTook == 0 {
		t.Fatalf("the restart did not happen: %v", rep.FaultErr)
	}
	if len(rep.Missing) > 0 {
		t.Errorf("%d acknowledged users are missing: %v", len(rep.Missing), rep.Missing)
	}
	if rep.Acknowledged == 0 || rep.Requests < int64(float64(duration/time.Second)*rate/2) {
		t.Errorf("too little traffic: %d requests, %d users", rep.Requests, rep.Acknowledged)
	}
	if rep.Before > 0 {
		t.Errorf("%d requests failed before the restart", rep.Before)
	}
	// Roster is back once PostgreSQL is: a failure long after the restart
	// is one it did not recover from.
	if rep.LastErrorAfter > 5*time.Second {
		t.Errorf("requests still failed %s after the restart", rep.LastErrorAfter)
	}
}

// cluster is a throwaway PostgreSQL cluster.
type cluster struct {
	t        *testing.T
	bin, dir string
	port     int
	url      string
	asUser   string // run the binaries as this user ("" for the current one)
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql")
	}
	c := &cluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "roster-loadtest-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 { // initdb refuses root
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user to run initdb as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	c.pg("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync")
	c.pg("pg_ctl", "-D", c.data(), "-o", c.options(), "-l", filepath.Join(dir, "log"), "-w", "start")
	t.Cleanup(func() {
		_ = c.cmd(context.Background(), "pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").Run()
	})
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) options() string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on", c.port, c.dir)
}

// restart stops the cluster (fast: clients are disconnected) and starts
// it again, as an operator's restart or a failover would.
func (c *cluster) restart(ctx context.Context) error {
	out, err := c.cmd(ctx, "pg_ctl", "-D", c.data(), "-o", c.options(), "-l", filepath.Join(c.dir, "log"), "-m", "fast", "-w", "restart").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl restart: %w: %s", err, out)
	}
	return nil
}

func (c *cluster) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", path}, args...)...) // #nosec G204 -- the test's own cluster
	}
	return exec.CommandContext(ctx, path, args...) // #nosec G204 -- the test's own cluster
}

func (c *cluster) pg(name string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(context.Background(), name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q is not a duration", name, v)
	}
	return d
}

func envFloat(t *testing.T, name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		t.Fatalf("%s=%q is not a positive number", name, v)
	}
	return f
}
