package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// watchedConnector notes the run's progress before each entry it emits.
type watchedConnector struct {
	engine.Connector
	progress *engine.Progress
	seen     []engine.RunProgress
}

func (c *watchedConnector) Fetch(ctx context.Context, req engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	return c.Connector.Fetch(ctx, req, func(e engine.Entry) error {
		c.seen = append(c.seen, c.progress.Snapshot())
		return emit(e)
	})
}

// watchedTarget notes the run's progress at each batch of user changes.
type watchedTarget struct {
	*fakeTarget
	progress *engine.Progress
	mu       sync.Mutex
	applying []engine.RunProgress
}

func (t *watchedTarget) ApplySyncUsers(ctx context.Context, scope directory.SyncScope, changes []directory.SyncUserChange) ([]directory.SyncUserResult, error) {
	t.mu.Lock()
	t.applying = append(t.applying, t.progress.Snapshot())
	t.mu.Unlock()
	return t.fakeTarget.ApplySyncUsers(ctx, scope, changes)
}

// progressRun runs entries through the engine, watching its progress.
func progressRun(t *testing.T, fake *fakeTarget, entries []engine.Entry) (*engine.Progress, *watchedConnector, *watchedTarget, *engine.RunProgress) {
	t.Helper()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	progress := engine.NewProgress(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(100 * time.Millisecond)
		return clock
	})
	conn := &watchedConnector{Connector: &fakeConnector{entries: entries, full: true}, progress: progress}
	target := &watchedTarget{fakeTarget: fake, progress: progress}
	var planned *engine.RunProgress
	job := engine.Job{Scope: scope, Connector: conn, Policy: engine.Policy{Deprovision: engine.DeprovisionSuspend, Threshold: 0.5},
		Progress: progress, Planned: func(*engine.Report) error {
			p := progress.Snapshot()
			planned = &p
			return nil
		}}
	if _, err := engine.NewEngine(target, 2, 1).Run(context.Background(), job); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return progress, conn, target, planned
}

func TestProgressMovesThroughThePhasesWithItsCounts(t *testing.T) {
	fake := newFakeTarget()
	dir := append(users(5), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2"))

	// A first run applies while it reads: 5 creates, a group and its 2
	// members.
	progress, conn, _, _ := progressRun(t, fake, dir)
	for i, p := range conn.seen {
		if p.Phase != engine.PhaseFetching || p.Seen != int64(i) {
			t.Errorf("before entry %d: phase %s, seen %d; want fetching, %d", i, p.Phase, p.Seen, i)
		}
	}
	if p := conn.seen[len(conn.seen)-1]; p.Rate <= 0 || p.Percent != nil {
		t.Errorf("while fetching: rate %v, percent %v; want a rate and no percentage", p.Rate, p.Percent)
	}
	end := progress.Snapshot()
	if end.Phase != engine.PhaseDone || end.Seen != 6 || end.Planned != 8 || end.Applied != 8 || end.Percent == nil || *end.Percent != 100 {
		t.Errorf("first run ended at %+v; want done, 6 seen, 8 planned and applied, 100%%", end)
	}

	// The next run plans first: 2 updates and a suspension (ref-5 left).
	next := users(4)
	next[0].User.Attrs[directory.UserTitle] = "Manager"
	next[1].User.Attrs[directory.UserTitle] = "Manager"
	next = append(next, dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2"))
	progress, conn, target, planned := progressRun(t, fake, next)
	if last := conn.seen[len(conn.seen)-1]; last.Phase != engine.PhaseFetching || last.Seen != 4 || last.Planned != 0 {
		t.Errorf("before the last entry: %+v; want fetching, 4 seen, nothing planned", last)
	}
	if planned == nil || planned.Phase != engine.PhasePlanning || planned.Seen != 5 || planned.Planned != 3 || planned.Applied != 0 {
		t.Fatalf("once planned: %+v; want planning, 5 seen, 3 planned, none applied", planned)
	}
	if len(target.applying) == 0 {
		t.Fatal("no batch was applied")
	}
	first := target.applying[0]
	if first.Phase != engine.PhaseApplying || first.Planned != 3 || first.Applied != 0 || first.Percent == nil || *first.Percent != 0 {
		t.Errorf("at the first batch: %+v; want applying, 3 planned, 0 applied, 0%%", first)
	}
	if len(target.applying) > 1 {
		p := target.applying[1]
		if p.Applied != 2 || p.ETASeconds == nil || *p.ETASeconds <= 0 || p.Rate <= 0 {
			t.Errorf("at the second batch: %+v; want 2 applied, a rate and an ETA", p)
		}
	}
	end = progress.Snapshot()
	if end.Phase != engine.PhaseDone || end.Seen != 5 || end.Planned != 3 || end.Applied != 3 || end.ElapsedSeconds <= 0 {
		t.Errorf("second run ended at %+v; want done, 5 seen, 3 planned and applied", end)
	}
}

func TestAHeldRunEndsPlannedWithNothingApplied(t *testing.T) {
	fake := newFakeTarget()
	progressRun(t, fake, users(4))
	progress, _, target, planned := progressRun(t, fake, users(1)) // 3 of 4 left: held
	if planned != nil || len(target.applying) != 0 {
		t.Fatalf("a held run applied: planned %+v, %d batches", planned, len(target.applying))
	}
	if end := progress.Snapshot(); end.Phase != engine.PhaseDone || end.Seen != 1 || end.Planned != 3 || end.Applied != 0 {
		t.Errorf("held run ended at %+v; want done, 1 seen, 3 planned, none applied", end)
	}
}
