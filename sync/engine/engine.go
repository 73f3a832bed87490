package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/roster/roster/internal/directory"
)

// Engine reconciles a directory into Roster: it streams a connector's
// entries, plans the changes they mean against the connector's links, and
// applies them in batches.
//
// A run that could take anything away (the connector links users or
// groups already) plans the whole run first: every user change, group
// change, membership change, deprovision and role, then checks the plan
// against the safety thresholds, and only then applies it, so that a held
// run applies nothing and a real run applies exactly the plan a dry run of
// the same state shows. A connector's first run, which can only add,
// applies its users while the directory is still being read.
type Engine struct {
	target    Target
	batchSize int
	parallel  int
}

// Defaults of NewEngine.
const (
	// DefaultBatchSize is the number of user changes per transaction.
	DefaultBatchSize = 500
	// DefaultParallel is the number of batches written at once while the
	// directory is read.
	DefaultParallel = 2
)

// NewEngine returns an engine writing through target, batchSize user
// changes per transaction and up to parallel transactions at once (zero
// for the defaults). With parallel above 1, the target's ApplyUsers is
// called concurrently.
func NewEngine(target Target, batchSize, parallel int) *Engine {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	return &Engine{target: target, batchSize: batchSize, parallel: parallel}
}

// Job is one run of one connector.
type Job struct {
	Scope     directory.SyncScope
	Connector Connector
	Policy    Policy
	Cursor    string
	Full      bool
	DryRun    bool
	// Expect is the digest of a held plan an admin approved: the run
	// applies its plan, whatever the thresholds, only if it is that plan,
	// and otherwise fails with ErrPlanChanged, applying nothing.
	Expect string
	// Planned, if set, is called with the plan once it is made and before
	// anything of it is applied (real runs that plan first; see Engine).
	// An error stops the run.
	Planned func(*Report) error
	// Progress, if set, hears how far the run got as it goes: its phase
	// and the objects seen, the changes planned and applied.
	Progress *Progress
}

// run holds one run's state.
type run struct {
	*Engine
	job      Job
	progress *Progress // job.Progress, possibly nil
	report   *Report
	authz    directory.Authority
	users    *userIndex
	groups   map[string]*directory.SyncLink // by ref
	batch    []directory.SyncUserChange
	// stream is set for runs that apply users while reading (nothing to
	// hold); otherwise changes are planned into the fields below first.
	stream      bool
	applier     *applier                   // nil until something is applied
	pending     []directory.SyncUserChange // deprovisions
	planned     []directory.SyncUserChange // creates and updates, planned first
	plannedAt   map[string]int             // ref → index in planned
	steps       []*groupStep               // group changes, planned first
	stepOf      map[string]*groupStep      // by group ref
	roleChanges []directory.SyncUserChange
	seenG       map[string]bool
	// listed counts the current members of the groups the run compared,
	// for the membership threshold.
	listed int
	// linkedGroups is the number of groups linked when the run began.
	linkedGroups int
	// groupsBegun is set at the first group: users are then all known.
	groupsBegun bool
	// unchanged holds the directory's view of the users it did not
	// change but someone else wrote in Roster, to compare a batch at a
	// time (see drift);
	// drifted lists, by ref, the attributes the plan puts back.
	unchanged []directory.SyncUserChange
	drifted   map[string][]directory.Attr
	// lazy marks an incremental run: it reads the links of the users the
	// directory names, a batch at a time (queued until then), rather than
	// every link first, so that a run over 1% of a directory reads 1% of
	// its links. What needs them all (presence, groups, a sweep, a
	// threshold's total) reads the rest first; allLinks says it did.
	lazy     bool
	allLinks bool
	queued   []Entry
	// present holds the refs of the users a presence scan named, until
	// the run reads every link or compares them with the links' refs.
	present *refSet
}

// Run executes job and reports what it did (or, dry, would do). The
// returned cursor is to be stored only when the run is applied and not
// held.
func (e *Engine) Run(ctx context.Context, job Job) (*Report, error) {
	job.Progress.setPhase(PhaseFetching)
	rep, err := e.run(ctx, job)
	if err == nil || errors.Is(err, ErrPlanChanged) {
		job.Progress.setPhase(PhaseDone)
	}
	return rep, err
}

func (e *Engine) run(ctx context.Context, job Job) (*Report, error) {
	r := &run{
		Engine: e, job: job, progress: job.Progress, report: newReport(),
		users: newUserIndex(), groups: map[string]*directory.SyncLink{}, seenG: map[string]bool{},
		authz: job.Scope.Actor.StatusAuthority(), stepOf: map[string]*groupStep{}, plannedAt: map[string]int{},
	}
	// An incremental run reads the links of the users the directory
	// names; anything else reads them all first.
	r.lazy = !job.Full && job.Cursor != "" && len(job.Policy.Roles) == 0
	if !r.lazy {
		if err := r.loadAllLinks(ctx); err != nil {
			return nil, err
		}
	}
	groups, err := e.target.ListSyncGroupLinks(ctx, job.Scope.OrgID, job.Scope.ConnectorID)
	if err != nil {
		return nil, fmt.Errorf("sync: loading group links: %w", err)
	}
	for _, l := range groups {
		r.groups[l.Ref] = l
	}
	r.linkedGroups = len(groups)
	// With nothing linked, nothing can be taken away: the run cannot be
	// held, and applies users as it reads them.
	r.stream = !r.lazy && !job.DryRun && job.Expect == "" && r.users.len() == 0 && len(r.groups) == 0
	if r.stream {
		r.applier = startApplier(ctx, e.target, job.Scope, e.parallel)
		defer r.applier.stop()
	}
	res, err := job.Connector.Fetch(ctx, FetchRequest{Cursor: job.Cursor, Full: job.Full}, func(en Entry) error {
		return r.entry(ctx, en)
	})
	if err != nil {
		return nil, err
	}
	if err := r.finishUsers(ctx); err != nil {
		return nil, err
	}
	if err := r.drift(ctx); err != nil {
		return nil, err
	}
	r.progress.setPhase(PhasePlanning)
	r.report.Full, r.report.Cursor = res.Full, res.Cursor
	switch {
	case res.UsersSwept && !res.Full && !r.allLinks:
		if err := r.sweepLazily(ctx); err != nil {
			return nil, err
		}
	case res.Full || res.UsersSwept:
		if err := r.loadAllLinks(ctx); err != nil {
			return nil, err
		}
		r.sweep()
	}
	if res.Full || res.GroupsSwept {
		if err := r.loadAllLinks(ctx); err != nil {
			return nil, err
		}
		if err := r.sweepGroups(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.planRoles(ctx); err != nil {
		return nil, err
	}
	if r.stream {
		// Nothing was linked: there is nothing to hold.
		r.progress.addPlanned(len(r.pending) + len(r.roleChanges))
		r.progress.setPhase(PhaseApplying)
		return r.report, r.applyRest(ctx)
	}
	r.describePlan()
	for _, n := range r.report.Counts {
		r.progress.addPlanned(n)
	}
	if job.Expect != "" && job.Expect != r.report.Digest {
		// Nothing is applied; the new plan waits for its own approval.
		r.report.Planned, r.report.Counts = r.report.Counts, map[directory.SyncAction]int{}
		r.report.Held, r.report.Pending = true, r.pending
		r.report.Reasons = []string{"the plan is not the one approved: the directory or Roster changed since"}
		return r.report, ErrPlanChanged
	}
	if job.Expect == "" {
		if err := r.checkThresholds(ctx); err != nil {
			return nil, err
		}
		if err := r.checkBlanking(ctx); err != nil {
			return nil, err
		}
	}
	if r.report.Held && !job.DryRun {
		// Nothing was applied: the counts are the plan's.
		r.report.Planned, r.report.Counts = r.report.Counts, map[directory.SyncAction]int{}
	}
	if job.DryRun || r.report.Held {
		return r.report, nil
	}
	if job.Planned != nil {
		if err := job.Planned(r.report); err != nil {
			return nil, err
		}
	}
	return r.applyPlan(ctx)
}

// loadAllLinks reads every user link of the connector that the run has
// not read yet, then takes in the entries queued for theirs.
func (r *run) loadAllLinks(ctx context.Context) error {
	if r.allLinks {
		return nil
	}
	r.allLinks = true
	if err := r.target.ListSyncUserLinks(ctx, r.job.Scope.OrgID, r.job.Scope.ConnectorID, func(l *directory.SyncLink) error {
		r.know(l)
		return nil
	}); err != nil {
		return fmt.Errorf("sync: loading user links: %w", err)
	}
	if r.present != nil {
		r.users.markSeen(r.present)
		r.present = nil
	}
	return r.takeQueued(ctx)
}

// takeQueued reads the links of the queued entries' users, in one query,
// and takes the entries in, in the order the directory gave them.
func (r *run) takeQueued(ctx context.Context) error {
	if len(r.queued) == 0 {
		return nil
	}
	queued := r.queued
	r.queued = nil
	if !r.allLinks {
		refs := make([]string, 0, len(queued))
		for _, en := range queued {
			if r.users.get(en.Ref) == nil {
				refs = append(refs, en.Ref)
			}
		}
		links, err := r.target.SyncUserLinks(ctx, r.job.Scope.OrgID, r.job.Scope.ConnectorID, refs)
		if err != nil {
			return fmt.Errorf("sync: loading user links: %w", err)
		}
		for _, l := range links {
			r.know(l)
		}
	}
	for _, en := range queued {
		if err := r.take(ctx, en); err != nil {
			return err
		}
	}
	return nil
}

// know adds a link read from Roster, unless the run knows its user
// already (one it planned to create, or read before).
func (r *run) know(l *directory.SyncLink) {
	u := r.users
	st, added := u.ensure(l.Ref)
	if !added {
		return
	}
	u.setID(st, l.ObjectID)
	u.setMemberKey(st, l.MemberKey)
	st.setHash(l.Hash)
	u.setStatus(st, l.Status)
	st.statusSetBy = u.word(string(l.StatusSetBy))
	u.setRole(st, l.Role)
	st.written = l.Drifted()
}

// ErrPlanChanged ends an approval run whose plan is not the one approved:
// the directory (or Roster) moved on since the run was held.
var ErrPlanChanged = directory.Errorf(directory.CodeConflict,
	"the directory changed since the run was held: its plan is no longer the one approved, and nothing was applied; review the new plan")

func (r *run) entry(ctx context.Context, en Entry) error {
	r.progress.addSeen(1)
	if r.lazy && !r.allLinks {
		switch en.Kind {
		case EntryUser, EntryUserRemoved:
			// Taken in once their links are read, a batch at a time.
			r.queued = append(r.queued, en)
			if len(r.queued) >= min(r.batchSize, directory.MaxSyncBatch) {
				return r.takeQueued(ctx)
			}
			return nil
		case EntryUserPresent:
			// Compared with the links' refs at the end (sweepLazily).
			if r.present == nil {
				r.present = newRefSet()
			}
			r.present.add(en.Ref)
			return nil
		}
		// Groups need every user: read the rest.
		if err := r.loadAllLinks(ctx); err != nil {
			return err
		}
	}
	return r.take(ctx, en)
}

// take plans what an entry means, its user's link (if any) known.
func (r *run) take(ctx context.Context, en Entry) error {
	switch en.Kind {
	case EntryUser:
		if err := r.user(en.Ref, en.User); err != nil {
			return err
		}
		if len(r.unchanged) >= r.batchSize {
			// Compared as the directory is read: the run holds one
			// batch of them at most.
			return r.drift(ctx)
		}
		return nil
	case EntryUserRemoved:
		return r.removed(en.Ref, en.Reason)
	case EntryUserPresent:
		if st := r.users.get(en.Ref); st != nil {
			st.seen = true
		}
		return nil
	case EntryGroup:
		if err := r.beginGroups(ctx); err != nil {
			return err
		}
		return r.group(ctx, en.Ref, en.Group)
	case EntryGroupRemoved:
		if err := r.beginGroups(ctx); err != nil {
			return err
		}
		return r.groupRemoved(ctx, en.Ref)
	case EntryGroupPresent:
		r.seenG[en.Ref] = true
		return nil
	}
	return fmt.Errorf("sync: unknown entry kind %v", en.Kind)
}

// beginGroups ends the users' part of the run: once their batches are
// applied (or planned), every user is known by its id (or its planned
// "new:" id) and member key, and groups may refer to them.
func (r *run) beginGroups(ctx context.Context) error {
	if r.groupsBegun {
		return nil
	}
	r.groupsBegun = true
	if err := r.finishUsers(ctx); err != nil {
		return err
	}
	r.users.indexKeys()
	return nil
}

// finishUsers takes in the users still queued, applies their last batch
// and waits for every batch in flight.
func (r *run) finishUsers(ctx context.Context) error {
	if err := r.takeQueued(ctx); err != nil {
		return err
	}
	if err := r.flush(); err != nil {
		return err
	}
	if r.applier == nil {
		return nil
	}
	return r.drain()
}

// user plans the change an entry means for a user: nothing when the
// directory's view is the one last applied.
func (r *run) user(ref string, rec *UserRecord) error {
	hash := rec.Hash()
	st := r.users.get(ref)
	if st != nil && st.inflight {
		// The directory named the user twice: plan the second change
		// once the first is applied.
		if err := r.drain(); err != nil {
			return err
		}
		st = r.users.get(ref)
	}
	if st != nil {
		st.seen = true
		if st.hashIs(hash) && r.users.status(st) != directory.StatusDeleted {
			if st.written && !r.stream {
				// Compared with Roster's values once the directory is
				// read (drift).
				r.unchanged = append(r.unchanged, directory.SyncUserChange{Action: directory.SyncUpdate, Ref: ref,
					UserID: r.users.id(st), Attrs: rec.Attrs, Active: rec.Active, Hash: hash, MemberKey: rec.MemberKey})
			}
			return nil
		}
	}
	c := directory.SyncUserChange{Action: directory.SyncCreate, Ref: ref, Attrs: rec.Attrs, Active: rec.Active,
		Hash: hash, MemberKey: rec.MemberKey, Role: r.job.Policy.defaultRole()}
	if st != nil {
		c.Action, c.UserID = directory.SyncUpdate, r.users.id(st)
		if st.planned && r.stream {
			// Created earlier in this batch: the service finds it by ref.
			c.UserID = ""
		}
	} else {
		// Later entries and groups must find the new user (the index
		// keeps its own copy of what it keeps: a connector may hand out
		// strings that share the memory of the whole entry).
		st = r.users.add(ref)
		st.planned, st.seen = true, true
		r.users.setMemberKey(st, rec.MemberKey)
		st.setHash(hash)
		r.users.setStatus(st, directory.StatusActive)
		r.users.setRole(st, c.Role)
	}
	if !r.stream {
		r.planUser(c)
		return nil
	}
	r.batch = append(r.batch, c)
	r.progress.addPlanned(1)
	if len(r.batch) >= r.batchSize {
		return r.flush()
	}
	return nil
}

// planUser adds a user change to the plan; a user the directory names
// twice has one change, the last.
func (r *run) planUser(c directory.SyncUserChange) {
	if i, ok := r.plannedAt[c.Ref]; ok {
		prev := r.planned[i]
		c.Action, c.UserID = prev.Action, prev.UserID
		r.planned[i] = c
	} else {
		r.plannedAt[c.Ref] = len(r.planned)
		r.planned = append(r.planned, c)
	}
	st := r.users.get(c.Ref)
	st.setHash(c.Hash)
	r.users.setMemberKey(st, c.MemberKey)
}

// removed plans what a removal means: suspension while the object can
// come back, the policy when it is gone.
func (r *run) removed(ref string, reason RemoveReason) error {
	st := r.users.get(ref)
	if st != nil && st.inflight {
		if err := r.drain(); err != nil {
			return err
		}
		st = r.users.get(ref)
	}
	if st == nil {
		return nil
	}
	st.seen = true
	op := directory.SyncSuspend
	if reason == RemovedDeleted && r.job.Policy.Deprovision == DeprovisionDelete {
		op = directory.SyncDelete
	}
	r.plan(st, op, "removed from the directory")
	return nil
}

// sweep deprovisions, after a full read (or a read of every object's
// presence), every linked user the directory no longer has.
func (r *run) sweep() {
	op := directory.SyncSuspend
	if r.job.Policy.Deprovision == DeprovisionDelete {
		op = directory.SyncDelete
	}
	refs := r.users.refs(func(st *userState) bool { return !st.seen })
	sort.Strings(refs)
	for _, ref := range refs {
		r.plan(r.users.get(ref), op, "no longer in the directory")
	}
}

// sweepLazily is sweep for an incremental run that read the links of the
// users the directory named, and the presence of the others: it reads
// the refs of every link, and the links of those the directory no longer
// has (the few who left), not every link.
func (r *run) sweepLazily(ctx context.Context) error {
	var gone []string
	if err := r.target.ListSyncUserLinkRefs(ctx, r.job.Scope.OrgID, r.job.Scope.ConnectorID, func(ref string) error {
		if (r.present == nil || !r.present.has(ref)) && r.users.get(ref) == nil {
			gone = append(gone, ref)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("sync: loading user links: %w", err)
	}
	batch := min(r.batchSize, directory.MaxSyncBatch)
	for start := 0; start < len(gone); start += batch {
		links, err := r.target.SyncUserLinks(ctx, r.job.Scope.OrgID, r.job.Scope.ConnectorID, gone[start:min(start+batch, len(gone))])
		if err != nil {
			return fmt.Errorf("sync: loading user links: %w", err)
		}
		for _, l := range links {
			r.know(l)
		}
	}
	op := directory.SyncSuspend
	if r.job.Policy.Deprovision == DeprovisionDelete {
		op = directory.SyncDelete
	}
	sort.Strings(gone)
	for _, ref := range gone {
		if st := r.users.get(ref); st != nil {
			r.plan(st, op, "no longer in the directory")
		}
	}
	return nil
}

// plan queues a deprovision unless the user already is where it would put
// it.
func (r *run) plan(st *userState, op directory.SyncAction, reason string) {
	status := r.users.status(st)
	switch {
	case st.leaving:
		return
	case status == directory.StatusDeleted:
		return
	case op == directory.SyncSuspend && status == directory.StatusSuspended:
		return
	case st.planned:
		return
	}
	st.leaving = op == directory.SyncDelete
	r.pending = append(r.pending, directory.SyncUserChange{Action: op, Ref: r.users.ref(st), UserID: r.users.id(st),
		MemberKey: r.users.memberKey(st), Reason: reason})
}

// flush hands the batched user changes to the applier.
func (r *run) flush() error {
	if len(r.batch) == 0 {
		return nil
	}
	batch := r.batch
	r.batch = nil
	return r.send(batch)
}

// predictUpdate says what an update will do to a user's status, for
// plans: the same rule the service applies.
func (r *run) predictUpdate(st *userState, active bool) directory.SyncAction {
	u := &directory.User{Status: r.users.status(st), StatusSetBy: r.users.statusSetBy(st)}
	if u.Status == directory.StatusDeleted {
		return directory.SyncRestore
	}
	if to, changed := directory.StatusFromDirectory(u, active, r.authz); changed {
		if to == directory.StatusSuspended {
			return directory.SyncSuspend
		}
		return directory.SyncReactivate
	}
	return directory.SyncUpdate
}

// resolve turns a group's member list into user ids (planned ones for
// the users the run creates), leaving out whom it does not know.
func (r *run) resolve(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if st := r.users.member(k); st != nil {
			out = append(out, r.users.id(st))
		}
	}
	return out
}

// failureOp is how a failed write is counted: conflicts (a name owned by
// another source) apart from other errors.
func failureOp(err error) directory.SyncAction {
	if directory.IsCode(err, directory.CodeConflict) {
		return directory.SyncConflict
	}
	return directory.SyncError
}

// drift compares the users the directory did not change, but someone
// wrote in Roster since the connector last did, with the directory's
// view, a batch per read, and plans an update for each whose owned
// attributes drifted: the run puts the directory's values back.
func (r *run) drift(ctx context.Context) error {
	batch := min(r.batchSize, directory.MaxSyncBatch)
	for start := 0; start < len(r.unchanged); start += batch {
		chunk := r.unchanged[start:min(start+batch, len(r.unchanged))]
		drifted, err := r.target.SyncUserDrift(ctx, r.job.Scope, chunk, !r.job.DryRun)
		if err != nil {
			return fmt.Errorf("sync: comparing users with the directory: %w", err)
		}
		for _, c := range chunk {
			attrs := drifted[c.UserID]
			if len(attrs) == 0 {
				continue
			}
			if r.drifted == nil {
				r.drifted = map[string][]directory.Attr{}
			}
			r.drifted[c.Ref] = attrs
			r.planUser(c)
		}
	}
	r.unchanged = nil
	return nil
}
