package directory

import (
	"context"
	"sort"
)

// GroupChange is one atomic change to a group: attributes through Mutate,
// and members added, removed or (for PUT and full replaces) replaced. All of
// it applies in one transaction or none of it does.
type GroupChange struct {
	// IfVersion pins the version the caller read (0: any).
	IfVersion int64
	Mutate    func(*Group) error
	Add       []string
	Remove    []string
	// Replace, when not nil, is the complete new member list (Add and
	// Remove are then ignored). The store works out the difference set
	// against set; Add and Remove cost time in the change's size.
	Replace *[]string
}

// CreateGroup creates a group with its initial members.
func (s *Service) CreateGroup(ctx context.Context, actor Actor, orgID string, in *Group, members []string) (*Group, error) {
	g := *in
	if err := g.Validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	g.ID, g.OrgID, g.CreatedAt, g.UpdatedAt, g.Version = NewID(), orgID, now, now, 1
	var added []string
	err := s.store.InTx(ctx, func(r Repos) error {
		if err := r.Groups().CreateGroup(ctx, &g); err != nil {
			return err
		}
		var err error
		added, err = r.Groups().AddMembers(ctx, orgID, g.ID, dedupe(members))
		if err != nil {
			return err
		}
		// A new group holds no service yet: no seats to check.
		changes := diffFields(nil, groupAuditFields(&g))
		if len(added) > 0 {
			changes["members"] = Change{After: map[string]any{"added": added}}
		}
		return s.audit(ctx, r, actor, orgID, "group.create", "group", g.ID, changes)
	})
	if err != nil {
		return nil, err
	}
	s.bulkWritten(len(added))
	return &g, nil
}

// GetGroup returns a group of the organization (without its members: page
// through them with ListMembers).
func (s *Service) GetGroup(ctx context.Context, orgID, id string) (*Group, error) {
	return s.store.Groups().GetGroup(ctx, orgID, id)
}

// ListGroups lists an organization's groups.
func (s *Service) ListGroups(ctx context.Context, orgID string, q GroupQuery) (*GroupPage, error) {
	q.Limit = ClampLimit(q.Limit)
	if q.Offset < 0 || q.AfterOffset < 0 {
		return nil, Errorf(CodeInvalid, "offset must not be negative")
	}
	return s.store.Groups().ListGroups(ctx, orgID, q)
}

// ListMembers pages through a group's members.
func (s *Service) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) (*MemberPage, error) {
	return s.store.Groups().ListMembers(ctx, orgID, groupID, after, ClampLimit(limit))
}

// GroupsOfUser lists the groups a user belongs to.
func (s *Service) GroupsOfUser(ctx context.Context, orgID, userID string) ([]*Group, error) {
	return s.store.Groups().GroupsOfUser(ctx, orgID, userID)
}

// UpdateGroup applies a GroupChange atomically. A change that changes
// nothing writes nothing.
func (s *Service) UpdateGroup(ctx context.Context, actor Actor, orgID, id string, c GroupChange) (*Group, error) {
	var out *Group
	written := 0 // memberships added or removed, for the planner statistics
	err := retryStale(c.IfVersion != 0, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Groups().GetGroup(ctx, orgID, id)
			if err != nil {
				return err
			}
			if c.IfVersion != 0 && cur.Version != c.IfVersion {
				return ErrStale
			}
			next := *cur
			if c.Mutate != nil {
				if err := c.Mutate(&next); err != nil {
					return err
				}
				next.ID, next.OrgID, next.Source, next.CreatedAt, next.UpdatedAt, next.Version = cur.ID, cur.OrgID, cur.Source, cur.CreatedAt, cur.UpdatedAt, cur.Version
				if err := next.Validate(); err != nil {
					return err
				}
			}
			changes := diffFields(groupAuditFields(cur), groupAuditFields(&next))
			renamed := len(changes) > 0
			// Members change first and the group's version moves last,
			// just before the commit: the version bump locks the group's
			// row until the transaction ends, and concurrent membership
			// changes of one group queue for that lock.
			var removed, added []string
			if c.Replace != nil {
				// The store works out the difference; the adds and
				// removes listed besides were folded into the list.
				if added, removed, err = r.Groups().ReplaceMembers(ctx, orgID, id, dedupe(*c.Replace)); err != nil {
					return err
				}
			} else {
				// The group was read in this transaction, so empty changes
				// need not ask the store whether it exists.
				if remove := dedupe(c.Remove); len(remove) > 0 {
					if removed, err = r.Groups().RemoveMembers(ctx, orgID, id, remove); err != nil {
						return err
					}
				}
				if add := dedupe(c.Add); len(add) > 0 {
					if added, err = r.Groups().AddMembers(ctx, orgID, id, add); err != nil {
						return err
					}
				}
			}
			// A group mapped to a service gives its new members seats,
			// whether they came by an add or by a replaced list.
			// The group's read says whether a service with a seat limit
			// maps it, which saves reading the organization's services.
			if cur.SeatLimited {
				if err := checkGroupSeats(ctx, r, orgID, id, added); err != nil {
					return err
				}
			}
			written = len(added) + len(removed)
			if len(added) > 0 || len(removed) > 0 {
				m := map[string]any{}
				if len(added) > 0 {
					m["added"] = added
				}
				if len(removed) > 0 {
					m["removed"] = removed
				}
				changes["members"] = Change{After: m}
			}
			if len(changes) == 0 {
				out = cur
				return nil
			}
			if err := s.audit(ctx, r, actor, orgID, "group.update", "group", id, changes); err != nil {
				return err
			}
			if renamed {
				if err := r.Groups().UpdateGroup(ctx, &next, s.Now()); err != nil {
					return err
				}
				// The store set the new version and time; the rest is what
				// it wrote.
				out = &next
				return nil
			}
			// Attributes unchanged: the version must still move.
			out, err = r.Groups().TouchGroup(ctx, orgID, id, s.Now())
			return err
		})
	})
	if err == nil {
		s.bulkWritten(written)
	}
	return out, err
}

// DeleteGroup removes a group and its memberships. Users are untouched.
// ifVersion pins the version the caller read (0: any), checked in the same
// transaction as the delete.
func (s *Service) DeleteGroup(ctx context.Context, actor Actor, orgID, id string, ifVersion int64) error {
	return s.store.InTx(ctx, func(r Repos) error {
		g, err := r.Groups().GetGroup(ctx, orgID, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && g.Version != ifVersion {
			return ErrStale
		}
		if err := r.Groups().DeleteGroup(ctx, orgID, id); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "group.delete", "group", id, diffFields(groupAuditFields(g), nil))
	})
}

func groupAuditFields(g *Group) map[string]any {
	if g == nil {
		return nil
	}
	return map[string]any{
		"displayName": g.DisplayName,
		"externalId":  g.ExternalID,
		"source":      g.Source,
		"sourceRef":   g.SourceRef,
	}
}

// dedupe returns ids without repeats or empties, sorted so that stores lock
// rows in one order and concurrent changes do not deadlock.
func dedupe(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
