package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// groupStep is one group's planned change: its creation, rename or
// deletion, and the members it gains and loses.
type groupStep struct {
	ref string
	// op is SyncGroupCreate, SyncGroupUpdate, SyncGroupDelete, or "" when
	// only members change.
	op     directory.SyncAction
	change directory.SyncGroupChange
	link   *directory.SyncLink
	// add and remove hold user ids: "new:<ref>" for users the run creates.
	add, remove []string
}

// group plans a group's creation or rename and the reconciliation of its
// members.
func (r *run) group(ctx context.Context, ref string, rec *GroupRecord) error {
	r.seenG[ref] = true
	link := r.groups[ref]
	st := &groupStep{ref: ref}
	if link == nil || (rec.DisplayName != "" && rec.DisplayName != link.Name) || (rec.MemberKey != link.MemberKey && rec.MemberKey != "") {
		st.op, st.change = directory.SyncGroupCreate, directory.SyncGroupChange{Ref: ref, Name: rec.DisplayName, MemberKey: rec.MemberKey}
		id := "new:" + ref
		if link != nil {
			st.op, st.change.GroupID, id = directory.SyncGroupUpdate, link.ObjectID, link.ObjectID
			if st.change.Name == "" {
				st.change.Name = link.Name
			}
		}
		link = &directory.SyncLink{Ref: ref, ObjectID: id, Name: st.change.Name, MemberKey: st.change.MemberKey}
		r.groups[ref] = link
	}
	st.link = link

	var current []string
	if !strings.HasPrefix(link.ObjectID, "new:") && (rec.Complete || len(rec.Removed) > 0) {
		var err error
		if current, err = r.target.SyncGroupMembers(ctx, r.job.Scope.OrgID, link.ObjectID); err != nil {
			return fmt.Errorf("sync: listing members of group %s: %w", link.ObjectID, err)
		}
	}
	r.listed += len(current)
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
	}
	want := r.resolve(rec.Members)
	wanted := make(map[string]bool, len(want))
	for _, id := range want {
		if !wanted[id] && !have[id] {
			st.add = append(st.add, id)
		}
		wanted[id] = true
	}
	if rec.Complete {
		for _, id := range current {
			if !wanted[id] {
				st.remove = append(st.remove, id)
			}
		}
	} else {
		for _, id := range r.resolve(rec.Removed) {
			if have[id] {
				st.remove = append(st.remove, id)
			}
		}
	}
	if st.op == "" && len(st.add) == 0 && len(st.remove) == 0 {
		return nil
	}
	if r.stream {
		return r.applyStep(ctx, st)
	}
	r.steps = append(r.steps, st)
	r.stepOf[ref] = st
	return nil
}

// groupRemoved plans the deletion of a group the directory no longer has.
func (r *run) groupRemoved(ctx context.Context, ref string) error {
	r.seenG[ref] = true
	link := r.groups[ref]
	if link == nil {
		return nil
	}
	delete(r.groups, ref)
	st := &groupStep{ref: ref, op: directory.SyncGroupDelete, link: link}
	if r.stream {
		return r.applyStep(ctx, st)
	}
	r.steps = append(r.steps, st)
	r.stepOf[ref] = st
	return nil
}

// sweepGroups plans, after a read of every group, the deletion of the
// linked groups the directory no longer has.
func (r *run) sweepGroups(ctx context.Context) error {
	var gone []string
	for ref := range r.groups {
		if !r.seenG[ref] {
			gone = append(gone, ref)
		}
	}
	sort.Strings(gone)
	for _, ref := range gone {
		if err := r.groupRemoved(ctx, ref); err != nil {
			return err
		}
	}
	return nil
}

// applyStep applies one group's change and counts what it did.
func (r *run) applyStep(ctx context.Context, st *groupStep) error {
	// The step counts as planned and applied as a whole: its group change
	// and each membership change.
	n := len(st.add) + len(st.remove)
	if st.op != "" {
		n++
	}
	if r.stream {
		r.progress.addPlanned(n)
	}
	defer r.progress.addApplied(n)
	scope := r.job.Scope
	if st.op == directory.SyncGroupDelete {
		if strings.HasPrefix(st.link.ObjectID, "new:") {
			return nil
		}
		r.report.count(directory.SyncGroupDelete, 1)
		if err := r.target.DeleteSyncGroup(ctx, scope, st.link.ObjectID, st.ref); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.report.fail(PlanItem{Op: directory.SyncError, Ref: st.ref, Target: st.link.ObjectID, Detail: directory.ErrorMessage(err)})
		}
		return nil
	}
	if st.op != "" {
		id, err := r.target.ApplySyncGroup(ctx, scope, st.change)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.report.fail(PlanItem{Op: failureOp(err), Ref: st.ref, Detail: directory.ErrorMessage(err)})
			return nil
		}
		r.report.count(st.op, 1)
		st.link.ObjectID = id
	}
	if strings.HasPrefix(st.link.ObjectID, "new:") {
		return nil
	}
	add, remove := r.userIDs(st.add), r.userIDs(st.remove)
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	r.report.count(directory.SyncMemberAdd, len(add))
	r.report.count(directory.SyncMemberRemove, len(remove))
	if err := changeMembers(ctx, r.target, scope, st.link.ObjectID, add, remove); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if serviceFull(err) {
			return r.refuseAdditions(ctx, st, add, remove, err)
		}
		r.report.fail(PlanItem{Op: directory.SyncError, Ref: st.ref, Target: st.link.ObjectID, Detail: directory.ErrorMessage(err)})
	}
	return nil
}

// userIDs turns planned user ids into applied ones: a user the run
// created by now has its id, and one it failed to create is left out.
func (r *run) userIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if ref, ok := strings.CutPrefix(id, "new:"); ok {
			st := r.users.get(ref)
			if st == nil || st.planned {
				continue
			}
			id = r.users.id(st)
		}
		out = append(out, id)
	}
	return out
}
