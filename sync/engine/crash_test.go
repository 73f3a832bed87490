package engine_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
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
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// The crash test runs a connector in a child process (this test binary
// run again) and kills it with SIGKILL while it applies; these variables
// tell the child what to run.
const (
	syncCrashEnv = "ROSTER_TEST_SYNC_CRASH" // "<db> <org> <connector> <key hex>"
	// syncCrashLease is the child's lease: the next run takes the
	// connector over that long after the kill.
	syncCrashLease = 1500 * time.Millisecond
)

// A run killed while it writes leaves whole batches (each one
// transaction, with its links), and the next run finishes the job: no
// user twice, none without its link.
func TestAKilledRunIsFinishedByTheNext(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ldaptest.RequireSlapd(t)
	stores := map[string]func(t *testing.T) (string, directory.Store){
		"sqlite": func(t *testing.T) (string, directory.Store) {
			path := filepath.Join(t.TempDir(), "roster.db")
			st, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return "sqlite:" + path, st
		},
		"postgres": func(t *testing.T) (string, directory.Store) {
			url := pgtest.NewDatabaseURL(t)
			st, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return url, st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db, store := stores[name](t)
			srv := ldaptest.StartSlapd(t, slapdSeed())
			e := newEnv(t, store, ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))...)
			c := e.connector(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
				Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}})

			killSyncChild(t, fmt.Sprintf("%s %s %s %s", db, e.org.ID, c.ID, hex.EncodeToString(e.key)))

			users, links := len(e.users()), e.linkCount(c.ID)
			if users%3 != 0 || users == 0 || users == 10 || links != users {
				t.Fatalf("after the kill: %d users and %d links, want whole batches of 3, each user linked", users, links)
			}
			time.Sleep(syncCrashLease)
			run := e.run(c.ID)
			if run.Counts["create"] != 10-users || len(e.users()) != 10 || e.linkCount(c.ID) != 10 {
				t.Errorf("the next run: counts %v, %d users, %d links; want the %d left created", run.Counts, len(e.users()), e.linkCount(c.ID), 10-users)
			}
			runs, err := e.runner.Runs(e.ctx, e.org.ID, c.ID, "", 10)
			if err != nil || len(runs) != 2 || runs[1].Status != directory.RunFailed || !strings.Contains(runs[1].Message, "abandoned") {
				t.Errorf("history = %+v, %v; want the killed run recorded as abandoned", runs, err)
			}
			if members := e.members("engineering"); strings.Join(members, " ") != "u0@example.org u1@example.org" {
				t.Errorf("engineering = %v", members)
			}
			wantCounts(t, "a full run after", e.run(c.ID, func(r *engine.RunRequest) { r.Full = true }), nil)
		})
	}
}

// linkCount counts the connector's user links.
func (e *env) linkCount(connectorID string) int {
	e.t.Helper()
	n := 0
	if err := e.dir.ListSyncUserLinks(e.ctx, e.org.ID, connectorID, func(*directory.SyncLink) error { n++; return nil }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// killSyncChild starts the child, waits until it is writing its second
// batch, and kills it.
func killSyncChild(t *testing.T, spec string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSyncCrashChild$", "-test.v") // #nosec G204 -- this test binary
	cmd.Env = append(os.Environ(), syncCrashEnv+"="+spec)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timeout := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer timeout.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "crash-at applying" {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: nothing else runs
				t.Fatal(err)
			}
			_ = cmd.Wait()
			return
		}
	}
	_ = cmd.Wait()
	t.Fatal("the child never reached its second batch")
}

// crashingTarget announces its second batch as it starts writing it, so
// that the parent kills the process with the transaction in flight.
type crashingTarget struct {
	*directory.Service
	batches int
}

func (c *crashingTarget) ApplySyncUsers(ctx context.Context, scope directory.SyncScope, changes []directory.SyncUserChange) ([]directory.SyncUserResult, error) {
	c.batches++
	if c.batches == 2 {
		done := make(chan struct{})
		go func() {
			_, _ = c.Service.ApplySyncUsers(ctx, scope, changes)
			close(done)
		}()
		fmt.Println("crash-at applying")
		<-done
		select {} // wait for the kill
	}
	return c.Service.ApplySyncUsers(ctx, scope, changes)
}

// TestSyncCrashChild is the child of TestAKilledRunIsFinishedByTheNext.
func TestSyncCrashChild(t *testing.T) {
	spec := os.Getenv(syncCrashEnv)
	if spec == "" {
		t.Skip("the child of TestAKilledRunIsFinishedByTheNext")
	}
	var db, orgID, connectorID, keyHex string
	if _, err := fmt.Sscan(spec, &db, &orgID, &connectorID, &keyHex); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
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
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := engine.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := engine.NewRunner(engine.RunnerConfig{Directory: &crashingTarget{Service: directory.NewService(st, nil)},
		Sealer: sealer, Kinds: ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback())), Logger: slog.New(slog.DiscardHandler),
		BatchSize: 3, Parallel: 1, Lease: syncCrashLease})
	if err != nil {
		t.Fatal(err)
	}
	_, err = runner.RunConnector(ctx, orgID, connectorID, "manual", false)
	t.Fatalf("the run ended (%v) instead of being killed", err)
}
