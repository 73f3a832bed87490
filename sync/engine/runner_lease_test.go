package engine_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
)

// gate holds every fetch of the connectors it wraps until released, so
// that a test can act while a run is in progress.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 8), release: make(chan struct{})} }

// wrap returns kind with its connectors held at the gate.
func (g *gate) wrap(kind engine.Kind) engine.Kind {
	inner := kind.New
	kind.New = func(settings json.RawMessage, m engine.Mapping, secrets map[string]string) (engine.Connector, error) {
		c, err := inner(settings, m, secrets)
		if err != nil {
			return nil, err
		}
		return gatedConnector{Connector: c, g: g}, nil
	}
	return kind
}

type gatedConnector struct {
	engine.Connector
	g *gate
}

func (c gatedConnector) Fetch(ctx context.Context, req engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	c.g.entered <- struct{}{}
	select {
	case <-c.g.release:
	case <-ctx.Done():
		return engine.FetchResult{}, ctx.Err()
	}
	return c.Connector.Fetch(ctx, req, emit)
}

// replica is a second runner on the same store and key, as another Roster
// process would have.
func replica(t *testing.T, e *env, kind engine.Kind, lease time.Duration) *engine.Runner {
	t.Helper()
	return runnerOn(t, e, directory.NewService(e.store, nil), kind, lease)
}

// runnerOn is a runner with e's key over dir, with one connector kind.
func runnerOn(t *testing.T, e *env, dir engine.Directory, kind engine.Kind, lease time.Duration) *engine.Runner {
	t.Helper()
	sealer, err := engine.NewSealer(e.key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := engine.NewRunner(engine.RunnerConfig{Directory: dir, Sealer: sealer,
		Kinds: []engine.Kind{kind}, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})), Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOneRunPerConnectorAtATime(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 3)
		held := newGate()
		kind := held.wrap(entra.Kind(entra.WithHTTPClient(g.Client())))
		e := newEnv(t, store, kind)
		c := entraConnector(e, g, directory.DeprovisionSuspend)

		type result struct {
			run *engine.Run
			err error
		}
		first := make(chan result, 1)
		go func() {
			run, err := e.runner.RunConnector(e.ctx, e.org.ID, c.ID, "manual", false)
			first <- result{run, err}
		}()
		<-held.entered

		_, err := e.runner.RunConnector(e.ctx, e.org.ID, c.ID, "schedule", false)
		if !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(err.Error(), "already running") {
			t.Errorf("a second run on the same runner: %v, want 'already running'", err)
		}
		other := replica(t, e, kind, 0)
		_, err = other.RunConnector(e.ctx, e.org.ID, c.ID, "schedule", true)
		if !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(err.Error(), "already running") {
			t.Errorf("a run on another replica: %v, want 'already running'", err)
		}
		if err := e.runner.DeleteConnector(e.ctx, e.admin, e.org.ID, c.ID); !directory.IsCode(err, directory.CodeConflict) {
			t.Errorf("deleting a running connector: %v, want a conflict", err)
		}

		close(held.release)
		res := <-first
		if res.err != nil || res.run.Status != directory.RunSucceeded || res.run.Counts["create"] != 3 {
			t.Fatalf("the first run = %+v, %v", res.run, res.err)
		}
		// Free again: the next run goes ahead.
		if run, err := e.runner.RunConnector(e.ctx, e.org.ID, c.ID, "manual", false); err != nil || run.Status != directory.RunSucceeded {
			t.Errorf("a run after the first ended = %+v, %v", run, err)
		}
	})
}

func TestAnAbandonedRunIsTakenOver(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 2)
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		c := entraConnector(e, g, directory.DeprovisionSuspend)
		// A replica started a run and died: its lease runs out.
		dead := &directory.SyncRun{OrgID: e.org.ID, ConnectorID: c.ID, Trigger: directory.TriggerSchedule}
		if err := e.dir.StartSyncRun(e.ctx, directory.Actor{}, dead, e.dir.Now().Add(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)

		run := e.run(c.ID)

		if run.Status != directory.RunSucceeded {
			t.Errorf("the run after the dead one = %s", run.Status)
		}
		got, err := e.runner.GetRun(e.ctx, e.org.ID, dead.ID)
		if err != nil || got.Status != directory.RunFailed || !strings.Contains(got.Message, "abandoned") {
			t.Errorf("the dead run = %+v, %v; want it failed as abandoned", got, err)
		}
	})
}

func TestARunThatLosesItsLeaseStops(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 2)
		held := newGate()
		kind := held.wrap(entra.Kind(entra.WithHTTPClient(g.Client())))
		e := newEnv(t, store, kind)
		c := entraConnector(e, g, directory.DeprovisionSuspend)
		r := replica(t, e, kind, 300*time.Millisecond)

		done := make(chan error, 1)
		var run *engine.Run
		go func() {
			var err error
			run, err = r.RunConnector(e.ctx, e.org.ID, c.ID, "manual", false)
			done <- err
		}()
		<-held.entered
		// Another run takes the connector, as if this one had stalled past
		// its lease.
		runs, err := e.runner.Runs(e.ctx, e.org.ID, c.ID, "", 1)
		if err != nil || len(runs) != 1 || runs[0].Status != directory.RunRunning {
			t.Fatalf("Runs = %+v, %v; want the run in progress", runs, err)
		}
		holder := runs[0].ID
		if _, err := store.Connectors().ReleaseLease(e.ctx, e.org.ID, c.ID, holder, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.Connectors().TakeLease(e.ctx, e.org.ID, c.ID, "usurper", e.dir.Now(), e.dir.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			close(held.release)
			t.Fatal("the run did not notice it lost its lease")
		}
		if err == nil || run.Status != directory.RunFailed || !strings.Contains(run.Message, "lease") {
			t.Errorf("run = %+v, %v; want it failed for its lost lease", run, err)
		}
		if users := e.users(); len(users) != 0 {
			t.Errorf("a run that lost its lease wrote users: %v", users)
		}
	})
}

// finishWatch is a runner's directory that notes, as each run's end is
// recorded, which runs the runner still reports as running.
type finishWatch struct {
	engine.Directory
	runner  *engine.Runner
	running [][]string // run ids, one list per recorded end
}

func (w *finishWatch) FinishSyncRun(ctx context.Context, run *directory.SyncRun, cursor *string) error {
	var ids []string
	for _, a := range w.runner.Active() {
		ids = append(ids, a.RunID)
	}
	w.running = append(w.running, ids)
	return w.Directory.FinishSyncRun(ctx, run, cursor)
}

// A run leaves the runner's active runs (and so /metrics) before its end
// is recorded: whoever reads the run ended does not find it running.
func TestARunIsNoLongerActiveOnceItsEndIsRecorded(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 2)
		kind := entra.Kind(entra.WithHTTPClient(g.Client()))
		e := newEnv(t, store, kind)
		c := entraConnector(e, g, directory.DeprovisionSuspend)
		watch := &finishWatch{Directory: e.dir}
		watch.runner = runnerOn(t, e, watch, kind, 0)
		run, err := watch.runner.RunConnector(e.ctx, e.org.ID, c.ID, "manual", false)
		if err != nil || run.Status != directory.RunSucceeded {
			t.Fatalf("run = %+v, %v", run, err)
		}
		if len(watch.running) != 1 || len(watch.running[0]) != 0 {
			t.Errorf("runs reported running as the end was recorded: %v, want none", watch.running)
		}
	})
}
