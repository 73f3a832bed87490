package engine_test

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// The 100,000-user runs are opt-in:
//
//	ROSTER_SYNC_BENCH=1 ROSTER_TEST_POSTGRES_URL=… go test -run Bench100k -v ./sync/engine/
//
// Each syncs a directory of 100,000 users into PostgreSQL through the
// Runner, as production does (users, links and an audit event per user,
// in 500-change transactions), then reads it all again with nothing
// changed (a reconcile), then runs incrementally with 1% of the users
// changed. The directories run outside this process (slapd, and the fake
// Graph in a child process), so that the memory figures are Roster's.
// ROSTER_SYNC_BENCH_STORE=sqlite writes into SQLite instead, and
// ROSTER_SYNC_BENCH_USERS sets the size of the slapd directory.
// ROSTER_SYNC_BENCH_SYNCPROV=1 runs slapd with the syncprov overlay and a
// session log: the incremental run then reads RFC 4533 content
// synchronisation instead of modifyTimestamp and the scan of references.
// ROSTER_SYNC_BENCH_HEAP=DIR writes, for each measured run, the heap
// profile taken at its peak (DIR/<run>.heap; go tool pprof
// -sample_index=inuse_space reads it): what the run holds at its largest.
// ROSTER_SYNC_BENCH_CPU=DIR writes each measured run's CPU profile
// (DIR/<run>.cpu).
// TestBench50kGraphIntoPostgres is the same over 50,000 Entra users.
const benchUsers = 100_000

func requireBench(t *testing.T) {
	if os.Getenv("ROSTER_SYNC_BENCH") == "" {
		t.Skip("set ROSTER_SYNC_BENCH=1 to run the 100,000-user benchmarks")
	}
}

// TestMain lets the test binary play the fake Graph in a child process.
func TestMain(m *testing.M) {
	if n := os.Getenv(fakeGraphEnv); n != "" {
		os.Exit(serveFakeGraph(n))
	}
	os.Exit(m.Run())
}

// memProbe follows the process's memory during a measured run: the peak
// resident set the kernel records (VmHWM, reset at the start) and the
// largest heap seen.
type memProbe struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
	cpu      time.Duration // the process's CPU time at the start
	// alloc and mallocs are the bytes and objects allocated before the
	// start: what a run allocates varies less than its times on a busy
	// machine.
	alloc, mallocs uint64
	// heapFile, if set, receives the heap profile at the peak.
	heapFile string
	// cpuFile, if set, is the open CPU profile of the run.
	cpuFile *os.File
}

func startProbe(t *testing.T, name string) *memProbe {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets VmHWM to the current resident set.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v); it covers the whole test process", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := &memProbe{stop: make(chan struct{}), cpu: cpuTime(), alloc: ms.TotalAlloc, mallocs: ms.Mallocs}
	file := strings.NewReplacer(" ", "-", ",", "", "%", "pc").Replace(name)
	if dir := os.Getenv("ROSTER_SYNC_BENCH_HEAP"); dir != "" {
		p.heapFile = filepath.Join(dir, file+".heap")
	}
	if dir := os.Getenv("ROSTER_SYNC_BENCH_CPU"); dir != "" {
		f, err := os.Create(filepath.Join(dir, file+".cpu"))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		p.cpuFile = f
	}
	p.done.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			// A new peak by 5%: keep its profile (the profile shows
			// the heap as of the last collection).
			if p.heapFile != "" && ms.HeapInuse > p.peakHeap+p.peakHeap/20 {
				if f, err := os.Create(p.heapFile); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					_ = f.Close()
				}
			}
			p.peakHeap = max(p.peakHeap, ms.HeapInuse)
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	})
	return p
}

func (p *memProbe) end() string {
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		_ = p.cpuFile.Close()
	}
	close(p.stop)
	p.done.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("peak RSS %s, peak heap in use %d MB, CPU of this process %v, allocated %d MB in %d objects",
		procStatus("VmHWM"), p.peakHeap>>20, (cpuTime() - p.cpu).Round(10*time.Millisecond),
		(ms.TotalAlloc-p.alloc)>>20, ms.Mallocs-p.mallocs)
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func procStatus(key string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// benchEnv is a runner over a fresh PostgreSQL database, with the
// default batch size.
func benchEnv(t *testing.T, kinds ...engine.Kind) *env {
	t.Helper()
	var s directory.Store
	var err error
	if os.Getenv("ROSTER_SYNC_BENCH_STORE") == "sqlite" {
		var ls *sqlite.Store
		if ls, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db")); err == nil {
			err = ls.Migrate(t.Context())
		}
		s = ls
	} else {
		s, err = postgres.Open(t.Context(), pgtest.NewDatabaseURL(t))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := newEnv(t, s)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, _ := engine.NewSealer(key)
	parallel, _ := strconv.Atoi(os.Getenv("ROSTER_SYNC_BENCH_PARALLEL")) // 0: the default
	e.runner, err = engine.NewRunner(engine.RunnerConfig{Directory: e.dir, Sealer: sealer, Kinds: kinds, Parallel: parallel,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// measure runs the connector and logs its throughput and memory.
func measure(t *testing.T, e *env, name, connectorID string, full bool, users int) *engine.Run {
	t.Helper()
	probe := startProbe(t, name)
	start := time.Now()
	run := e.run(connectorID, func(r *engine.RunRequest) { r.Full = full })
	d := time.Since(start)
	t.Logf("%s: %v, %.0f users/s, counts %v, %s", name, d.Round(time.Millisecond), float64(users)/d.Seconds(), run.Counts, probe.end())
	return run
}

// measureUnchanged reads the whole directory again with nothing changed:
// the run must change nothing.
func measureUnchanged(t *testing.T, e *env, name, connectorID string, users int) {
	t.Helper()
	run := measure(t, e, name, connectorID, true, users)
	if run.Status != directory.RunSucceeded || len(run.Counts) != 0 {
		t.Fatalf("the unchanged full run ended %s with counts %v", run.Status, run.Counts)
	}
}

func TestBench100kSlapdIntoPostgres(t *testing.T) {
	requireBench(t)
	ldaptest.RequireSlapd(t)
	// ROSTER_SYNC_BENCH_USERS=1000000 makes it the million-user run.
	benchUsers := benchUsers
	if n, err := strconv.Atoi(os.Getenv("ROSTER_SYNC_BENCH_USERS")); err == nil && n >= 100 {
		benchUsers = n
	}
	seedStart := time.Now()
	start := ldaptest.StartSlapdFrom
	if os.Getenv("ROSTER_SYNC_BENCH_SYNCPROV") != "" {
		// The incremental run reads the changes through RFC 4533 content
		// synchronisation, the deletions from the server's session log.
		start = func(t testing.TB, write func(io.Writer) error) *ldaptest.Slapd {
			return ldaptest.StartSlapdSyncprovFrom(t, write, benchUsers)
		}
	}
	srv := start(t, func(w io.Writer) error {
		for i := range benchUsers {
			if _, err := fmt.Fprintf(w, "dn: uid=u%07d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: u%07d\n"+
				"cn: User %d\nsn: Number%d\ngivenName: User\nmail: u%07d@example.org\ntitle: Engineer\n"+
				"entryUUID: 00000000-0000-4000-8000-%012d\nmodifyTimestamp: 20200101000000Z\n\n", i, i, i, i, i, i); err != nil {
				return err
			}
		}
		return nil
	})
	t.Logf("slapadd and start of %d users: %v", benchUsers, time.Since(seedStart).Round(time.Millisecond))
	e := benchEnv(t, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
	settings, _ := json.Marshal(map[string]any{"url": srv.URL, "allowInsecure": true, "bindDn": ldaptest.BindDN,
		"userBaseDn": "ou=people," + ldaptest.BaseDN, "noGroups": true, "pageSize": 1000, "clockSkewSeconds": 0})
	c := e.connector(engine.ConnectorInput{Name: ptr("Bench LDAP"), Kind: ldap.KindLDAP, Settings: settings,
		Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}})

	full := measure(t, e, "slapd full into "+benchStore(), c.ID, false, benchUsers)
	if full.Counts["create"] != benchUsers {
		t.Fatalf("the full run created %d users", full.Counts["create"])
	}
	measureUnchanged(t, e, "slapd full again, nothing changed, into "+benchStore(), c.ID, benchUsers)

	admin := srv.Admin(t)
	for i := 0; i < benchUsers; i += 100 {
		mod := ldapv3.NewModifyRequest(fmt.Sprintf("uid=u%07d,ou=people,dc=example,dc=org", i), nil)
		mod.Replace("title", []string{"Manager"})
		if err := admin.Modify(mod); err != nil {
			t.Fatal(err)
		}
	}
	inc := measureIncremental(t, e, "slapd incremental into "+benchStore()+", 1% changed", c.ID)
	if inc.Counts["update"] != benchUsers/100 {
		t.Errorf("the incremental run updated %d users, want %d", inc.Counts["update"], benchUsers/100)
	}
}

func measureIncremental(t *testing.T, e *env, name, connectorID string) *engine.Run {
	t.Helper()
	probe := startProbe(t, name)
	start := time.Now()
	run := e.run(connectorID)
	d := time.Since(start)
	t.Logf("%s: %v, counts %v, %s", name, d.Round(time.Millisecond), run.Counts, probe.end())
	if d > 2*time.Second {
		t.Errorf("%s took %v, over the 2 s target", name, d.Round(time.Millisecond))
	}
	return run
}

func TestBench100kGraphIntoPostgres(t *testing.T) { benchGraph(t, benchUsers) }

func TestBench50kGraphIntoPostgres(t *testing.T) { benchGraph(t, benchUsers/2) }

// benchGraph syncs a fake Graph of users users, reads it all again, and
// then runs incrementally with 1% changed.
func benchGraph(t *testing.T, users int) {
	requireBench(t)
	g := startFakeGraph(t, users)
	e := benchEnv(t, entra.Kind(entra.WithHTTPClient(&http.Client{})))
	settings, _ := json.Marshal(entra.Settings{TenantID: g.tenant, ClientID: g.client, AuthorityURL: g.url, GraphURL: g.url,
		Groups: entra.GroupsNone})
	c := e.connector(engine.ConnectorInput{Name: ptr("Bench Entra"), Kind: entra.KindName, Settings: settings,
		Secrets: map[string]string{entra.SecretClientSecret: g.secret}})

	full := measure(t, e, "Graph fake full into "+benchStore(), c.ID, false, users)
	if full.Counts["create"] != users {
		t.Fatalf("the full run created %d users", full.Counts["create"])
	}
	measureUnchanged(t, e, "Graph fake full again, nothing changed, into "+benchStore(), c.ID, users)
	g.command(t, "update 100")
	inc := measureIncremental(t, e, "Graph fake incremental into "+benchStore()+", 1% changed", c.ID)
	if inc.Counts["update"] != users/100 {
		t.Errorf("the incremental run updated %d users, want %d", inc.Counts["update"], users/100)
	}
}

func benchStore() string {
	if os.Getenv("ROSTER_SYNC_BENCH_STORE") == "sqlite" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// fakeGraphEnv makes the test binary serve a fake Graph of that many users
// instead of running tests.
const fakeGraphEnv = "ROSTER_SYNC_FAKE_GRAPH_USERS"

// childGraph is a fake Graph in a child process.
type childGraph struct {
	url, tenant, client, secret string
	in                          io.Writer
	out                         *bufio.Scanner
}

func startFakeGraph(t *testing.T, users int) *childGraph {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fakeGraphEnv+"="+strconv.Itoa(users))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	g := &childGraph{in: in, out: bufio.NewScanner(out)}
	if !g.out.Scan() {
		t.Fatalf("the fake Graph did not start: %v", g.out.Err())
	}
	if _, err := fmt.Sscan(g.out.Text(), &g.url, &g.tenant, &g.client, &g.secret); err != nil {
		t.Fatalf("the fake Graph said %q: %v", g.out.Text(), err)
	}
	return g
}

// command sends the child a command and waits for its "ok".
func (g *childGraph) command(t *testing.T, cmd string) {
	t.Helper()
	fmt.Fprintln(g.in, cmd)
	if !g.out.Scan() || g.out.Text() != "ok" {
		t.Fatalf("the fake Graph answered %q to %q", g.out.Text(), cmd)
	}
}

// serveFakeGraph runs in the child: it serves users, prints where, and
// obeys "update N" (change every Nth user's title) until stdin closes.
func serveFakeGraph(n string) int {
	users, err := strconv.Atoi(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	g := entratest.New()
	defer g.Close()
	g.PageSize = 500
	for i := range users {
		g.PutUser(entratest.User{ID: entratest.ID(i), UserPrincipalName: fmt.Sprintf("u%06d@contoso.test", i),
			Mail: fmt.Sprintf("u%06d@contoso.test", i), GivenName: "User", Surname: fmt.Sprintf("Number%d", i),
			DisplayName: fmt.Sprintf("User %d", i), JobTitle: "Engineer", AccountEnabled: true})
	}
	fmt.Println(g.URL, g.TenantID, g.ClientID, g.ClientSecret)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var every int
		if _, err := fmt.Sscanf(in.Text(), "update %d", &every); err != nil || every < 1 {
			fmt.Println("bad command")
			continue
		}
		for i := 0; i < users; i += every {
			g.UpdateUser(entratest.ID(i), func(u *entratest.User) { u.JobTitle = "Manager" })
		}
		fmt.Println("ok")
	}
	return 0
}
