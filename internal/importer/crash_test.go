package importer

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
)

// The crash test runs a commit in a child process (this test binary run
// again) and kills it with SIGKILL at a chosen point; these variables tell
// the child what to do.
const (
	crashChildEnv = "ROSTER_TEST_IMPORT_CRASH" // the crash point
	crashDBEnv    = "ROSTER_TEST_IMPORT_CRASH_DB"
	crashOrgEnv   = "ROSTER_TEST_IMPORT_CRASH_ORG"
)

// Crash points: once the run is recorded, half way through the writes,
// and once the transaction committed but before the run's report is.
const (
	crashStarted   = "started"
	crashMidway    = "midway"
	crashCommitted = "committed"
	// crashBulk kills a bulk create (CreateUsers) half way.
	crashBulk = "bulk"
)

const crashRows = 3000

// A commit killed at any point has applied all of its file or none of it,
// and its run says which, on both stores.
func TestAKilledImportAppliesAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	csvPath := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(csvPath, generatedCSV(crashRows), 0o600); err != nil {
		t.Fatal(err)
	}
	stores := map[string]func(t *testing.T) (string, *directory.Service, *directory.Org){
		"sqlite": func(t *testing.T) (string, *directory.Service, *directory.Org) {
			path := filepath.Join(t.TempDir(), "roster.db")
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			if err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			svc, org := serviceWithOrg(t, st)
			return "sqlite:" + path, svc, org
		},
		"postgres": func(t *testing.T) (string, *directory.Service, *directory.Org) {
			if os.Getenv(pgtest.EnvURL) == "" && os.Getenv("CI") != "true" {
				t.Skipf("%s is not set", pgtest.EnvURL)
			}
			url := pgtest.NewDatabaseURL(t)
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			svc, org := serviceWithOrg(t, st)
			return url, svc, org
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, point := range []string{crashStarted, crashMidway, crashCommitted, crashBulk} {
			t.Run(name+" killed "+point, func(t *testing.T) {
				db, svc, org := stores[name](t)
				runID := runCrashChild(t, point, db, org.ID)
				if point == crashBulk {
					if n := countUsers(t, svc, org.ID); n != 0 {
						t.Fatalf("%d users after a bulk create was killed half way, want none", n)
					}
					return
				}

				run := settledRun(t, svc, org.ID, runID)
				users := countUsers(t, svc, org.ID)
				wantUsers, wantStatus := 0, directory.ImportAbandoned
				if point == crashCommitted {
					wantUsers, wantStatus = crashRows, directory.ImportCommitted
				}
				if users != wantUsers || run.Status != wantStatus {
					t.Fatalf("%d users and a %s run after a kill %s, want %d and %s", users, run.Status, point, wantUsers, wantStatus)
				}
				// The database is usable: the same file imports whole now.
				if point != crashCommitted {
					im := New(svc, nil, Config{}, nil)
					f, err := im.Open(csvPath)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					sum, id, err := im.CommitRecorded(context.Background(), testAdmin, org.ID, "users.csv", f, CommitOptions{Mode: ModeCreate})
					if err != nil || sum.Creates != crashRows {
						t.Fatalf("the import again: %+v, %v", sum, err)
					}
					if run, err := svc.GetImportRun(context.Background(), org.ID, id); err != nil || run.Status != directory.ImportCommitted {
						t.Fatalf("its run: %+v, %v", run, err)
					}
				}
			})
		}
	}
}

// runCrashChild starts the child, waits for it to reach point, kills it
// and returns the id of the run it started.
// settledRun reads the import run once the database has noticed that the
// killed child is gone. PostgreSQL releases a dead client's locks when its
// backend finds the socket closed, a moment after the kill (longer on a
// busy machine), and until then the run is rightly still running: its
// transaction holds it.
func settledRun(t *testing.T, svc *directory.Service, orgID, runID string) *directory.ImportRun {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		run, err := svc.GetImportRun(context.Background(), orgID, runID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != directory.ImportRunning || time.Now().After(deadline) {
			return run
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runCrashChild(t *testing.T, point, db, orgID string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportCrashChild$", "-test.v") // #nosec G204 -- this test binary
	cmd.Env = append(os.Environ(), crashChildEnv+"="+point, crashDBEnv+"="+db, crashOrgEnv+"="+orgID)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	runID := ""
	timeout := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timeout.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "crash-run "); ok {
			runID = id
		}
		if line == "crash-at "+point {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred call runs
				t.Fatal(err)
			}
			killed = true
			_ = cmd.Wait()
			break
		}
	}
	if !killed || (runID == "" && point != crashBulk) {
		t.Fatalf("the child never reached %s (run %q)", point, runID)
	}
	return runID
}

func countUsers(t *testing.T, svc *directory.Service, orgID string) int {
	t.Helper()
	n := 0
	q := directory.UserQuery{Limit: 1000, IncludeDeleted: true}
	for {
		page, err := svc.ListUsers(context.Background(), orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Users)
		if page.Next == "" {
			return n
		}
		q.After = page.Next
	}
}

// TestImportCrashChild is the child of TestAKilledImportAppliesAllOrNothing:
// it commits the file and stops dead at the crash point, announcing it, to
// be killed there.
func TestImportCrashChild(t *testing.T) {
	point := os.Getenv(crashChildEnv)
	if point == "" {
		t.Skip("the child of TestAKilledImportAppliesAllOrNothing")
	}
	ctx := context.Background()
	db := os.Getenv(crashDBEnv)
	var st directory.Store
	var err error
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		st, err = sqlite.Open(ctx, path)
	} else {
		st, err = postgres.Open(ctx, db)
	}
	if err != nil {
		t.Fatal(err)
	}
	if point == crashBulk {
		svc := directory.NewService(crashingStore{Store: st}, time.Now)
		var users []*directory.User
		for i := range 500 {
			users = append(users, &directory.User{UserName: fmt.Sprintf("bulk%03d@acme.com", i), Role: directory.RoleUser,
				Properties: map[string]any{"badge": "B"}})
		}
		_, err := svc.CreateUsers(ctx, testAdmin, os.Getenv(crashOrgEnv), users)
		t.Fatalf("the bulk create ended (%v) instead of stopping half way", err)
	}
	svc := directory.NewService(st, time.Now)
	im := New(&crashingDirectory{Service: svc, point: point}, nil, Config{BatchSize: 250}, nil)
	// The file of the parent, generated again.
	f := spoolBytes(t, generatedCSV(crashRows), "users.csv", DefaultLimits())
	_, _, err = im.CommitRecorded(ctx, testAdmin, os.Getenv(crashOrgEnv), "users.csv", f, CommitOptions{Mode: ModeCreate})
	t.Fatalf("the commit ended (%v) instead of stopping at %s", err, point)
}

// crashingDirectory is the service, stopping dead at a crash point.
type crashingDirectory struct {
	*directory.Service
	point string
}

func (d *crashingDirectory) stop(point string) {
	if point != d.point {
		return
	}
	fmt.Printf("crash-at %s\n", point)
	select {} // until killed
}

func (d *crashingDirectory) StartImportRun(ctx context.Context, actor directory.Actor, run *directory.ImportRun) error {
	err := d.Service.StartImportRun(ctx, actor, run)
	fmt.Printf("crash-run %s\n", run.ID)
	d.stop(crashStarted)
	return err
}

func (d *crashingDirectory) ImportAll(ctx context.Context, actor directory.Actor, run *directory.ImportRun, fn func(directory.ImportWriter) error) error {
	err := d.Service.ImportAll(ctx, actor, run, func(write directory.ImportWriter) error {
		batches := 0
		return fn(func(rows []directory.ImportRow) ([]directory.ImportResult, error) {
			res, err := write(rows)
			if batches++; batches == 5 {
				d.stop(crashMidway)
			}
			return res, err
		})
	})
	if err == nil {
		d.stop(crashCommitted)
	}
	return err
}

// crashingStore stops dead at the 250th user a transaction creates.
type crashingStore struct{ directory.Store }

func (s crashingStore) InTx(ctx context.Context, fn func(directory.Repos) error) error {
	return s.Store.InTx(ctx, func(r directory.Repos) error { return fn(crashingRepos{Repos: r}) })
}

type crashingRepos struct{ directory.Repos }

func (r crashingRepos) Users() directory.UserStore { return &crashingUsers{UserStore: r.Repos.Users()} }

var createdInTx int

type crashingUsers struct{ directory.UserStore }

func (u *crashingUsers) CreateUser(ctx context.Context, user *directory.User) error {
	if err := u.UserStore.CreateUser(ctx, user); err != nil {
		return err
	}
	if createdInTx++; createdInTx == 250 {
		fmt.Printf("crash-at %s\n", crashBulk)
		select {} // until killed
	}
	return nil
}
