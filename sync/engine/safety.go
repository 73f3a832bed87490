package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// describePlan fills the report with the plan: its counts, its items (up
// to MaxPlanItems) in the order it applies them, and its digest.
func (r *run) describePlan() {
	rep := r.report
	for _, c := range r.planned {
		op := c.Action
		if op == directory.SyncUpdate {
			op = r.predictUpdate(r.users.get(c.Ref), c.Active)
		}
		rep.count(op, 1)
		item := PlanItem{Op: op, Ref: c.Ref, Target: c.UserID, UserName: c.Attrs[directory.UserUserName]}
		if attrs := r.drifted[c.Ref]; len(attrs) > 0 {
			item.Detail = "puts back what was changed in Roster: " + joinAttrs(attrs)
		}
		rep.item(item)
	}
	for _, st := range r.steps {
		if st.op == directory.SyncGroupDelete {
			rep.count(st.op, 1)
			rep.item(PlanItem{Op: st.op, Ref: st.ref, Target: st.link.ObjectID, Detail: st.link.Name})
			continue
		}
		if st.op != "" {
			rep.count(st.op, 1)
			rep.item(PlanItem{Op: st.op, Ref: st.ref, Target: st.link.ObjectID, Detail: st.change.Name})
		}
		if len(st.add) > 0 || len(st.remove) > 0 {
			rep.count(directory.SyncMemberAdd, len(st.add))
			rep.count(directory.SyncMemberRemove, len(st.remove))
			rep.item(PlanItem{Op: directory.SyncGroupUpdate, Ref: st.ref, Target: st.link.ObjectID,
				Detail: fmt.Sprintf("%d members added, %d removed", len(st.add), len(st.remove))})
		}
	}
	for _, c := range r.pending {
		rep.count(c.Action, 1)
		rep.item(PlanItem{Op: c.Action, Ref: c.Ref, Target: c.UserID, Detail: c.Reason})
	}
	for _, c := range r.roleChanges {
		rep.count(directory.SyncRole, 1)
		rep.item(PlanItem{Op: directory.SyncRole, Ref: c.Ref, Target: c.UserID, Detail: string(c.Role)})
	}
	rep.Digest = r.digest()
}

// digest is a fingerprint of the whole plan (not only the items a report
// shows), in an order that does not depend on the order the directory
// returned its objects: two runs with the same digest do the same thing.
func (r *run) digest() string {
	lines := make([]string, 0, len(r.planned)+len(r.steps)+len(r.pending)+len(r.roleChanges))
	for _, c := range r.planned {
		lines = append(lines, strings.Join([]string{"user", string(c.Action), c.Ref, c.UserID, c.Hash}, "\x00"))
	}
	for _, st := range r.steps {
		add, remove := slices.Sorted(slices.Values(st.add)), slices.Sorted(slices.Values(st.remove))
		lines = append(lines, strings.Join([]string{"group", string(st.op), st.ref, st.link.ObjectID, st.change.Name,
			st.change.MemberKey, strings.Join(add, ","), strings.Join(remove, ",")}, "\x00"))
	}
	for _, c := range r.pending {
		lines = append(lines, strings.Join([]string{"leave", string(c.Action), c.Ref, c.UserID}, "\x00"))
	}
	for _, c := range r.roleChanges {
		lines = append(lines, strings.Join([]string{"role", c.Ref, c.UserID, string(c.Role)}, "\x00"))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkThresholds holds the run when it would deprovision, delete or
// remove more than the policy's share of the connector's users, groups or
// memberships, each against its own threshold.
func (r *run) checkThresholds(ctx context.Context) error {
	groupsDeleted, membersRemoved := 0, 0
	for _, st := range r.steps {
		if st.op == directory.SyncGroupDelete {
			groupsDeleted++
		}
		membersRemoved += len(st.remove)
	}
	p := r.job.Policy
	// Memberships are measured against those the run compared, and never
	// fewer than the connector's users: removing one member of a small
	// group is no mass removal.
	if err := r.hold(ctx, "users deprovisioned", len(r.pending), r.liveUsers, p.threshold(), p.ThresholdMin); err != nil {
		return err
	}
	linkedGroups := func(context.Context) (int, error) { return r.linkedGroups, nil }
	if err := r.hold(ctx, "groups deleted", groupsDeleted, linkedGroups, p.groupThreshold(), p.GroupThresholdMin); err != nil {
		return err
	}
	compared := func(ctx context.Context) (int, error) {
		live, err := r.liveUsers(ctx)
		return max(r.listed, live), err
	}
	return r.hold(ctx, "memberships removed", membersRemoved, compared, p.memberThreshold(), p.MemberThresholdMin)
}

// liveUsers counts the linked users that are not deleted (reading every
// link, in an incremental run that has not).
func (r *run) liveUsers(ctx context.Context) (int, error) {
	if err := r.loadAllLinks(ctx); err != nil {
		return 0, err
	}
	live := 0
	r.users.each(func(st *userState) {
		if r.users.status(st) != directory.StatusDeleted && !st.planned {
			live++
		}
	})
	return live, nil
}

// checkBlanking holds the run when its updates would empty an attribute
// that users have for more than the users' threshold share of the
// connector's users: the mark of a mapping whose source attribute is
// misspelt or gone, which would otherwise blank Roster's data.
func (r *run) checkBlanking(ctx context.Context) error {
	fields := r.job.Scope.Fields
	if len(fields) == 0 {
		return nil
	}
	byID := map[string]*directory.SyncUserChange{}
	var ids []string
	for i := range r.planned {
		c := &r.planned[i]
		if c.Action == directory.SyncUpdate && c.UserID != "" && !strings.HasPrefix(c.UserID, "new:") {
			byID[c.UserID] = c
			ids = append(ids, c.UserID)
		}
	}
	blanked := map[directory.Attr]int{}
	for start := 0; start < len(ids); start += r.batchSize {
		set, err := r.target.SyncUserFieldsSet(ctx, r.job.Scope.OrgID, ids[start:min(start+r.batchSize, len(ids))], fields)
		if err != nil {
			return fmt.Errorf("sync: reading the attributes of updated users: %w", err)
		}
		for id, attrs := range set {
			for _, a := range attrs {
				if c := byID[id]; c != nil && c.Attrs[a] == "" {
					blanked[a]++
				}
			}
		}
	}
	for _, a := range slices.Sorted(maps.Keys(blanked)) {
		if err := r.hold(ctx, "users whose "+string(a)+" would be emptied", blanked[a], r.liveUsers,
			r.job.Policy.threshold(), r.job.Policy.ThresholdMin); err != nil {
			return err
		}
	}
	return nil
}

// hold holds the run if n of the total passes share, and n passes least.
// The total is counted only then: it may read every link.
func (r *run) hold(ctx context.Context, what string, n int, count func(context.Context) (int, error), share float64, least int) error {
	if n == 0 || n <= least {
		return nil
	}
	total, err := count(ctx)
	if err != nil {
		return err
	}
	if float64(n) <= share*float64(max(total, 1)) {
		return nil
	}
	r.report.Held = true
	reason := fmt.Sprintf("%d of %d %s (%s%%), over the threshold of %s%%",
		n, max(total, n), what, percent(float64(n)/float64(max(total, n))), percent(share))
	if least > 0 {
		reason += fmt.Sprintf(" and more than %d", least)
	}
	r.report.Reasons = append(r.report.Reasons, reason)
	r.report.Pending = r.pending
	return nil
}

func percent(f float64) string { return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) }

func joinAttrs(attrs []directory.Attr) string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = string(a)
	}
	return strings.Join(out, ", ")
}
