package engine

import (
	"context"
	"sync"

	"github.com/roster/roster/internal/directory"
)

// applier writes batches of user changes in the background, up to
// `parallel` at a time, so that the engine reads the directory while
// Roster writes, and the database works on several transactions at once.
// Workers touch nothing but their batch and the target: the results go
// back to the engine's goroutine, which alone changes the run's state.
type applier struct {
	batches  chan []directory.SyncUserChange
	done     chan appliedBatch
	inflight int // batches sent and not yet collected
	parallel int
	workers  sync.WaitGroup
}

// appliedBatch is a batch with its outcome.
type appliedBatch struct {
	batch   []directory.SyncUserChange
	results []directory.SyncUserResult
	err     error
}

func startApplier(ctx context.Context, target Target, scope directory.SyncScope, parallel int) *applier {
	a := &applier{
		// Buffers as deep as the batches in flight: neither side waits on
		// the other but for work.
		batches:  make(chan []directory.SyncUserChange, parallel),
		done:     make(chan appliedBatch, parallel),
		parallel: parallel,
	}
	for range parallel {
		a.workers.Go(func() {
			for b := range a.batches {
				results, err := applyChanges(ctx, target, scope, b)
				a.done <- appliedBatch{batch: b, results: results, err: err}
			}
		})
	}
	return a
}

// stop ends the workers once their batches are done.
func (a *applier) stop() {
	close(a.batches)
	a.workers.Wait()
}

// send queues a batch, first collecting results while `parallel` batches
// are in flight.
func (r *run) send(batch []directory.SyncUserChange) error {
	for r.applier.inflight >= r.applier.parallel {
		if err := r.collect(); err != nil {
			return err
		}
	}
	for _, c := range batch {
		r.users[c.Ref].inflight = true
	}
	r.applier.batches <- batch
	r.applier.inflight++
	return nil
}

// collect waits for one applied batch and takes in its results.
func (r *run) collect() error {
	done := <-r.applier.done
	r.applier.inflight--
	if done.err != nil {
		return done.err
	}
	for i, res := range done.results {
		c := done.batch[i]
		st := r.users[c.Ref]
		st.inflight = false
		op, msg := outcome(res)
		switch op {
		case directory.SyncConflict, directory.SyncError:
			if c.Action == directory.SyncCreate {
				// The user was not made: forget it.
				delete(r.users, c.Ref)
			}
			r.report.fail(PlanItem{Op: op, Ref: c.Ref, Target: c.UserID, UserName: c.Attrs[directory.UserUserName], Detail: msg})
			continue
		}
		st.ObjectID, st.Hash, st.MemberKey = res.UserID, c.Hash, c.MemberKey
		if res.Changed {
			r.report.count(op, 1)
		}
	}
	return nil
}

// drain waits for every batch in flight: afterwards every user the run
// has met is known by its id.
func (r *run) drain() error {
	for r.applier.inflight > 0 {
		if err := r.collect(); err != nil {
			return err
		}
	}
	return nil
}

// applyChanges writes a batch; when the batch as a whole fails it retries
// change by change, so that one bad entry does not hold back the rest.
func applyChanges(ctx context.Context, target Target, scope directory.SyncScope, batch []directory.SyncUserChange) ([]directory.SyncUserResult, error) {
	results, err := target.ApplySyncUsers(ctx, scope, batch)
	if err == nil {
		return results, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	results = make([]directory.SyncUserResult, len(batch))
	for i, c := range batch {
		one, err := target.ApplySyncUsers(ctx, scope, []directory.SyncUserChange{c})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			results[i] = directory.SyncUserResult{Action: directory.SyncError, Err: err}
			continue
		}
		results[i] = one[0]
	}
	return results, nil
}
