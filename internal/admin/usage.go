package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
)

// defaultUsageDays is the span of a usage history asked without from.
const defaultUsageDays = 30

// usageHistoryView is an organization's daily usage, oldest day first.
type usageHistoryView struct {
	From string               `json:"from"`
	To   string               `json:"to"`
	Days []directory.UsageDay `json:"days" doc:"One entry per day with a snapshot; days before the first snapshot are left out."`
}

// usageRange reads from and to (YYYY-MM-DD, UTC; both included): to
// defaults to today, from to 30 days before to.
func (h *handler) usageRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	to = h.cfg.Now().UTC().Truncate(24 * time.Hour)
	if s := q.Get("to"); s != "" {
		if to, err = time.Parse(directory.UsageDayLayout, s); err != nil {
			return from, to, directory.FieldErrorf(directory.CodeInvalid, "to", "to must be a date such as 2026-01-31")
		}
	}
	from = to.AddDate(0, 0, -(defaultUsageDays - 1))
	if s := q.Get("from"); s != "" {
		if from, err = time.Parse(directory.UsageDayLayout, s); err != nil {
			return from, to, directory.FieldErrorf(directory.CodeInvalid, "from", "from must be a date such as 2026-01-01")
		}
	}
	return from, to, nil
}

func (h *handler) usageHistory(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (usageHistoryView, error) {
	from, to, err := h.usageRange(r)
	if err != nil {
		return usageHistoryView{}, err
	}
	// Daily snapshots may be seconds behind: a read replica may answer.
	days, err := h.dir.UsageHistory(directory.WithStaleReads(r.Context()), p.orgID(), from, to)
	if err != nil {
		return usageHistoryView{}, err
	}
	if days == nil {
		days = []directory.UsageDay{}
	}
	return usageHistoryView{From: from.Format(directory.UsageDayLayout), To: to.Format(directory.UsageDayLayout), Days: days}, nil
}

// exportUsageHistory streams the history as CSV (see WriteUsageCSV), which
// a spreadsheet pivots as its user likes.
func (h *handler) exportUsageHistory(w http.ResponseWriter, r *http.Request, p *principal) error {
	from, to, err := h.usageRange(r)
	if err != nil {
		return err
	}
	days, err := h.dir.UsageHistory(directory.WithStaleReads(r.Context()), p.orgID(), from, to)
	if err != nil {
		return err
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return err
	}
	return WriteUsageCSV(w, org.Slug, from, to, days)
}

// WriteUsageCSV sends a usage history as a CSV attachment named after the
// organization's slug and the days. Each day has one line per status, role
// and source (users; service and seat_limit empty), then one line per
// service (service is its key, users its seats, seat_limit its limit that
// day or empty for none; status, role and source empty). The console's
// Usage page downloads the same file.
func WriteUsageCSV(w http.ResponseWriter, orgSlug string, from, to time.Time, days []directory.UsageDay) error {
	attachment(w, importer.CSV, orgSlug+"-usage-"+from.Format(directory.UsageDayLayout)+"-"+to.Format(directory.UsageDayLayout))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"day", "status", "role", "source", "users", "service", "seat_limit"})
	for _, d := range days {
		// Every field is a date, an enumerated value, a service key
		// (letters, digits, '.', '_', '-') or a number: no cell can start
		// a spreadsheet formula. Service names, free text, are left out.
		for _, row := range d.Rows {
			_ = cw.Write([]string{row.Day, string(row.Status), string(row.Role), string(row.Source), strconv.Itoa(row.Users), "", ""})
		}
		for _, row := range d.ServiceRows {
			limit := ""
			if row.Limit != nil {
				limit = strconv.Itoa(*row.Limit)
			}
			_ = cw.Write([]string{row.Day, "", "", "", strconv.Itoa(row.Seats), row.Key, limit})
		}
	}
	cw.Flush()
	return cw.Error()
}
