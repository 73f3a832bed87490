package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/roster/roster/internal/directory"
)

// InactivityJobName is the inactivity job's name on the scheduler, in the
// ledger and as the audit actor's id.
const InactivityJobName = "inactivity"

// DefaultInactivitySchedule runs the inactivity job daily, at midnight UTC.
const DefaultInactivitySchedule = "@daily"

// InactivityActor is who the audit log says marked users inactive.
var InactivityActor = directory.Actor{Kind: directory.ActorJob, ID: InactivityJobName, Name: "inactivity job"}

// InactivityDirectory is what the inactivity job needs of the directory
// service; *directory.Service is one.
type InactivityDirectory interface {
	ListOrgs(ctx context.Context) ([]*directory.Org, error)
	GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error)
	// DeactivateInactiveUsers marks inactive, in one set-based pass, the
	// organization's active users, and its pending users without a live
	// invitation at now, whose last activity is older than its inactivity
	// days at now, each with its audit event, and returns how many it
	// marked.
	DeactivateInactiveUsers(ctx context.Context, actor directory.Actor, orgID string, now time.Time) (int, error)
	// ClaimInactivityWarnings returns the active users that will be marked
	// inactive within warnDays of now and have not been warned since their
	// last activity, and records them as warned.
	ClaimInactivityWarnings(ctx context.Context, orgID string, now time.Time, warnDays int) ([]*directory.User, error)
	// ReleaseInactivityWarning forgets a claimed warning that could not
	// be sent, so that the next run tries again.
	ReleaseInactivityWarning(ctx context.Context, orgID, userID string) error
}

// Notifier sends the warning that an account is about to be marked
// inactive. The mail package's notifier is adapted to it where the server
// is wired.
type Notifier interface {
	WarnInactive(ctx context.Context, org *directory.Org, u *directory.User, deactivateAt time.Time) error
}

// InactivityConfig tunes the inactivity job.
type InactivityConfig struct {
	// WarnDays is how many days before its deactivation a user is warned
	// by email; 0 sends no warning.
	WarnDays int
	// Notifier sends the warnings; required when WarnDays > 0.
	Notifier Notifier
	Logger   *slog.Logger
}

// Inactivity marks unused accounts inactive. An active user is inactive
// once its last login, or for one that never logged in the time it became
// active (else its creation), is older than its organization's inactivity
// days.
//
// A pending user (invited, no password yet) is counted the same way, from
// its creation, but only while it holds no live invitation: an invitation
// link that is unused and not expired shields it. Once the invitation
// expires unused, or for a pending user that was never invited, the same
// days apply. An admin brings such a user back by inviting it again
// (pending, with a new link) or by reactivating it.
//
// Warnings are emailed to active users only: a pending user has not
// signed in yet, and its invitation says how long it works.
type Inactivity struct {
	dir InactivityDirectory
	cfg InactivityConfig
}

// NewInactivity returns the inactivity job.
func NewInactivity(dir InactivityDirectory, cfg InactivityConfig) (*Inactivity, error) {
	if cfg.WarnDays < 0 || cfg.WarnDays > 365 {
		return nil, fmt.Errorf("jobs: inactivity warning days must be between 0 and 365, not %d", cfg.WarnDays)
	}
	if cfg.WarnDays > 0 && cfg.Notifier == nil {
		return nil, errors.New("jobs: inactivity warnings need a notifier")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Inactivity{dir: dir, cfg: cfg}, nil
}

// OrgResult is what one run did in one organization.
type OrgResult struct {
	Org         string // slug
	Deactivated int
	Warned      int
	WarnFailed  int
	Err         error
}

// Register adds the job to s on spec ("" for DefaultInactivitySchedule).
func (j *Inactivity) Register(s *Scheduler, spec string) error {
	if spec == "" {
		spec = DefaultInactivitySchedule
	}
	return s.Add(InactivityJobName, spec, j.Job())
}

// Job is the scheduler's view of the job: the tick is "now".
func (j *Inactivity) Job() Job {
	return func(ctx context.Context, tick time.Time) error {
		_, err := j.Run(ctx, tick, nil)
		return err
	}
}

// Run does one pass at now over the organizations named by slug (all when
// none is named). An organization that fails does not stop the others;
// the error joins every failure.
func (j *Inactivity) Run(ctx context.Context, now time.Time, slugs []string) ([]OrgResult, error) {
	orgs, err := j.orgs(ctx, slugs)
	if err != nil {
		return nil, err
	}
	results := make([]OrgResult, 0, len(orgs))
	var errs []error
	for _, org := range orgs {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res := j.runOrg(ctx, org, now)
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("organization %s: %w", org.Slug, res.Err))
		}
		results = append(results, res)
	}
	return results, errors.Join(errs...)
}

func (j *Inactivity) orgs(ctx context.Context, slugs []string) ([]*directory.Org, error) {
	if len(slugs) == 0 {
		return j.dir.ListOrgs(ctx)
	}
	out := make([]*directory.Org, 0, len(slugs))
	for _, s := range slugs {
		o, err := j.dir.GetOrgBySlug(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("organization %s: %w", s, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func (j *Inactivity) runOrg(ctx context.Context, org *directory.Org, now time.Time) OrgResult {
	res := OrgResult{Org: org.Slug}
	log := j.cfg.Logger.With("org", org.Slug)
	res.Deactivated, res.Err = j.dir.DeactivateInactiveUsers(ctx, InactivityActor, org.ID, now)
	if res.Err != nil {
		return res
	}
	if res.Deactivated > 0 {
		log.InfoContext(ctx, "users marked inactive", "count", res.Deactivated, "inactivity_days", org.Settings.InactivityDays)
	}
	if j.cfg.WarnDays == 0 {
		return res
	}
	users, err := j.dir.ClaimInactivityWarnings(ctx, org.ID, now, j.cfg.WarnDays)
	if err != nil {
		res.Err = err
		return res
	}
	for _, u := range users {
		at := DeactivationTime(u, org)
		if err := j.cfg.Notifier.WarnInactive(ctx, org, u, at); err != nil {
			res.WarnFailed++
			log.WarnContext(ctx, "inactivity warning not sent", "user", u.ID, "err", err)
			if err := j.dir.ReleaseInactivityWarning(context.WithoutCancel(ctx), org.ID, u.ID); err != nil {
				log.ErrorContext(ctx, "inactivity warning not released", "user", u.ID, "err", err)
			}
			continue
		}
		res.Warned++
	}
	return res
}

// LastActivity is the time the inactivity clock of u counts from: its
// last login, else when it became active, else its creation.
func LastActivity(u *directory.User) time.Time {
	switch {
	case u.LastLoginAt != nil:
		return *u.LastLoginAt
	case u.ActivatedAt != nil:
		return *u.ActivatedAt
	}
	return u.CreatedAt
}

// DeactivationTime is when u becomes inactive unless it logs in.
func DeactivationTime(u *directory.User, org *directory.Org) time.Time {
	return LastActivity(u).AddDate(0, 0, inactivityDays(org))
}

func inactivityDays(org *directory.Org) int {
	if org.Settings.InactivityDays > 0 {
		return org.Settings.InactivityDays
	}
	return directory.DefaultInactivityDays
}
