package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/roster/roster/internal/directory"
)

// serviceFull reports whether err is the refusal of members that a
// service mapped to the group has no seats left for.
func serviceFull(err error) bool {
	var e *directory.Error
	return errors.As(err, &e) && e.Code == directory.CodeConflict && e.Field == "services"
}

// refuseAdditions handles a group whose new members would overfill a
// service mapped to it: its removals are applied (they free seats), its
// additions not, and the run records one error naming the service. The
// users it could not add neither join the group nor hold the service;
// the next run tries again, and succeeds once seats are free.
func (r *run) refuseAdditions(ctx context.Context, st *groupStep, add, remove []string, full error) error {
	if len(remove) > 0 {
		if err := changeMembers(ctx, r.target, r.job.Scope, st.link.ObjectID, nil, remove); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.report.fail(PlanItem{Op: directory.SyncError, Ref: st.ref, Target: st.link.ObjectID, Detail: directory.ErrorMessage(err)})
			return nil
		}
	}
	// The additions were counted before they were tried; a group adding
	// more than memberChunk users may have had some of them added before
	// the service filled up.
	now, err := r.target.SyncGroupMembers(ctx, r.job.Scope.OrgID, st.link.ObjectID)
	if err != nil {
		return fmt.Errorf("sync: listing members of group %s: %w", st.link.ObjectID, err)
	}
	in := make(map[string]bool, len(now))
	for _, id := range now {
		in[id] = true
	}
	refused := 0
	for _, id := range add {
		if !in[id] {
			refused++
		}
	}
	if r.report.Counts[directory.SyncMemberAdd] -= refused; r.report.Counts[directory.SyncMemberAdd] <= 0 {
		delete(r.report.Counts, directory.SyncMemberAdd)
	}
	r.report.fail(PlanItem{Op: directory.SyncConflict, Ref: st.ref, Target: st.link.ObjectID,
		Detail: fmt.Sprintf("%d members not added: %s", refused, directory.ErrorMessage(full))})
	return nil
}
