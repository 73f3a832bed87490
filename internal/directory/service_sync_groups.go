package directory

import (
	"context"
)

// SyncGroupChange creates (GroupID "") or renames a group a connector
// manages.
type SyncGroupChange struct {
	Ref       string
	GroupID   string
	Name      string
	MemberKey string
}

// ApplySyncGroup creates or renames a connector's group and links it, and
// returns the group's id. A group of the connector's source with the same
// reference (its link lost) is taken back; a name taken by another group
// is CodeConflict.
func (s *Service) ApplySyncGroup(ctx context.Context, scope SyncScope, c SyncGroupChange) (string, error) {
	if err := scope.check(); err != nil {
		return "", err
	}
	id := c.GroupID
	err := s.store.InTx(ctx, func(r Repos) error {
		id = c.GroupID
		if id == "" {
			page, err := r.Groups().ListGroups(ctx, scope.OrgID, GroupQuery{Limit: 1,
				Filter: And{Eq(GroupSource, string(scope.Actor.Source)), Eq(GroupSourceRef, c.Ref)}})
			if err != nil {
				return err
			}
			if len(page.Groups) > 0 {
				id = page.Groups[0].ID
			}
		}
		if id == "" {
			g := &Group{DisplayName: c.Name, Source: scope.Actor.Source, SourceRef: c.Ref}
			if err := g.Validate(); err != nil {
				return err
			}
			now := s.Now()
			g.ID, g.OrgID, g.CreatedAt, g.UpdatedAt, g.Version = NewID(), scope.OrgID, now, now, 1
			if err := r.Groups().CreateGroup(ctx, g); err != nil {
				return err
			}
			id = g.ID
			if err := s.audit(ctx, r, scope.Actor, scope.OrgID, "group.create", "group", id, diffFields(nil, groupAuditFields(g))); err != nil {
				return err
			}
		} else if err := s.renameSyncGroup(ctx, r, scope, id, c.Name); err != nil {
			return err
		}
		return r.SyncLinks().PutLinks(ctx, []*SyncLink{{ConnectorID: scope.ConnectorID, OrgID: scope.OrgID,
			Kind: LinkGroup, Ref: c.Ref, ObjectID: id, MemberKey: c.MemberKey, Name: c.Name}})
	})
	return id, err
}

func (s *Service) renameSyncGroup(ctx context.Context, r Repos, scope SyncScope, id, name string) error {
	cur, err := r.Groups().GetGroup(ctx, scope.OrgID, id)
	if err != nil {
		return err
	}
	next := *cur
	next.DisplayName = name
	if err := next.Validate(); err != nil {
		return err
	}
	changes := diffFields(groupAuditFields(cur), groupAuditFields(&next))
	if len(changes) == 0 {
		return nil
	}
	if err := r.Groups().UpdateGroup(ctx, &next, s.Now()); err != nil {
		return err
	}
	return s.audit(ctx, r, scope.Actor, scope.OrgID, "group.update", "group", id, changes)
}

// ChangeSyncMembers adds users to a connector's group and removes others in
// one transaction with one audit event. Additions of users that are no
// longer live (deleted meanwhile) are dropped.
func (s *Service) ChangeSyncMembers(ctx context.Context, scope SyncScope, groupID string, add, remove []string) error {
	if err := scope.check(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(r Repos) error {
		live, err := r.SyncBatches().LiveUserIDs(ctx, scope.OrgID, add)
		if err != nil {
			return err
		}
		removed, err := r.Groups().RemoveMembers(ctx, scope.OrgID, groupID, dedupe(remove))
		if err != nil {
			return err
		}
		added, err := r.Groups().AddMembers(ctx, scope.OrgID, groupID, dedupe(live))
		if err != nil {
			return err
		}
		// A group mapped to a service gives its new members seats.
		if err := checkGroupSeats(ctx, r, scope.OrgID, groupID, added); err != nil {
			return err
		}
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		if _, err := r.Groups().TouchGroup(ctx, scope.OrgID, groupID, s.Now()); err != nil {
			return err
		}
		m := map[string]any{}
		if len(added) > 0 {
			m["added"] = added
		}
		if len(removed) > 0 {
			m["removed"] = removed
		}
		return s.audit(ctx, r, scope.Actor, scope.OrgID, "group.update", "group", groupID, map[string]Change{"members": {After: m}})
	})
}

// DeleteSyncGroup removes a group that left the directory, and its link.
// A group already gone only loses its link.
func (s *Service) DeleteSyncGroup(ctx context.Context, scope SyncScope, groupID, ref string) error {
	if err := scope.check(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(r Repos) error {
		g, err := r.Groups().GetGroup(ctx, scope.OrgID, groupID)
		switch {
		case IsCode(err, CodeNotFound):
		case err != nil:
			return err
		default:
			if err := r.Groups().DeleteGroup(ctx, scope.OrgID, groupID); err != nil {
				return err
			}
			if err := s.audit(ctx, r, scope.Actor, scope.OrgID, "group.delete", "group", groupID, diffFields(groupAuditFields(g), nil)); err != nil {
				return err
			}
		}
		return r.SyncLinks().DeleteLink(ctx, scope.OrgID, scope.ConnectorID, LinkGroup, ref)
	})
}
