package directory

import (
	"context"
	"fmt"
	"time"
)

// UsageRow is one count of a usage snapshot: the organization's users of
// one status, role and source on a day.
type UsageRow struct {
	Day    string // YYYY-MM-DD, UTC
	Status Status
	Role   Role
	Source Source
	Users  int
}

// UsageServiceRow is one service's seats in a usage snapshot.
type UsageServiceRow struct {
	Day   string // YYYY-MM-DD, UTC
	Key   string
	Name  string // the service's name on that day
	Seats int    // users not deleted holding the service
	Limit *int   // the seat limit on that day; nil: none
}

// UsageService is one service's seats on a day of the usage history.
type UsageService struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Seats int    `json:"seats" doc:"Users not deleted holding the service (an entitlement or a mapped group), once each."`
	Limit *int   `json:"seatLimit" doc:"The service's seat limit that day; null: no limit."`
}

// UsageDay is one day of an organization's usage history.
type UsageDay struct {
	Day      string         `json:"day"`
	Seats    int            `json:"seats"` // users not deleted
	ByStatus map[Status]int `json:"byStatus"`
	ByRole   map[Role]int   `json:"byRole"`   // users not deleted
	BySource map[Source]int `json:"bySource"` // users not deleted
	// Services are the organization's services that day, by key.
	Services    []UsageService    `json:"services"`
	Rows        []UsageRow        `json:"-"`
	ServiceRows []UsageServiceRow `json:"-"`
}

// UsageSnapshot is what a snapshot wrote: the counts by status, role and
// source, the services' seats, how many combinations of deltas and how
// many services' seat changes it folded in, and whether it counted every
// user and every holder again instead.
type UsageSnapshot struct {
	Counts      int
	Services    int
	Folded      int64
	SeatsFolded int64
	Recounted   bool
}

// UsageDayLayout is the layout of a usage day.
const UsageDayLayout = time.DateOnly

// MaxUsageDays bounds the days one history request spans.
const MaxUsageDays = 3 * 366

// SnapshotUsage records today's usage (the UTC date of at) of every
// organization, replacing a snapshot of that day taken earlier. The counts
// by status, role and source and the seats of each service are kept as
// users, grants and memberships are written: the snapshot folds in the
// changes since the previous one, its cost independent of the number of
// users, and counts every user and every holder again only the first
// time, once a week, or when the kept counts prove wrong.
func (s *Service) SnapshotUsage(ctx context.Context, at time.Time) (UsageSnapshot, error) {
	return s.store.Jobs().SnapshotUsage(ctx, at.UTC().Format(UsageDayLayout), false)
}

// RecountUsage records today's usage as SnapshotUsage does, counting
// every user and every service's holders again and replacing the kept
// counts with the result.
func (s *Service) RecountUsage(ctx context.Context, at time.Time) (UsageSnapshot, error) {
	return s.store.Jobs().SnapshotUsage(ctx, at.UTC().Format(UsageDayLayout), true)
}

// UsageHistory returns the organization's daily usage from one UTC date to
// another, both included, oldest first; days without a snapshot are left
// out.
func (s *Service) UsageHistory(ctx context.Context, orgID string, from, to time.Time) ([]UsageDay, error) {
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC().Truncate(24*time.Hour)
	if to.Before(from) {
		return nil, Errorf(CodeInvalid, "usage: from (%s) is after to (%s)", from.Format(UsageDayLayout), to.Format(UsageDayLayout))
	}
	if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > MaxUsageDays {
		return nil, Errorf(CodeInvalid, "usage: %d days asked, at most %d at once", days, MaxUsageDays)
	}
	f, t := from.Format(UsageDayLayout), to.Format(UsageDayLayout)
	rows, err := s.store.Jobs().UsageSeries(ctx, orgID, f, t)
	if err != nil {
		return nil, fmt.Errorf("usage history: %w", err)
	}
	services, err := s.store.Jobs().UsageServiceSeries(ctx, orgID, f, t)
	if err != nil {
		return nil, fmt.Errorf("usage history: %w", err)
	}
	var out []UsageDay
	// Both series are ordered by day: merge them, a day having either.
	i, j := 0, 0
	for i < len(rows) || j < len(services) {
		day := ""
		switch {
		case j == len(services) || (i < len(rows) && rows[i].Day <= services[j].Day):
			day = rows[i].Day
		default:
			day = services[j].Day
		}
		d := UsageDay{Day: day, ByStatus: map[Status]int{}, ByRole: map[Role]int{}, BySource: map[Source]int{}, Services: []UsageService{}}
		for ; i < len(rows) && rows[i].Day == day; i++ {
			r := rows[i]
			d.Rows = append(d.Rows, r)
			d.ByStatus[r.Status] += r.Users
			if r.Status != StatusDeleted {
				d.Seats += r.Users
				d.ByRole[r.Role] += r.Users
				d.BySource[r.Source] += r.Users
			}
		}
		for ; j < len(services) && services[j].Day == day; j++ {
			r := services[j]
			d.ServiceRows = append(d.ServiceRows, r)
			d.Services = append(d.Services, UsageService{Key: r.Key, Name: r.Name, Seats: r.Seats, Limit: r.Limit})
		}
		out = append(out, d)
	}
	return out, nil
}
