package admin

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
)

// gate holds the first request for Graph's groups until released: a run
// waits there, running, with every user read.
type gate struct {
	next    http.RoundTripper
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/groups/delta") {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.reached)
			select {
			case <-g.release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
	}
	return g.next.RoundTrip(r)
}

func TestARunningRunShowsItsProgress(t *testing.T) {
	t.Parallel()
	g := &gate{reached: make(chan struct{}), release: make(chan struct{})}
	a := newConnectorEnvWith(t, func(rt http.RoundTripper) http.RoundTripper { g.next = rt; return g }, 10*time.Millisecond)
	released := false
	defer func() {
		if !released {
			close(g.release)
		}
	}()
	admin, viewer := directory.RoleOrgAdmin, directory.RoleOrgViewer
	var c engine.ConnectorView
	if code := a.call(admin, "POST", "/connectors", map[string]any{
		"name": "Contoso", "kind": "entra",
		"settings": entra.Settings{TenantID: a.graph.TenantID, ClientID: a.graph.ClientID, AuthorityURL: a.graph.URL, GraphURL: a.graph.URL},
		"secrets":  map[string]string{"clientSecret": a.graph.ClientSecret},
	}, &c); code != 201 {
		t.Fatalf("create = %d", code)
	}
	var run engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/run", nil, &run); code != 202 {
		t.Fatalf("run = %d", code)
	}
	select {
	case <-g.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the run never asked for groups")
	}

	// The run waits for Graph with its five users read: its saved
	// progress says so.
	deadline := time.Now().Add(10 * time.Second)
	var got engine.Run
	for {
		if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs/"+run.ID, nil, &got); code != 200 {
			t.Fatalf("GET run = %d", code)
		}
		if got.Progress != nil && got.Progress.Seen == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running run's progress = %+v, want 5 users seen", got.Progress)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p := got.Progress
	if got.Status != directory.RunRunning || p.Phase != engine.PhaseFetching || p.Planned != 5 || p.Applied > 5 ||
		p.Rate <= 0 || p.Percent != nil || p.UpdatedAt.IsZero() {
		t.Errorf("running run = %s with progress %+v; want fetching, 5 seen and planned, a rate, no percentage", got.Status, p)
	}
	// The runner's metrics show it, by connector.
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.h.cfg.Sync.Metrics())
	want := fmt.Sprintf(`# HELP roster_sync_run_objects Objects of the running sync run of a connector: seen in the directory, changes planned, and changes applied.
# TYPE roster_sync_run_objects gauge
roster_sync_run_objects{connector=%[1]q,stage="applied"} 0
roster_sync_run_objects{connector=%[1]q,stage="planned"} 5
roster_sync_run_objects{connector=%[1]q,stage="seen"} 5
# HELP roster_sync_run_phase 1 for the phase (fetching, planning, applying) the running sync run of a connector is at.
# TYPE roster_sync_run_phase gauge
roster_sync_run_phase{connector=%[1]q,phase="fetching"} 1
`, c.ID)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "roster_sync_run_objects", "roster_sync_run_phase"); err != nil {
		t.Errorf("metrics of the running run: %v", err)
	}

	// Another organization's admin does not see it, nor its progress.
	var e apiError
	if code := a.call("globex_admin", "GET", "/connectors/"+c.ID+"/runs/"+run.ID, nil, &e); code != 404 {
		t.Errorf("another organization's GET of the run = %d, want 404", code)
	}
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs/"+directory.NewID(), nil, &e); code != 404 {
		t.Errorf("GET of an unknown run = %d", code)
	}

	close(g.release)
	released = true
	done := a.wait(c.ID, run.ID)
	p = done.Progress
	// Five users and a group of three read; five creates, a group and its
	// three members applied.
	if done.Status != directory.RunSucceeded || p == nil || p.Phase != engine.PhaseDone || p.Seen != 6 ||
		p.Planned != 9 || p.Applied != 9 || p.Percent == nil || *p.Percent != 100 {
		t.Errorf("ended run = %s with progress %+v; want done, 6 seen, 9 planned and applied, 100%%", done.Status, p)
	}
	if n, err := testutil.GatherAndCount(reg, "roster_sync_run_objects"); err != nil || n != 0 {
		t.Errorf("an ended run left %d series (%v)", n, err)
	}
	var list runList
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs", nil, &list); code != 200 || len(list.Runs) != 1 ||
		list.Runs[0].Progress == nil || list.Runs[0].Progress.Applied != 9 {
		t.Errorf("run list = %d %+v; want the run with its progress", code, list)
	}
}
