package engine

import (
	"context"
	"errors"
	"slices"
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
		r.users.get(c.Ref).inflight = true
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
	r.progress.addApplied(len(done.results))
	for i, res := range done.results {
		c := done.batch[i]
		st := r.users.get(c.Ref)
		st.inflight = false
		op, msg := outcome(res)
		switch op {
		case directory.SyncConflict, directory.SyncError:
			if c.Action == directory.SyncCreate {
				// The user was not made: forget it.
				r.users.remove(c.Ref)
			}
			r.report.fail(PlanItem{Op: op, Ref: c.Ref, Target: c.UserID, UserName: c.Attrs[directory.UserUserName], Key: c.MemberKey,
				Attribute: errorField(res.Err), Detail: msg})
			continue
		}
		r.users.setID(st, res.UserID)
		st.setHash(c.Hash)
		r.users.setMemberKey(st, c.MemberKey)
		if res.Changed {
			r.report.count(op, 1)
			if attrs := r.drifted[c.Ref]; len(attrs) > 0 && len(r.report.Restored) < MaxPlanItems {
				r.report.Restored = append(r.report.Restored, PlanItem{Op: op, Ref: c.Ref, Target: res.UserID,
					UserName: c.Attrs[directory.UserUserName], Key: c.MemberKey, Detail: "put back what was changed in Roster: " + joinAttrs(attrs)})
			}
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

// applyPlan applies a planned run in order: user creates and updates,
// groups and their members, deprovisions, roles. The report it returns
// counts what was applied; the plan's digest stays.
func (r *run) applyPlan(ctx context.Context) (*Report, error) {
	plan := r.report
	r.report = newReport()
	r.report.Full, r.report.Cursor, r.report.Digest = plan.Full, plan.Cursor, plan.Digest
	r.progress.setPhase(PhaseApplying)
	if len(r.planned) > 0 {
		r.applier = startApplier(ctx, r.target, r.job.Scope, r.parallel)
		defer r.applier.stop()
		for start := 0; start < len(r.planned); start += r.batchSize {
			if err := r.send(slices.Clone(r.planned[start:min(start+r.batchSize, len(r.planned))])); err != nil {
				return nil, err
			}
		}
		if err := r.drain(); err != nil {
			return nil, err
		}
	}
	for _, st := range r.steps {
		if err := r.applyStep(ctx, st); err != nil {
			return nil, err
		}
	}
	return r.report, r.applyRest(ctx)
}

// applyRest applies the deprovisions and the roles.
func (r *run) applyRest(ctx context.Context) error {
	if err := r.applyDeprovisions(ctx); err != nil {
		return err
	}
	return r.applyRoles(ctx)
}

// applyDeprovisions applies the planned deprovisions, a batch per
// transaction.
func (r *run) applyDeprovisions(ctx context.Context) error {
	for start := 0; start < len(r.pending); start += r.batchSize {
		chunk := r.pending[start:min(start+r.batchSize, len(r.pending))]
		results, err := applyChanges(ctx, r.target, r.job.Scope, chunk)
		if err != nil {
			return err
		}
		r.progress.addApplied(len(results))
		for i, res := range results {
			c := chunk[i]
			op, msg := outcome(res)
			if op == directory.SyncError || op == directory.SyncConflict {
				r.report.fail(PlanItem{Op: directory.SyncError, Ref: c.Ref, Target: c.UserID, Key: c.MemberKey,
					Attribute: errorField(res.Err), Detail: msg})
				continue
			}
			if res.Changed {
				r.report.count(op, 1)
			}
			// The target clears the link's hash with a deprovision, so that
			// the user's return is applied even if nothing else changed.
			st := r.users.get(c.Ref)
			st.setHash("")
			status := directory.StatusSuspended
			if c.Action == directory.SyncDelete {
				status = directory.StatusDeleted
			}
			r.users.setStatus(st, status)
		}
	}
	return nil
}

// applyRoles applies the planned role changes, a batch per transaction.
func (r *run) applyRoles(ctx context.Context) error {
	changes := make([]directory.SyncUserChange, 0, len(r.roleChanges))
	for _, c := range r.roleChanges {
		ids := r.userIDs([]string{c.UserID})
		if len(ids) == 0 {
			r.progress.addApplied(1) // its creation failed: nothing to do
			continue
		}
		c.UserID = ids[0]
		changes = append(changes, c)
	}
	for start := 0; start < len(changes); start += r.batchSize {
		chunk := changes[start:min(start+r.batchSize, len(changes))]
		results, err := applyChanges(ctx, r.target, r.job.Scope, chunk)
		if err != nil {
			return err
		}
		r.progress.addApplied(len(results))
		for i, res := range results {
			if op, msg := outcome(res); op == directory.SyncError {
				r.report.fail(PlanItem{Op: directory.SyncError, Ref: chunk[i].Ref, Target: chunk[i].UserID, Key: chunk[i].MemberKey,
					Attribute: errorField(results[i].Err), Detail: msg})
			} else if res.Changed {
				r.report.count(directory.SyncRole, 1)
			}
		}
	}
	return nil
}

// errorField is the attribute a failed change's error names, if any.
func errorField(err error) string {
	var de *directory.Error
	if errors.As(err, &de) {
		return de.Field
	}
	return ""
}
