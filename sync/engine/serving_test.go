package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// servingEnv is an SQLite Roster with an Entra connector kind over a fake
// Graph tenant of five users, and the runner serving background runs.
type servingEnv struct {
	*env
	graph *entratest.Server
}

func newServingEnv(t *testing.T) *servingEnv {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	g := graphTenant(t, 5)
	e := newEnv(t, s, entra.Kind(entra.WithHTTPClient(g.Client())))
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Runner.Run: %v", err)
		}
	})
	// The runner must be serving before the first background run.
	for !e.runnerServing() {
		time.Sleep(time.Millisecond)
	}
	return &servingEnv{env: e, graph: g}
}

// runnerServing reports whether Runner.Run has started, by asking for a
// background run of a connector that does not exist.
func (e *env) runnerServing() bool {
	_, err := e.runner.Start(e.ctx, engine.RunRequest{OrgID: e.org.ID, ConnectorID: "none", Trigger: directory.TriggerManual})
	return directory.IsCode(err, directory.CodeNotFound)
}
