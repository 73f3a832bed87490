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

// UsageDay is one day of an organization's usage history.
type UsageDay struct {
	Day      string         `json:"day"`
	Seats    int            `json:"seats"` // users not deleted
	ByStatus map[Status]int `json:"byStatus"`
	ByRole   map[Role]int   `json:"byRole"`   // users not deleted
	BySource map[Source]int `json:"bySource"` // users not deleted
	Rows     []UsageRow     `json:"-"`
}

// UsageDayLayout is the layout of a usage day.
const UsageDayLayout = time.DateOnly

// MaxUsageDays bounds the days one history request spans.
const MaxUsageDays = 3 * 366

// SnapshotUsage records today's usage (the UTC date of at) of every
// organization in one set-based pass, replacing a snapshot of that day
// taken earlier, and returns how many counts it wrote.
func (s *Service) SnapshotUsage(ctx context.Context, at time.Time) (int, error) {
	return s.store.Jobs().SnapshotUsage(ctx, at.UTC().Format(UsageDayLayout))
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
	rows, err := s.store.Jobs().UsageSeries(ctx, orgID, from.Format(UsageDayLayout), to.Format(UsageDayLayout))
	if err != nil {
		return nil, fmt.Errorf("usage history: %w", err)
	}
	var out []UsageDay
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Day != r.Day {
			out = append(out, UsageDay{Day: r.Day, ByStatus: map[Status]int{}, ByRole: map[Role]int{}, BySource: map[Source]int{}})
		}
		d := &out[len(out)-1]
		d.Rows = append(d.Rows, r)
		d.ByStatus[r.Status] += r.Users
		if r.Status != StatusDeleted {
			d.Seats += r.Users
			d.ByRole[r.Role] += r.Users
			d.BySource[r.Source] += r.Users
		}
	}
	return out, nil
}
