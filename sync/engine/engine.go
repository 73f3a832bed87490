package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Engine reconciles a directory into Roster: it streams a connector's
// entries, plans the changes they mean against the connector's links, and
// applies them in batches.
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
	// Approved holds the refs of users whose deprovision an admin
	// approved (a held run's): they do not count toward the safety
	// threshold.
	Approved map[string]bool
}

// userState is the engine's index entry for a linked user.
type userState struct {
	directory.SyncLink
	seen bool
	// inflight marks a user whose change is being applied: its id and
	// hash are known once the batch comes back.
	inflight bool
}

// run holds one run's state.
type run struct {
	*Engine
	job     Job
	report  *Report
	authz   directory.Authority
	users   map[string]*userState          // by ref
	groups  map[string]*directory.SyncLink // by ref
	byKey   map[string]string              // member key → user id
	batch   []directory.SyncUserChange
	applier *applier                   // nil for dry runs
	pending []directory.SyncUserChange // deprovisions, applied after the threshold check
	seenG   map[string]bool
	// groupsBegun is set at the first group: users are then all known.
	groupsBegun bool
}

// Run executes job and reports what it did (or, dry, would do). The
// returned cursor is to be stored only when the run is applied and not
// held.
func (e *Engine) Run(ctx context.Context, job Job) (*Report, error) {
	r := &run{
		Engine: e, job: job, report: newReport(),
		users: map[string]*userState{}, groups: map[string]*directory.SyncLink{}, seenG: map[string]bool{},
		authz: job.Scope.Actor.StatusAuthority(),
	}
	if err := e.target.ListSyncUserLinks(ctx, job.Scope.OrgID, job.Scope.ConnectorID, func(l *directory.SyncLink) error {
		r.users[l.Ref] = &userState{SyncLink: *l}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("sync: loading user links: %w", err)
	}
	groups, err := e.target.ListSyncGroupLinks(ctx, job.Scope.OrgID, job.Scope.ConnectorID)
	if err != nil {
		return nil, fmt.Errorf("sync: loading group links: %w", err)
	}
	for _, l := range groups {
		r.groups[l.Ref] = l
	}
	if !job.DryRun {
		r.applier = startApplier(ctx, e.target, job.Scope, e.parallel)
		defer r.applier.stop()
	}
	res, err := job.Connector.Fetch(ctx, FetchRequest{Cursor: job.Cursor, Full: job.Full}, func(en Entry) error {
		return r.entry(ctx, en)
	})
	if err != nil {
		return nil, err
	}
	if err := r.finishUsers(); err != nil {
		return nil, err
	}
	r.report.Full, r.report.Cursor = res.Full, res.Cursor
	if res.Full {
		r.sweep()
	}
	if err := r.deprovision(ctx); err != nil {
		return nil, err
	}
	if err := r.roles(ctx); err != nil {
		return nil, err
	}
	return r.report, nil
}

func (r *run) entry(ctx context.Context, en Entry) error {
	switch en.Kind {
	case EntryUser:
		return r.user(en.Ref, en.User)
	case EntryUserRemoved:
		return r.removed(en.Ref, en.Reason)
	case EntryGroup:
		if err := r.beginGroups(); err != nil {
			return err
		}
		return r.group(ctx, en.Ref, en.Group)
	case EntryGroupRemoved:
		if err := r.beginGroups(); err != nil {
			return err
		}
		return r.groupRemoved(ctx, en.Ref)
	}
	return fmt.Errorf("sync: unknown entry kind %v", en.Kind)
}

// beginGroups ends the users' part of the run: once their batches are
// applied, every user is known by its id and member key, and groups (and
// what follows) may refer to them.
func (r *run) beginGroups() error {
	if r.groupsBegun {
		return nil
	}
	r.groupsBegun = true
	if err := r.finishUsers(); err != nil {
		return err
	}
	r.indexKeys()
	return nil
}

// finishUsers applies the users' last batch and waits for every batch in
// flight.
func (r *run) finishUsers() error {
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
	st := r.users[ref]
	if st != nil && st.inflight {
		// The directory named the user twice: plan the second change
		// once the first is applied.
		if err := r.drain(); err != nil {
			return err
		}
		st = r.users[ref]
	}
	if st != nil {
		st.seen = true
		if st.Hash == hash && st.Status != directory.StatusDeleted {
			return nil
		}
	}
	c := directory.SyncUserChange{Action: directory.SyncCreate, Ref: ref, Attrs: rec.Attrs, Active: rec.Active,
		Hash: hash, MemberKey: rec.MemberKey, Role: r.job.Policy.defaultRole()}
	if st != nil {
		c.Action, c.UserID = directory.SyncUpdate, st.ObjectID
		if strings.HasPrefix(c.UserID, "new:") && !r.job.DryRun {
			// Created earlier in this batch: the service finds it by ref.
			c.UserID = ""
		}
	} else {
		// Later entries and groups must find the new user.
		r.users[ref] = &userState{SyncLink: directory.SyncLink{Ref: ref, ObjectID: "new:" + ref, MemberKey: rec.MemberKey,
			Hash: hash, Status: directory.StatusActive, Role: c.Role}, seen: true}
	}
	r.batch = append(r.batch, c)
	if len(r.batch) >= r.batchSize {
		return r.flush()
	}
	return nil
}

// removed plans what a removal means: suspension while the object can
// come back, the policy when it is gone.
func (r *run) removed(ref string, reason RemoveReason) error {
	st := r.users[ref]
	if st != nil && st.inflight {
		if err := r.drain(); err != nil {
			return err
		}
		st = r.users[ref]
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

// sweep deprovisions, after a full read, every linked user the directory
// no longer has.
func (r *run) sweep() {
	op := directory.SyncSuspend
	if r.job.Policy.Deprovision == DeprovisionDelete {
		op = directory.SyncDelete
	}
	refs := make([]string, 0, len(r.users))
	for ref, st := range r.users {
		if !st.seen {
			refs = append(refs, ref)
		}
	}
	sort.Strings(refs)
	for _, ref := range refs {
		r.plan(r.users[ref], op, "no longer in the directory")
	}
}

// plan queues a deprovision unless the user already is where it would put
// it.
func (r *run) plan(st *userState, op directory.SyncAction, reason string) {
	switch {
	case st.Status == directory.StatusDeleted:
		return
	case op == directory.SyncSuspend && st.Status == directory.StatusSuspended:
		return
	case strings.HasPrefix(st.ObjectID, "new:"):
		return
	}
	r.pending = append(r.pending, directory.SyncUserChange{Action: op, Ref: st.Ref, UserID: st.ObjectID, MemberKey: st.MemberKey, Reason: reason})
}

// flush hands the batched user changes to the applier (or, dry, records
// them).
func (r *run) flush() error {
	if len(r.batch) == 0 {
		return nil
	}
	batch := r.batch
	r.batch = nil
	if r.job.DryRun {
		for _, c := range batch {
			op := c.Action
			if op == directory.SyncUpdate {
				op = r.predictUpdate(r.users[c.Ref], c.Active)
			}
			r.report.count(op, 1)
			r.report.item(PlanItem{Op: op, Ref: c.Ref, Target: c.UserID, UserName: c.Attrs[directory.UserUserName]})
		}
		return nil
	}
	return r.send(batch)
}

// predictUpdate says what an update will do to a user's status, for dry
// runs: the same rule the service applies.
func (r *run) predictUpdate(st *userState, active bool) directory.SyncAction {
	u := &directory.User{Status: st.Status, StatusSetBy: st.StatusSetBy}
	if st.Status == directory.StatusDeleted {
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

// indexKeys maps member keys to user ids once every user is known.
func (r *run) indexKeys() {
	r.byKey = make(map[string]string, len(r.users))
	for ref, st := range r.users {
		if st.Status == directory.StatusDeleted {
			continue
		}
		r.byKey[ref] = st.ObjectID
		if st.MemberKey != "" {
			r.byKey[st.MemberKey] = st.ObjectID
		}
	}
}

func (r *run) resolve(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if id, ok := r.byKey[k]; ok {
			out = append(out, id)
		}
	}
	return out
}

// group creates or renames a group and reconciles its members.
func (r *run) group(ctx context.Context, ref string, rec *GroupRecord) error {
	r.seenG[ref] = true
	link := r.groups[ref]
	dry := r.job.DryRun
	if link == nil || (rec.DisplayName != "" && rec.DisplayName != link.Name) || (rec.MemberKey != link.MemberKey && rec.MemberKey != "") {
		op := directory.SyncGroupCreate
		ch := directory.SyncGroupChange{Ref: ref, Name: rec.DisplayName, MemberKey: rec.MemberKey}
		if link != nil {
			op, ch.GroupID = directory.SyncGroupUpdate, link.ObjectID
			if ch.Name == "" {
				ch.Name = link.Name
			}
		}
		id := "new:" + ref
		if link != nil {
			id = link.ObjectID
		}
		if !dry {
			var err error
			if id, err = r.target.ApplySyncGroup(ctx, r.job.Scope, ch); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.report.fail(PlanItem{Op: failureOp(err), Ref: ref, Detail: directory.ErrorMessage(err)})
				return nil
			}
		}
		r.report.count(op, 1)
		if dry {
			r.report.item(PlanItem{Op: op, Ref: ref, Target: id, Detail: ch.Name})
		}
		link = &directory.SyncLink{Ref: ref, ObjectID: id, Name: ch.Name, MemberKey: ch.MemberKey}
		r.groups[ref] = link
	}

	var current []string
	if !strings.HasPrefix(link.ObjectID, "new:") && (rec.Complete || len(rec.Removed) > 0) {
		var err error
		if current, err = r.target.SyncGroupMembers(ctx, r.job.Scope.OrgID, link.ObjectID); err != nil {
			return fmt.Errorf("sync: listing members of group %s: %w", link.ObjectID, err)
		}
	}
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
	}
	var add, remove []string
	want := r.resolve(rec.Members)
	wanted := make(map[string]bool, len(want))
	for _, id := range want {
		wanted[id] = true
		if !have[id] {
			add = append(add, id)
		}
	}
	if rec.Complete {
		for _, id := range current {
			if !wanted[id] {
				remove = append(remove, id)
			}
		}
	} else {
		for _, id := range r.resolve(rec.Removed) {
			if have[id] {
				remove = append(remove, id)
			}
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	r.report.count(directory.SyncMemberAdd, len(add))
	r.report.count(directory.SyncMemberRemove, len(remove))
	if dry {
		r.report.item(PlanItem{Op: directory.SyncGroupUpdate, Ref: ref, Target: link.ObjectID,
			Detail: fmt.Sprintf("%d members added, %d removed", len(add), len(remove))})
		return nil
	}
	if err := changeMembers(ctx, r.target, r.job.Scope, link.ObjectID, add, remove); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.report.fail(PlanItem{Op: directory.SyncError, Ref: ref, Target: link.ObjectID, Detail: directory.ErrorMessage(err)})
	}
	return nil
}

func (r *run) groupRemoved(ctx context.Context, ref string) error {
	r.seenG[ref] = true
	link := r.groups[ref]
	if link == nil {
		return nil
	}
	delete(r.groups, ref)
	r.report.count(directory.SyncGroupDelete, 1)
	if r.job.DryRun {
		r.report.item(PlanItem{Op: directory.SyncGroupDelete, Ref: ref, Target: link.ObjectID, Detail: link.Name})
		return nil
	}
	if err := r.target.DeleteSyncGroup(ctx, r.job.Scope, link.ObjectID, ref); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.report.fail(PlanItem{Op: directory.SyncError, Ref: ref, Target: link.ObjectID, Detail: directory.ErrorMessage(err)})
	}
	return nil
}

// deprovision applies the queued removals, unless they pass the safety
// threshold without approval: then the run is held and nothing is
// deprovisioned.
func (r *run) deprovision(ctx context.Context) error {
	if r.report.Full {
		for ref := range r.groups {
			if !r.seenG[ref] {
				if err := r.groupRemoved(ctx, ref); err != nil {
					return err
				}
			}
		}
	}
	if len(r.pending) == 0 {
		return nil
	}
	live := 0
	for _, st := range r.users {
		if st.Status != directory.StatusDeleted {
			live++
		}
	}
	unapproved := 0
	for _, c := range r.pending {
		if !r.job.Approved[c.Ref] {
			unapproved++
		}
	}
	if float64(unapproved) > r.job.Policy.threshold()*float64(max(live, 1)) {
		r.report.Held, r.report.Pending = true, r.pending
		for _, c := range r.pending {
			r.report.item(PlanItem{Op: c.Action, Ref: c.Ref, Target: c.UserID, Detail: c.Reason})
		}
		return nil
	}
	for start := 0; start < len(r.pending); start += r.batchSize {
		chunk := r.pending[start:min(start+r.batchSize, len(r.pending))]
		if r.job.DryRun {
			for _, c := range chunk {
				r.report.count(c.Action, 1)
				r.report.item(PlanItem{Op: c.Action, Ref: c.Ref, Target: c.UserID, Detail: c.Reason})
				r.users[c.Ref].Status = directory.StatusSuspended
			}
			continue
		}
		results, err := applyChanges(ctx, r.target, r.job.Scope, chunk)
		if err != nil {
			return err
		}
		for i, res := range results {
			c := chunk[i]
			op, msg := outcome(res)
			if op == directory.SyncError || op == directory.SyncConflict {
				r.report.fail(PlanItem{Op: directory.SyncError, Ref: c.Ref, Target: c.UserID, Detail: msg})
				continue
			}
			if res.Changed {
				r.report.count(op, 1)
			}
			// The target clears the link's hash with a deprovision, so that
			// the user's return is applied even if nothing else changed.
			st := r.users[c.Ref]
			st.Status, st.Hash = directory.StatusSuspended, ""
			if c.Action == directory.SyncDelete {
				st.Status = directory.StatusDeleted
			}
		}
	}
	return nil
}

// roles sets each linked user's role from the role-mapped groups it
// belongs to, once memberships are applied.
func (r *run) roles(ctx context.Context) error {
	rules := r.job.Policy.Roles
	if len(rules) == 0 || r.report.Held {
		return nil
	}
	want := map[string]directory.Role{}
	for _, g := range r.groups {
		role, ok := ruleFor(rules, g)
		if !ok || strings.HasPrefix(g.ObjectID, "new:") {
			continue
		}
		members, err := r.target.SyncGroupMembers(ctx, r.job.Scope.OrgID, g.ObjectID)
		if err != nil {
			return fmt.Errorf("sync: listing members of group %s: %w", g.ObjectID, err)
		}
		for _, id := range members {
			if roleRank(role) > roleRank(want[id]) {
				want[id] = role
			}
		}
	}
	var changes []directory.SyncUserChange
	refs := make([]string, 0, len(r.users))
	for ref := range r.users {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		st := r.users[ref]
		if st.Status == directory.StatusDeleted || strings.HasPrefix(st.ObjectID, "new:") {
			continue
		}
		role := want[st.ObjectID]
		if role == "" {
			role = r.job.Policy.defaultRole()
		}
		if role != st.Role {
			changes = append(changes, directory.SyncUserChange{Action: directory.SyncRole, Ref: ref, UserID: st.ObjectID, Role: role})
		}
	}
	for start := 0; start < len(changes); start += r.batchSize {
		chunk := changes[start:min(start+r.batchSize, len(changes))]
		if r.job.DryRun {
			for _, c := range chunk {
				r.report.count(directory.SyncRole, 1)
				r.report.item(PlanItem{Op: directory.SyncRole, Ref: c.Ref, Target: c.UserID, Detail: string(c.Role)})
			}
			continue
		}
		results, err := applyChanges(ctx, r.target, r.job.Scope, chunk)
		if err != nil {
			return err
		}
		for i, res := range results {
			if op, msg := outcome(res); op == directory.SyncError {
				r.report.fail(PlanItem{Op: directory.SyncError, Ref: chunk[i].Ref, Target: chunk[i].UserID, Detail: msg})
			} else if res.Changed {
				r.report.count(directory.SyncRole, 1)
			}
		}
	}
	return nil
}

// failureOp is how a failed write is counted: conflicts (a name owned by
// another source) apart from other errors.
func failureOp(err error) directory.SyncAction {
	if directory.IsCode(err, directory.CodeConflict) {
		return directory.SyncConflict
	}
	return directory.SyncError
}

// ruleFor finds the role a group's rule gives, matching the group's ref,
// member key (DN) or name.
func ruleFor(rules []RoleRule, g *directory.SyncLink) (directory.Role, bool) {
	for _, rule := range rules {
		if rule.Group == g.Ref || strings.EqualFold(rule.Group, g.Name) ||
			(g.MemberKey != "" && strings.EqualFold(rule.Group, g.MemberKey)) {
			return rule.Role, true
		}
	}
	return "", false
}
