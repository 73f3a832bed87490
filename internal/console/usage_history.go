package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// usageDirectory is what the Usage page needs of the directory.
type usageDirectory interface {
	CountUsersByStatus(ctx context.Context, orgID string) (map[directory.Status]map[directory.Source]int, error)
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
	UsageHistory(ctx context.Context, orgID string, from, to time.Time) ([]directory.UsageDay, error)
}

const (
	usageExportPath = "/usage.csv"
	// usageDefaultDays is the span shown without dates, as the API's.
	usageDefaultDays = 30
)

// usageHistoryData is the usage over time: the days asked (YYYY-MM-DD,
// both included), the snapshots recorded in them as a table, and two
// charts of the same figures.
type usageHistoryData struct {
	From, To string
	Errors   formErrors
	// Statuses are the table's status columns, in Statuses' order.
	Statuses  []directory.Status
	Days      []usageDayRow
	Seats     lineChart
	ByStatus  lineChart
	ExportURL string
	// Services are the services seen in the days asked, by key, with
	// ServiceDays their seats per day and ServiceSeats the chart of them.
	Services     []usageServiceColumn
	ServiceDays  []usageServiceDay
	ServiceSeats lineChart
}

// usageServiceColumn is a service of the seats table: its key, and its
// name on the last day it was recorded.
type usageServiceColumn struct {
	Key, Name string
}

// usageServiceDay is one recorded day of the seats table: per service of
// Services, its seats and limit, or nothing for a day the service did not
// exist.
type usageServiceDay struct {
	Day   string
	Cells []usageServiceCell
}

// usageServiceCell is a service's seats on a day.
type usageServiceCell struct {
	Recorded bool
	Seats    int
	Limit    *int
}

// serviceSeriesClasses are the CSS classes the service lines take in turn.
const serviceSeriesClasses = 6

// usageDayRow is one recorded day: seats, and users of each status.
type usageDayRow struct {
	Day    string
	Seats  int
	Counts []int
}

// usageRange reads from and to as the API does: to defaults to today (UTC),
// from to 29 days before to; it refuses dates it cannot read, a to before
// from, and spans longer than the directory serves at once.
func usageRange(r *http.Request, now time.Time) (from, to time.Time, errs formErrors) {
	q := r.URL.Query()
	errs = formErrors{}
	to = now.UTC().Truncate(24 * time.Hour)
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		day, err := time.Parse(directory.UsageDayLayout, s)
		if err != nil {
			errs["to"] = "enter a date such as 2026-01-31"
		}
		to = day
	}
	from = to.AddDate(0, 0, -(usageDefaultDays - 1))
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		day, err := time.Parse(directory.UsageDayLayout, s)
		if err != nil {
			errs["from"] = "enter a date such as 2026-01-01"
		}
		from = day
	}
	if len(errs) > 0 {
		return from, to, errs
	}
	if to.Before(from) {
		errs["to"] = "the last day cannot be before the first"
	} else if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > directory.MaxUsageDays {
		errs["from"] = fmt.Sprintf("%d days asked: at most %d at once", days, directory.MaxUsageDays)
	}
	return from, to, errs
}

// usageHistory reads the page's dates and the history they select; with
// dates it refuses, the data carries the errors and no history.
func (c *Console) usageHistory(r *http.Request, orgID string) (usageHistoryData, error) {
	from, to, errs := usageRange(r, c.cfg.Now())
	q := r.URL.Query()
	d := usageHistoryData{From: q.Get("from"), To: q.Get("to"), Errors: errs}
	if len(errs) > 0 {
		return d, nil
	}
	d.From, d.To = from.Format(directory.UsageDayLayout), to.Format(directory.UsageDayLayout)
	days, err := c.dir.UsageHistory(r.Context(), orgID, from, to)
	if err != nil {
		fe, ferr := formError(err)
		if ferr != nil {
			return d, err
		}
		d.Errors = fe
		return d, nil
	}
	d.ExportURL = usageExportPath + "?" + url.Values{"from": {d.From}, "to": {d.To}}.Encode()
	d.Statuses = directory.Statuses
	seats := []usageSeries{{Name: "Seats", Class: "seats"}}
	var byStatus []usageSeries
	for _, st := range directory.Statuses {
		if st != directory.StatusDeleted {
			byStatus = append(byStatus, usageSeries{Name: string(st), Class: "status-" + string(st)})
		}
	}
	for _, day := range days {
		row := usageDayRow{Day: day.Day, Seats: day.Seats}
		for _, st := range d.Statuses {
			row.Counts = append(row.Counts, day.ByStatus[st])
		}
		d.Days = append(d.Days, row)
		seats[0].values = append(seats[0].values, dayValue{day.Day, day.Seats})
		for i := range byStatus {
			byStatus[i].values = append(byStatus[i].values, dayValue{day.Day, day.ByStatus[directory.Status(byStatus[i].Name)]})
		}
	}
	if len(days) > 0 {
		d.Seats = lineChartOf("Seats per day", from, to, seats, true)
		d.ByStatus = lineChartOf("Users by status per day", from, to, byStatus, false)
	}
	d.serviceSeats(from, to, days)
	return d, nil
}

// serviceSeats fills the seats per service: a table and a chart with one
// line per service, over the days asked.
func (d *usageHistoryData) serviceSeats(from, to time.Time, days []directory.UsageDay) {
	names := map[string]string{}
	for _, day := range days {
		for _, sv := range day.Services {
			names[sv.Key] = sv.Name
		}
	}
	if len(names) == 0 {
		return
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	column := map[string]int{}
	series := make([]usageSeries, len(keys))
	for i, k := range keys {
		column[k] = i
		d.Services = append(d.Services, usageServiceColumn{Key: k, Name: names[k]})
		series[i] = usageSeries{Name: names[k], Class: fmt.Sprintf("service service-%d", i%serviceSeriesClasses)}
	}
	for _, day := range days {
		row := usageServiceDay{Day: day.Day, Cells: make([]usageServiceCell, len(keys))}
		for _, sv := range day.Services {
			i := column[sv.Key]
			row.Cells[i] = usageServiceCell{Recorded: true, Seats: sv.Seats, Limit: sv.Limit}
			series[i].values = append(series[i].values, dayValue{day.Day, sv.Seats})
		}
		d.ServiceDays = append(d.ServiceDays, row)
	}
	d.ServiceSeats = lineChartOf("Seats per service per day", from, to, series, false)
	d.ServiceSeats.Legend = true
}

// usageExport downloads the history the dates select as the API's export
// (GET /api/v1/org/usage/history/export) does, in the same CSV.
func (c *Console) usageExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	from, to, errs := usageRange(r, c.cfg.Now())
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for field, msg := range errs {
			msgs = append(msgs, field+": "+msg)
		}
		sort.Strings(msgs)
		return directory.Errorf(directory.CodeInvalid, "%s", strings.Join(msgs, "; "))
	}
	days, err := c.dir.UsageHistory(r.Context(), rq.user.OrgID, from, to)
	if err != nil {
		return err
	}
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return admin.WriteUsageCSV(w, org.Slug, from, to, days)
}
