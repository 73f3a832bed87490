package engine

import (
	"sort"
	"sync"

	"github.com/roster/roster/internal/directory"
)

// activeRuns are the runs a runner is running, with their progress, for
// the metrics.
type activeRuns struct {
	mu   sync.Mutex
	runs map[string]*ActiveRun
}

// ActiveRun is a run this runner is running.
type ActiveRun struct {
	RunID       string
	OrgID       string
	ConnectorID string
	progress    *Progress
}

// Progress returns how far the run got.
func (a *ActiveRun) Progress() RunProgress { return a.progress.Snapshot() }

func (a *activeRuns) add(run *directory.SyncRun, p *Progress) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runs == nil {
		a.runs = map[string]*ActiveRun{}
	}
	a.runs[run.ID] = &ActiveRun{RunID: run.ID, OrgID: run.OrgID, ConnectorID: run.ConnectorID, progress: p}
}

func (a *activeRuns) remove(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.runs, id)
}

// Active lists the runs this runner is running (not those of other
// replicas), by run id.
func (r *Runner) Active() []*ActiveRun {
	r.active.mu.Lock()
	out := make([]*ActiveRun, 0, len(r.active.runs))
	for _, a := range r.active.runs {
		out = append(out, a)
	}
	r.active.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].RunID < out[j].RunID })
	return out
}
