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

// DeactivateInactiveUsers marks inactive the organization's active users
// whose last activity (last login, else when they became active) is older
// than its inactivity days at now, and returns how many. It is one
// set-based statement, with one audit event per user in the same
// transaction, however many users the organization has. Pending users
// (invited, no password yet) are never active, so never marked: their
// clock starts when they become active.
func (s *Service) DeactivateInactiveUsers(ctx context.Context, actor Actor, orgID string, now time.Time) (int, error) {
	by := actor.StatusAuthority()
	if err := CheckTransition(&User{Status: StatusActive}, StatusInactive, by); err != nil {
		return 0, err
	}
	var n int
	err := s.store.InTx(ctx, func(r Repos) error {
		org, err := r.Orgs().GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		cutoff, days := inactivityCutoff(org, now)
		reason := fmt.Sprintf("no login for %d days", days)
		at := s.Now()
		n, err = r.Jobs().MarkInactive(ctx, InactivityMark{
			OrgID: orgID, Before: cutoff, At: at, Reason: reason, SetBy: by, SetByID: actor.ID,
			Event: AuditEvent{
				Time: at, ActorKind: actor.Kind, ActorID: actor.ID, ActorName: actor.Name,
				Action: "user.status", RequestID: RequestID(ctx),
				Changes: map[string]Change{
					"status":       {Before: StatusActive, After: StatusInactive},
					"statusReason": {After: reason},
				},
			},
		})
		return err
	})
	return n, err
}

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
