package directory

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"
)

// requiresAllProperties reports whether writes by actor must supply every
// required custom property. Directories may not know the organization's
// properties, so only people (and their imports) are held to them.
func requiresAllProperties(actor Actor) bool {
	return actor.Kind == ActorAdmin || actor.Kind == ActorOperator || actor.Kind == ActorUser
}

// CreateUser creates a user in an organization. The status defaults to
// pending for a local user without a password (it waits for its invitation)
// and active otherwise; a caller may ask for suspended (a directory creating a
// disabled account). The returned user carries its id and version.
func (s *Service) CreateUser(ctx context.Context, actor Actor, orgID string, in *User) (*User, error) {
	u := in.Clone()
	MirrorContacts(nil, u)
	u.Normalize()
	authority := actor.StatusAuthority()
	if err := checkNewUser(u); err != nil {
		return nil, err
	}
	now := s.Now()
	u.ID, u.OrgID, u.CreatedAt, u.UpdatedAt, u.Version = NewID(), orgID, now, now, 1
	u.StatusSetBy, u.StatusSetByID, u.StatusChangedAt = authority, actor.ID, now
	u.StatusBeforeDelete, u.StatusBeforeDeleteSetBy, u.DeletedAt = "", "", nil
	u.FailedLogins, u.LastLoginAt, u.LockedUntil = 0, nil, nil
	u.RoleFromMapping = false
	if u.Status == StatusActive {
		u.ActivatedAt = &now
	}
	err := s.store.InTx(ctx, func(r Repos) error {
		// Custom properties are checked against the organization's
		// definitions; with none to check (an IdP's create), the store
		// alone refuses an organization that does not exist, and the
		// create costs one round trip.
		mapRoles := actor.Kind == ActorToken && len(u.Roles) > 0
		if len(u.Properties) > 0 || requiresAllProperties(actor) || mapRoles {
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			if err := ValidateProperties(org, u.Properties, requiresAllProperties(actor)); err != nil {
				return err
			}
			if mapRoles {
				applyRoleMapping(&org.Settings, u)
			}
		}
		if err := checkSCIMWrite(ctx, r, actor, nil, u); err != nil {
			return err
		}
		if err := checkLoginDomain(ctx, r, orgID, u.Email); err != nil {
			return err
		}
		var seats seatTally
		seats.add(u.ID, nil, u.Entitlements)
		if err := checkSeats(ctx, r, orgID, &seats); err != nil {
			return err
		}
		if err := r.Users().CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "user.create", "user", u.ID, createdFields(u))
	})
	if err != nil {
		return nil, s.auditRefusal(ctx, actor, orgID, "", err)
	}
	s.users.put(u)
	return u, nil
}

// applyRoleMapping sets the Roster role of u, whose SCIM roles an identity
// provider just wrote, from the organization's role mappings: the highest
// role its SCIM roles map to. A user none of whose SCIM roles is mapped
// falls back to user if its role came from the mappings, and keeps it if
// an admin set it. With no mappings, SCIM roles are plain data.
func applyRoleMapping(s *OrgSettings, u *User) {
	if len(s.RoleMappings) == 0 {
		return
	}
	if mapped := s.MappedRole(u.Roles); mapped != "" {
		u.Role, u.RoleFromMapping = mapped, true
		return
	}
	if u.RoleFromMapping {
		u.Role, u.RoleFromMapping = RoleUser, false
	}
}

// checkNewUser gives a new (normalized) user its default status, pending
// for a local user without a password (it waits for its invitation) and
// active otherwise, refuses a status a new user cannot have, and validates
// it.
func checkNewUser(u *User) error {
	switch u.Status {
	case "":
		if u.PasswordHash == "" && u.AuthMethod == AuthLocal && !u.Source.IsDirectory() {
			u.Status = StatusPending
		} else {
			u.Status = StatusActive
		}
	case StatusActive, StatusPending, StatusSuspended:
	default:
		return FieldErrorf(CodeInvalid, "status", "a new user can be active, pending or suspended, not %s", u.Status)
	}
	return u.Validate()
}

// GetUser returns a user of the organization, soft-deleted or not.
func (s *Service) GetUser(ctx context.Context, orgID, id string) (*User, error) {
	u, err := s.store.Users().GetUser(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	s.users.put(u)
	return u, nil
}

// ListUsers lists an organization's users.
func (s *Service) ListUsers(ctx context.Context, orgID string, q UserQuery) (*UserPage, error) {
	q.Limit = ClampLimit(q.Limit)
	if q.Offset < 0 || q.AfterOffset < 0 {
		return nil, Errorf(CodeInvalid, "offset must not be negative")
	}
	page, err := s.store.Users().ListUsers(ctx, orgID, q)
	if err != nil {
		return nil, err
	}
	if len(page.Users) == 1 && !StaleReadsOK(ctx) {
		// A lookup by filter (an identity provider's before it writes),
		// not a page of a listing, which would only churn the cache. A
		// user read from a replica may be behind: no use to an update.
		s.users.put(page.Users[0])
	}
	return page, nil
}

// CountUsersByStatus returns seat usage: users per status and source.
func (s *Service) CountUsersByStatus(ctx context.Context, orgID string) (map[Status]map[Source]int, error) {
	return s.store.Users().CountUsersByStatus(ctx, orgID)
}

// UpdateUser applies mutate to a live (not deleted) user and writes the
// result. ifVersion pins the version the caller read (0: any, and lost races
// are retried). The mutator may change attributes, role, password hash and
// status; a status change is checked against the rules for the actor's
// authority, except that a directory asking to lift a status it did not set
// is quietly ignored (DESIGN.md: an IdP re-sending active=true unbans
// nobody). A mutation that changes nothing writes nothing and keeps the
// version.
func (s *Service) UpdateUser(ctx context.Context, actor Actor, orgID, id string, ifVersion int64, mutate func(*User) error) (*User, error) {
	if known := s.users.get(orgID, id); known != nil && (ifVersion == 0 || ifVersion == known.Version) {
		out, committing, err := s.updateUserOnce(ctx, actor, orgID, id, ifVersion, mutate, known)
		if err == nil {
			s.users.put(out)
			return out, nil
		}
		s.users.drop(orgID, id)
		if committing && !errors.Is(err, ErrStale) {
			// The commit failed on the store's own grounds (a taken
			// userName), or with an outcome unknown: as on the path below,
			// that is the answer, and the change is not tried again.
			return nil, err
		}
		// Stale, or refused before the commit on what may be an old copy
		// (nothing was written): judged again on the user as stored.
	}
	var out *User
	err := retryStale(ifVersion != 0, func() error {
		var err error
		out, _, err = s.updateUserOnce(ctx, actor, orgID, id, ifVersion, mutate, nil)
		return err
	})
	if err != nil {
		return nil, s.auditRefusal(ctx, actor, orgID, id, err)
	}
	s.users.put(out)
	return out, nil
}

// updateUserOnce is one transaction of UpdateUser: on the user as read and
// locked, or, if known is not nil, on known assumed to be the user stored
// (UserStore.AssumeUser), which saves the read. committing reports that
// the transaction got as far as its commit, so that err, if any, is the
// commit's.
func (s *Service) updateUserOnce(ctx context.Context, actor Actor, orgID, id string, ifVersion int64, mutate func(*User) error, known *User) (out *User, committing bool, err error) {
	err = s.store.InTx(ctx, func(r Repos) error {
		committing = false // the store may run this again
		var cur *User
		var err error
		if known != nil {
			r.Users().AssumeUser(known)
			cur, err = liveUser(known, id, ifVersion)
		} else {
			cur, err = liveUserForUpdate(ctx, r, orgID, id, ifVersion)
		}
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := mutate(next); err != nil {
			return err
		}
		keepImmutable(cur, next)
		MirrorContacts(cur, next)
		next.Normalize()
		if actor.Kind != ActorToken && next.Role != cur.Role {
			// A role set by hand is the admin's: SCIM roles the
			// mappings do not cover never take it back.
			next.RoleFromMapping = false
		}
		if actor.Kind == ActorToken && !slices.Equal(cur.Roles, next.Roles) {
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			applyRoleMapping(&org.Settings, next)
		}
		if err := s.applyStatusChange(actor, cur, next); err != nil {
			return err
		}
		if err := next.Validate(); err != nil {
			return err
		}
		if err := checkSCIMWrite(ctx, r, actor, cur, next); err != nil {
			return err
		}
		if err := checkOwned(ctx, r, actor, cur, next); err != nil {
			return err
		}
		if !strings.EqualFold(cur.Email, next.Email) {
			if err := checkLoginDomain(ctx, r, orgID, next.Email); err != nil {
				return err
			}
		}
		if !samePropertyValues(cur.Properties, next.Properties) {
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			if err := ValidateProperties(org, next.Properties, requiresAllProperties(actor)); err != nil {
				return err
			}
		}
		if !slices.Equal(cur.Entitlements, next.Entitlements) {
			var seats seatTally
			seats.add(id, cur.Entitlements, next.Entitlements)
			if err := checkSeats(ctx, r, orgID, &seats); err != nil {
				return err
			}
		}
		changes := userChanges(cur, next)
		if cur.PasswordHash != next.PasswordHash {
			// Which hash is recorded nowhere; that it changed is.
			changes["password"] = Change{After: "changed"}
		}
		if len(changes) == 0 {
			if known != nil {
				// Nothing to write, so nothing checks the copy: it may
				// be old, and "unchanged" is only true of the stored user.
				return ErrStale
			}
			out = cur
			committing = true
			return nil
		}
		if err := r.Users().UpdateUser(ctx, next, s.Now()); err != nil {
			return err
		}
		if err := s.audit(ctx, r, actor, orgID, "user.update", "user", id, changes); err != nil {
			return err
		}
		if err := s.endSessions(ctx, r, actor, cur, next); err != nil {
			return err
		}
		out = next
		committing = true
		return nil
	})
	if err != nil {
		return nil, committing, err
	}
	return out, true, nil
}

// liveUserForUpdate reads and locks a user that is not deleted, at
// ifVersion if that is not 0 (else ErrStale).
func liveUserForUpdate(ctx context.Context, r Repos, orgID, id string, ifVersion int64) (*User, error) {
	u, err := r.Users().GetUserForUpdate(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	return liveUser(u, id, ifVersion)
}

// liveUser returns u if it is not deleted and, if ifVersion is not 0, at
// that version (else ErrStale).
func liveUser(u *User, id string, ifVersion int64) (*User, error) {
	if u.Deleted() {
		return nil, Errorf(CodeNotFound, "user %s not found", id)
	}
	if ifVersion != 0 && u.Version != ifVersion {
		return nil, ErrStale
	}
	return u, nil
}

// keepImmutable puts back what no mutator may change.
func keepImmutable(cur, next *User) {
	next.ID, next.OrgID, next.CreatedAt, next.UpdatedAt, next.Version = cur.ID, cur.OrgID, cur.CreatedAt, cur.UpdatedAt, cur.Version
	next.Source = cur.Source
	next.DeletedAt, next.StatusBeforeDelete, next.StatusBeforeDeleteSetBy = cur.DeletedAt, cur.StatusBeforeDelete, cur.StatusBeforeDeleteSetBy
	next.StatusSetBy, next.StatusSetByID, next.StatusChangedAt = cur.StatusSetBy, cur.StatusSetByID, cur.StatusChangedAt
	next.LastLoginAt, next.ActivatedAt, next.FailedLogins, next.LockedUntil = cur.LastLoginAt, cur.ActivatedAt, cur.FailedLogins, cur.LockedUntil
}

// applyStatusChange checks and records a status change a mutator made.
func (s *Service) applyStatusChange(actor Actor, cur, next *User) error {
	if next.Status == cur.Status {
		if next.StatusReason != cur.StatusReason && actor.StatusAuthority() != cur.StatusSetBy && actor.StatusAuthority() != AuthorityAdmin {
			next.StatusReason = cur.StatusReason
		}
		return nil
	}
	by := actor.StatusAuthority()
	if next.Status == StatusDeleted {
		return Errorf(CodeInvalid, "delete users with DeleteUser, not by setting their status")
	}
	if err := CheckTransition(cur, next.Status, by); err != nil {
		if by.IsDirectory() && IsCode(err, CodeForbidden) {
			next.Status, next.StatusReason = cur.Status, cur.StatusReason
			return nil
		}
		return err
	}
	s.stampStatus(actor, next, next.Status, next.StatusReason)
	return nil
}

// stampStatus records who set the status and when.
func (s *Service) stampStatus(actor Actor, u *User, to Status, reason string) {
	now := s.Now()
	if to == StatusActive && (u.Status != StatusActive || u.ActivatedAt == nil) {
		// The inactivity clock of a user who never logs in starts here.
		u.ActivatedAt = &now
	}
	if to == StatusActive {
		u.FailedLogins, u.LockedUntil = 0, nil
	}
	if reason == "" {
		reason = "set by " + string(actor.StatusAuthority())
	}
	u.Status, u.StatusReason = to, reason
	u.StatusSetBy, u.StatusSetByID, u.StatusChangedAt = actor.StatusAuthority(), actor.ID, now
}

// SetStatus moves a live user to another status (ban, unlock, re-validate,
// mark inactive …) if the actor's authority allows it, and records why.
func (s *Service) SetStatus(ctx context.Context, actor Actor, orgID, id string, to Status, reason string) (*User, error) {
	if to == StatusDeleted {
		return nil, Errorf(CodeInvalid, "use DeleteUser to delete users")
	}
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Users().GetUserForUpdate(ctx, orgID, id)
			if err != nil {
				return err
			}
			if err := CheckTransition(cur, to, actor.StatusAuthority()); err != nil {
				return err
			}
			if cur.Status == to && cur.StatusReason == reason {
				out = cur
				return nil
			}
			next := cur.Clone()
			if cur.Status == to {
				// Same status, new reason only: keep who set it.
				next.StatusReason = reason
			} else {
				s.stampStatus(actor, next, to, reason)
			}
			return s.writeUser(ctx, r, actor, "user.status", cur, next, &out)
		})
	})
	return out, err
}

// DeleteUser soft-deletes a user: it keeps its history and can be restored.
// ifVersion pins the version the caller read (0: any), checked in the same
// transaction as the delete. As UpdateUser does, it writes from the copy of
// the user the service has, if any, on the condition that the user is
// still at that version (one round trip on PostgreSQL), and otherwise
// reads and locks the user.
func (s *Service) DeleteUser(ctx context.Context, actor Actor, orgID, id string, ifVersion int64) (*User, error) {
	if known := s.users.get(orgID, id); known != nil && (ifVersion == 0 || ifVersion == known.Version) {
		out, committing, err := s.deleteUserOnce(ctx, actor, orgID, id, ifVersion, known)
		if err == nil {
			return out, nil
		}
		s.users.drop(orgID, id)
		if committing && !errors.Is(err, ErrStale) {
			// The commit failed on the store's own grounds, or with an
			// outcome unknown: that is the answer (see UpdateUser).
			return nil, err
		}
		// Stale, or refused on what may be an old copy: judged again on
		// the user as stored.
	}
	var out *User
	err := retryStale(ifVersion != 0, func() error {
		var err error
		out, _, err = s.deleteUserOnce(ctx, actor, orgID, id, ifVersion, nil)
		return err
	})
	if err != nil {
		return nil, s.auditRefusal(ctx, actor, orgID, id, err)
	}
	return out, nil
}

// deleteUserOnce is one transaction of DeleteUser, on the user as read and
// locked or, if known is not nil, on known assumed to be the user stored
// (see updateUserOnce, and committing there).
func (s *Service) deleteUserOnce(ctx context.Context, actor Actor, orgID, id string, ifVersion int64, known *User) (out *User, committing bool, err error) {
	err = s.store.InTx(ctx, func(r Repos) error {
		committing = false // the store may run this again
		var cur *User
		var err error
		if known != nil {
			r.Users().AssumeUser(known)
			cur, err = liveUser(known, id, ifVersion)
		} else {
			cur, err = liveUserForUpdate(ctx, r, orgID, id, ifVersion)
		}
		if err != nil {
			return err
		}
		if err := CheckTransition(cur, StatusDeleted, actor.StatusAuthority()); err != nil {
			return err
		}
		if actor.Kind == ActorToken {
			if err := checkNotLastOrgAdmin(ctx, r, cur); err != nil {
				return err
			}
		}
		next := cur.Clone()
		now := s.Now()
		next.StatusBeforeDelete, next.StatusBeforeDeleteSetBy = cur.Status, cur.StatusSetBy
		next.DeletedAt = &now
		s.stampStatus(actor, next, StatusDeleted, "deleted")
		if err := s.writeUser(ctx, r, actor, "user.delete", cur, next, &out); err != nil {
			return err
		}
		// The user leaves the members its groups show.
		if err := r.Groups().TouchGroupsOfUsers(ctx, orgID, []string{id}, now); err != nil {
			return err
		}
		committing = true
		return nil
	})
	if err != nil {
		return nil, committing, err
	}
	return out, true, nil
}

// RestoreUser brings a soft-deleted user back with the status it had before
// (see RestoreStatus).
func (s *Service) RestoreUser(ctx context.Context, actor Actor, orgID, id string) (*User, error) {
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Users().GetUserForUpdate(ctx, orgID, id)
			if err != nil {
				return err
			}
			to, setBy, err := RestoreStatus(cur, actor.StatusAuthority())
			if err != nil {
				return err
			}
			next := cur.Clone()
			s.stampStatus(actor, next, to, "restored")
			next.StatusSetBy = setBy
			next.DeletedAt, next.StatusBeforeDelete, next.StatusBeforeDeleteSetBy = nil, "", ""
			if err := checkRestorable(ctx, r, next); err != nil {
				return err
			}
			// A restored user takes the seats of its services again.
			var seats seatTally
			seats.add(id, nil, next.Entitlements)
			if err := checkSeats(ctx, r, orgID, &seats); err != nil {
				return err
			}
			if err := s.writeUser(ctx, r, actor, "user.restore", cur, next, &out); err != nil {
				return err
			}
			// The user is back among the members its groups show.
			return r.Groups().TouchGroupsOfUsers(ctx, orgID, []string{id}, s.Now())
		})
	})
	return out, err
}

// writeUser stores next (read as cur in this transaction) and audits the
// difference.
func (s *Service) writeUser(ctx context.Context, r Repos, actor Actor, action string, cur, next *User, out **User) error {
	// Whatever the outcome, a copy of the user is older than this write.
	s.users.drop(next.OrgID, next.ID)
	if err := r.Users().UpdateUser(ctx, next, s.Now()); err != nil {
		return err
	}
	*out = next
	if err := s.audit(ctx, r, actor, next.OrgID, action, "user", next.ID, userChanges(cur, next)); err != nil {
		return err
	}
	return s.endSessions(ctx, r, actor, cur, next)
}

// RecordLogin notes a successful login: last login time, and the failed
// attempt counter reset. It is not audited field by field; the login flow
// writes its own event.
func (s *Service) RecordLogin(ctx context.Context, orgID, id string, at time.Time) error {
	return retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			u, err := r.Users().GetUserForUpdate(ctx, orgID, id)
			if err != nil {
				return err
			}
			at := at.UTC().Truncate(time.Microsecond)
			u.LastLoginAt, u.FailedLogins, u.LockedUntil = &at, 0, nil
			return r.Users().UpdateUser(ctx, u, s.Now())
		})
	})
}

func samePropertyValues(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// userAuditFields is what audit events show of a user. The password hash is
// left out: audit logs never hold secrets (UpdateUser notes that it changed).
func userAuditFields(u *User) map[string]any {
	f := map[string]any{
		"sourceRef":       u.SourceRef,
		"emails":          u.Emails,
		"roles":           u.Roles,
		"entitlements":    u.Entitlements,
		"enterprise":      u.Enterprise,
		"profile":         u.Profile,
		"role":            u.Role,
		"roleFromMapping": u.RoleFromMapping,
		"authMethod":      u.AuthMethod,
		"status":          u.Status,
		"statusReason":    u.StatusReason,
		"source":          u.Source,
		// Shown when an unlock lifts the last admin's temporary lock.
		"lockedUntil": u.LockedUntil,
	}
	// The catalogue's text attributes, under their names; the enterprise
	// ones travel together as "enterprise".
	for _, a := range userAttributes {
		if a.Text != nil && !strings.HasPrefix(string(a.Name), enterprisePrefix) {
			f[string(a.Name)] = *a.Text(u)
		}
	}
	for k, v := range u.Properties {
		f["properties."+k] = v
	}
	return f
}
