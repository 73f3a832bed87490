package directory

import (
	"context"
	"slices"
)

// CreateService defines a service of an organization.
func (s *Service) CreateService(ctx context.Context, actor Actor, orgID string, in *OrgService) (*ServiceSeats, error) {
	sv := in.Clone()
	if err := sv.Validate(); err != nil {
		return nil, err
	}
	sv.GroupIDs = dedupe(sv.GroupIDs)
	now := s.Now()
	sv.ID, sv.OrgID, sv.CreatedAt, sv.UpdatedAt, sv.Version = NewID(), orgID, now, now, 1
	var used int
	err := s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.Orgs().GetOrg(ctx, orgID); err != nil {
			return err
		}
		all, err := r.Services().ListServices(ctx, orgID)
		if err != nil {
			return err
		}
		if len(all) >= maxServices {
			return Errorf(CodeInvalid, "an organization has at most %d services", maxServices)
		}
		if err := r.Services().CreateService(ctx, sv); err != nil {
			return err
		}
		if len(sv.GroupIDs) > 0 {
			if err := r.Services().SetServiceGroups(ctx, orgID, sv.ID, sv.GroupIDs); err != nil {
				return err
			}
		}
		// Users may hold the key already, as a plain entitlement: they
		// hold the service from now on. They must fit a limit given.
		seats, err := r.Services().CountSeats(ctx, orgID, []string{sv.Key}, nil)
		if err != nil {
			return err
		}
		used = seats[sv.Key]
		if sv.SeatLimit != nil && used > *sv.SeatLimit {
			return FieldErrorf(CodeConflict, "seatLimit", "%d users would hold service %q, more than its %d seats", used, sv.Key, *sv.SeatLimit)
		}
		return s.audit(ctx, r, actor, orgID, "service.create", "service", sv.ID, diffFields(nil, serviceAuditFields(sv)))
	})
	if err != nil {
		return nil, err
	}
	return &ServiceSeats{OrgService: sv, Used: used}, nil
}

// GetService returns a service of the organization with its seats used.
func (s *Service) GetService(ctx context.Context, orgID, id string) (*ServiceSeats, error) {
	sv, err := s.store.Services().GetService(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	seats, err := s.store.Services().CountSeats(ctx, orgID, []string{sv.Key}, nil)
	if err != nil {
		return nil, err
	}
	return &ServiceSeats{OrgService: sv, Used: seats[sv.Key]}, nil
}

// ListServices lists an organization's services by key, each with its
// seats used, in two queries.
func (s *Service) ListServices(ctx context.Context, orgID string) ([]ServiceSeats, error) {
	all, err := s.store.Services().ListServices(ctx, orgID)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(all))
	for i, sv := range all {
		keys[i] = sv.Key
	}
	seats, err := s.store.Services().CountSeats(ctx, orgID, keys, nil)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceSeats, len(all))
	for i, sv := range all {
		out[i] = ServiceSeats{OrgService: sv, Used: seats[sv.Key]}
	}
	return out, nil
}

// UpdateService changes a service's name, description and seat limit
// (its key stays). ifVersion pins the version the caller read (0: any). A
// seat limit below the seats in use is refused: unassign users first.
func (s *Service) UpdateService(ctx context.Context, actor Actor, orgID, id string, ifVersion int64, mutate func(*OrgService) error) (*ServiceSeats, error) {
	var out *ServiceSeats
	err := retryStale(ifVersion != 0, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Services().GetService(ctx, orgID, id)
			if err != nil {
				return err
			}
			if ifVersion != 0 && cur.Version != ifVersion {
				return ErrStale
			}
			next := cur.Clone()
			if err := mutate(next); err != nil {
				return err
			}
			next.ID, next.OrgID, next.Key, next.CreatedAt, next.UpdatedAt, next.Version = cur.ID, cur.OrgID, cur.Key, cur.CreatedAt, cur.UpdatedAt, cur.Version
			if err := next.Validate(); err != nil {
				return err
			}
			next.GroupIDs = dedupe(next.GroupIDs) // sorted, as the store lists them
			if next.SeatLimit != nil {
				// Taken first, so that no assignment slips in between the
				// count and the new limit.
				if err := r.Services().TakeSeats(ctx, orgID, []string{cur.Key}); err != nil {
					return err
				}
			}
			if !slices.Equal(cur.GroupIDs, next.GroupIDs) {
				if err := r.Services().SetServiceGroups(ctx, orgID, id, next.GroupIDs); err != nil {
					return err
				}
			}
			seats, err := r.Services().CountSeats(ctx, orgID, []string{cur.Key}, nil)
			if err != nil {
				return err
			}
			used := seats[cur.Key]
			if next.SeatLimit != nil && *next.SeatLimit < used {
				return FieldErrorf(CodeConflict, "seatLimit", "service %q would be held by %d users; a limit of %d is below that: unassign users first", cur.Key, used, *next.SeatLimit)
			}
			changes := diffFields(serviceAuditFields(cur), serviceAuditFields(next))
			if len(changes) == 0 {
				out = &ServiceSeats{OrgService: cur, Used: used}
				return nil
			}
			if err := r.Services().UpdateService(ctx, next, s.Now()); err != nil {
				return err
			}
			out = &ServiceSeats{OrgService: next, Used: used}
			return s.audit(ctx, r, actor, orgID, "service.update", "service", id, changes)
		})
	})
	return out, err
}

// DeleteService removes a service nobody holds. Users holding it must be
// unassigned first, so that no licence disappears unnoticed.
func (s *Service) DeleteService(ctx context.Context, actor Actor, orgID, id string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		cur, err := r.Services().GetService(ctx, orgID, id)
		if err != nil {
			return err
		}
		seats, err := r.Services().CountSeats(ctx, orgID, []string{cur.Key}, nil)
		if err != nil {
			return err
		}
		if n := seats[cur.Key]; n > 0 {
			return Errorf(CodeConflict, "service %q is held by %d users: unassign them first", cur.Key, n)
		}
		if err := r.Services().DeleteService(ctx, orgID, id); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "service.delete", "service", id, diffFields(serviceAuditFields(cur), nil))
	})
}

// OrgServices lists an organization's services by key, without their
// seats (one query).
func (s *Service) OrgServices(ctx context.Context, orgID string) ([]*OrgService, error) {
	return s.store.Services().ListServices(ctx, orgID)
}

func resolveServices(ctx context.Context, r Repos, orgID string, keys []string) ([]*OrgService, error) {
	all, err := r.Services().ListServices(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return PickServices(all, keys)
}

// PickServices returns the services among all (an organization's) of these
// keys, in their order and without repeats; a key that names none is
// CodeInvalid naming it.
func PickServices(all []*OrgService, keys []string) ([]*OrgService, error) {
	byKey := make(map[string]*OrgService, len(all))
	for _, sv := range all {
		byKey[sv.Key] = sv
	}
	var out []*OrgService
	seen := map[string]bool{}
	for _, k := range keys {
		k = ServiceKey(k)
		if seen[k] {
			continue
		}
		seen[k] = true
		sv := byKey[k]
		if sv == nil {
			return nil, FieldErrorf(CodeInvalid, "services", "no service with the key %q in this organization", k)
		}
		out = append(out, sv)
	}
	return out, nil
}

// UserServices returns the services among the organization's (all) that
// the user holds, by key.
func UserServices(u *User, all []*OrgService) []*OrgService {
	var out []*OrgService
	for _, sv := range all {
		if HoldsService(u.Entitlements, sv.Key) {
			out = append(out, sv)
		}
	}
	return out
}

// ServicesOfUser returns the organization's services a user holds,
// through its entitlements or through its groups, by key. It reads the
// user's groups only when a service is mapped to groups.
func (s *Service) ServicesOfUser(ctx context.Context, u *User) ([]*OrgService, error) {
	all, err := s.store.Services().ListServices(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	return servicesOfUser(ctx, s.store, u, all)
}

func servicesOfUser(ctx context.Context, r Repos, u *User, all []*OrgService) ([]*OrgService, error) {
	mapped := slices.ContainsFunc(all, func(sv *OrgService) bool { return len(sv.GroupIDs) > 0 })
	if !mapped {
		return UserServices(u, all), nil
	}
	groups, err := r.Groups().GroupsOfUser(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	in := make(map[string]bool, len(groups))
	for _, g := range groups {
		in[g.ID] = true
	}
	var out []*OrgService
	for _, sv := range all {
		if HoldsService(u.Entitlements, sv.Key) || slices.ContainsFunc(sv.GroupIDs, func(id string) bool { return in[id] }) {
			out = append(out, sv)
		}
	}
	return out, nil
}

// SetServices makes u hold exactly the services want among the
// organization's (all): entitlements naming other services are removed,
// missing ones added with the service's name as display; entitlements
// that name no service stay.
func SetServices(u *User, want, all []*OrgService) {
	keep := make(map[string]bool, len(want))
	for _, sv := range want {
		keep[sv.Key] = true
	}
	known := make(map[string]bool, len(all))
	for _, sv := range all {
		known[sv.Key] = true
	}
	u.Entitlements = slices.DeleteFunc(slices.Clone(u.Entitlements), func(g Grant) bool {
		k := ServiceKey(g.Value)
		return known[k] && !keep[k]
	})
	AddServices(u, want)
}

// AddServices gives u the services it does not hold yet.
func AddServices(u *User, add []*OrgService) {
	for _, sv := range add {
		if !HoldsService(u.Entitlements, sv.Key) {
			u.Entitlements = append(u.Entitlements, Grant{Value: sv.Key, Display: sv.Name})
		}
	}
}

// RemoveServices takes the services from u.
func RemoveServices(u *User, remove []*OrgService) {
	drop := make(map[string]bool, len(remove))
	for _, sv := range remove {
		drop[sv.Key] = true
	}
	u.Entitlements = slices.DeleteFunc(slices.Clone(u.Entitlements), func(g Grant) bool { return drop[ServiceKey(g.Value)] })
}

// AssignServices gives services to users (a list selection), all in one
// transaction: an unknown key, a user that is not a live user of the
// organization, or a service without enough free seats for all of them
// refuses the whole change. Users holding a service already keep it.
// It returns the users as written (those unchanged as read).
func (s *Service) AssignServices(ctx context.Context, actor Actor, orgID string, userIDs, keys []string) ([]*User, error) {
	return s.changeServices(ctx, actor, orgID, userIDs, keys, "user.services.assign", AddServices)
}

// UnassignServices takes services from users, all in one transaction.
func (s *Service) UnassignServices(ctx context.Context, actor Actor, orgID string, userIDs, keys []string) ([]*User, error) {
	return s.changeServices(ctx, actor, orgID, userIDs, keys, "user.services.unassign", RemoveServices)
}

func (s *Service) changeServices(ctx context.Context, actor Actor, orgID string, userIDs, keys []string, action string, change func(*User, []*OrgService)) ([]*User, error) {
	userIDs = dedupe(userIDs)
	switch {
	case len(userIDs) == 0:
		return nil, FieldErrorf(CodeInvalid, "userIds", "name at least one user")
	case len(userIDs) > MaxImportBatch:
		return nil, FieldErrorf(CodeInvalid, "userIds", "at most %d users at once", MaxImportBatch)
	case len(keys) == 0:
		return nil, FieldErrorf(CodeInvalid, "services", "name at least one service")
	}
	var out []*User
	err := retryStale(false, func() error {
		out = make([]*User, 0, len(userIDs))
		return s.store.InTx(ctx, func(r Repos) error {
			svcs, err := resolveServices(ctx, r, orgID, keys)
			if err != nil {
				return err
			}
			var tally seatTally
			for _, id := range userIDs {
				cur, err := liveUserForUpdate(ctx, r, orgID, id, 0)
				if err != nil {
					return err
				}
				next := cur.Clone()
				change(next, svcs)
				if slices.Equal(cur.Entitlements, next.Entitlements) {
					out = append(out, cur)
					continue
				}
				if err := next.Validate(); err != nil {
					return err
				}
				tally.add(id, cur.Entitlements, next.Entitlements)
				var written *User
				if err := s.writeUser(ctx, r, actor, action, cur, next, &written); err != nil {
					return err
				}
				out = append(out, written)
			}
			return checkSeats(ctx, r, orgID, &tally)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func serviceAuditFields(sv *OrgService) map[string]any {
	if sv == nil {
		return nil
	}
	f := map[string]any{"key": sv.Key, "name": sv.Name, "description": sv.Description, "seatLimit": nil, "groupIds": sv.GroupIDs}
	if sv.SeatLimit != nil {
		f["seatLimit"] = *sv.SeatLimit
	}
	return f
}
