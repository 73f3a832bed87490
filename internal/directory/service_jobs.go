package directory

import (
	"context"
	"fmt"
	"time"
)

// inactivityCutoff is the last-activity time before which the
// organization's active users are inactive at now.
func inactivityCutoff(org *Org, now time.Time) (time.Time, int) {
	days := org.Settings.InactivityDays
	if days <= 0 {
		days = DefaultInactivityDays
	}
	return now.AddDate(0, 0, -days), days
}

// DeactivateInactiveUsers marks inactive the organization's users whose
// last activity (last login, else when they became active, else their
// creation) is older than its inactivity days at now, and returns how
// many: active users, and pending users (invited, no password yet) that
// hold no live invitation, either because it expired unused or because
// they were never invited. A live invitation shields a pending user; once
// it expires, the same clock applies as to everyone else. It is one
// set-based statement per status, with one audit event per user in the
// same transaction, however many users the organization has.
//
// The statuses the actor may not move to inactive are left out (an admin
// marks active users only; see the status matrix); an actor that may move
// none is refused.
func (s *Service) DeactivateInactiveUsers(ctx context.Context, actor Actor, orgID string, now time.Time) (int, error) {
	by := actor.StatusAuthority()
	var froms []Status
	var refused error
	for _, from := range inactivityFrom {
		if err := CheckTransition(&User{Status: from}, StatusInactive, by); err != nil {
			refused = err
			continue
		}
		froms = append(froms, from)
	}
	if len(froms) == 0 {
		return 0, refused
	}
	// Outside a transaction: the store marks users in batches, each
	// committed with its audit events, so that the pass never holds the
	// row locks of a whole organization while requests wait on them.
	org, err := s.store.Orgs().GetOrg(ctx, orgID)
	if err != nil {
		return 0, err
	}
	cutoff, days := inactivityCutoff(org, now)
	at := s.Now()
	n := 0
	for _, from := range froms {
		reason := fmt.Sprintf("no login for %d days", days)
		if from == StatusPending {
			reason = fmt.Sprintf("no password set for %d days and no valid invitation", days)
		}
		marked, err := s.store.Jobs().MarkInactive(ctx, InactivityMark{
			OrgID: orgID, From: from, Before: cutoff, Now: now, At: at, Reason: reason, SetBy: by, SetByID: actor.ID,
			Event: AuditEvent{
				Time: at, ActorKind: actor.Kind, ActorID: actor.ID, ActorName: actor.Name,
				Action: "user.status", RequestID: RequestID(ctx),
				Changes: map[string]Change{
					"status":       {Before: from, After: StatusInactive},
					"statusReason": {After: reason},
				},
			},
		})
		n += marked
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// inactivityFrom are the statuses the inactivity pass marks inactive, one
// statement each.
var inactivityFrom = []Status{StatusActive, StatusPending}

// ClaimInactivityWarnings returns the organization's active users that
// the inactivity pass will mark within warnDays of now and that were not
// warned since their last activity, and records them as warned. A user
// whose warning cannot be sent is released with ReleaseInactivityWarning.
func (s *Service) ClaimInactivityWarnings(ctx context.Context, orgID string, now time.Time, warnDays int) ([]*User, error) {
	if warnDays <= 0 {
		return nil, nil
	}
	var users []*User
	err := s.store.InTx(ctx, func(r Repos) error {
		org, err := r.Orgs().GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		cutoff, _ := inactivityCutoff(org, now)
		ids, err := r.Jobs().ClaimInactivityWarnings(ctx, orgID, cutoff, cutoff.AddDate(0, 0, warnDays), s.Now())
		if err != nil {
			return err
		}
		users = make([]*User, 0, len(ids))
		for _, id := range ids {
			u, err := r.Users().GetUser(ctx, orgID, id)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	return users, err
}

// ReleaseInactivityWarning forgets a warning that could not be sent, so
// that the next pass tries again.
func (s *Service) ReleaseInactivityWarning(ctx context.Context, orgID, userID string) error {
	return s.store.Jobs().ReleaseInactivityWarning(ctx, orgID, userID)
}
