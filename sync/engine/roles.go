package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// planRoles plans each linked user's role from the role-mapped groups it
// will belong to once the plan's memberships are applied.
func (r *run) planRoles(ctx context.Context) error {
	rules := r.job.Policy.Roles
	if len(rules) == 0 {
		return nil
	}
	want := map[string]directory.Role{}
	for ref, g := range r.groups {
		role, ok := ruleFor(rules, g)
		if !ok {
			continue
		}
		members := map[string]bool{}
		if !strings.HasPrefix(g.ObjectID, "new:") {
			ids, err := r.target.SyncGroupMembers(ctx, r.job.Scope.OrgID, g.ObjectID)
			if err != nil {
				return fmt.Errorf("sync: listing members of group %s: %w", g.ObjectID, err)
			}
			for _, id := range ids {
				members[id] = true
			}
		}
		if st := r.stepOf[ref]; st != nil && !r.stream {
			for _, id := range st.add {
				members[id] = true
			}
			for _, id := range st.remove {
				delete(members, id)
			}
		}
		for id := range members {
			if roleRank(role) > roleRank(want[id]) {
				want[id] = role
			}
		}
	}
	planned := len(r.roleChanges)
	r.users.each(func(st *userState) {
		if r.users.status(st) == directory.StatusDeleted || st.leaving || (r.stream && st.planned) {
			return
		}
		id := r.users.id(st)
		role := want[id]
		if role == "" {
			role = r.job.Policy.defaultRole()
		}
		if role != r.users.role(st) {
			r.roleChanges = append(r.roleChanges, directory.SyncUserChange{Action: directory.SyncRole, Ref: r.users.ref(st), UserID: id, Role: role})
		}
	})
	// In ref order, as plans are shown; only the changes are sorted.
	slices.SortFunc(r.roleChanges[planned:], func(a, b directory.SyncUserChange) int { return strings.Compare(a.Ref, b.Ref) })
	return nil
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
