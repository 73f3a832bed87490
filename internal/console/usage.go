package console

import (
	"net/http"

	"github.com/roster/roster/internal/directory"
)

const usagePath = "/usage"

// usageData is the seats page: users that are not deleted, by status, by
// role and by source, each drawn as a bar chart.
type usageData struct {
	Seats    int
	Deleted  int
	ByStatus usageChart
	ByRole   usageChart
	BySource usageChart
	// History is the usage over the days the page's form asks.
	History usageHistoryData
}

// usageChart is one bar chart and its height in SVG user units.
type usageChart struct {
	Title  string
	Bars   []usageBar
	Height int
}

// usageBar is one bar of a chart: a label, its count, and its length in
// the chart's units (0 to barWidth).
type usageBar struct {
	Label string
	Count int
	Width int
	// Y is the bar's top in the chart's units.
	Y int
}

// barWidth and barStep are the charts' sizes (SVG user units).
const (
	barWidth = 400
	barStep  = 28
)

// usagePage counts seats with the same use case as GET /api/v1/org/usage,
// and roles with one counted user listing per role; below, the daily
// snapshots of the days asked, as GET /api/v1/org/usage/history gives them.
func (c *Console) usagePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	counts, err := c.dir.CountUsersByStatus(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	var d usageData
	byStatus := map[directory.Status]int{}
	bySource := map[directory.Source]int{}
	for st, srcs := range counts {
		for src, n := range srcs {
			byStatus[st] += n
			if st != directory.StatusDeleted {
				d.Seats += n
				bySource[src] += n
			}
		}
	}
	d.Deleted = byStatus[directory.StatusDeleted]
	var status, source, role []usageBar
	for _, st := range directory.Statuses {
		if st != directory.StatusDeleted {
			status = append(status, usageBar{Label: string(st), Count: byStatus[st]})
		}
	}
	for _, src := range directory.Sources {
		source = append(source, usageBar{Label: string(src), Count: bySource[src]})
	}
	for _, ro := range directory.Roles {
		page, err := c.dir.ListUsers(r.Context(), rq.user.OrgID, directory.UserQuery{
			Filter: directory.Eq(directory.UserRole, string(ro)), Limit: 1, CountTotal: true})
		if err != nil {
			return err
		}
		role = append(role, usageBar{Label: roleLabel(ro), Count: page.Total})
	}
	d.ByStatus, d.BySource, d.ByRole = chart("By status", status), chart("By source", source), chart("By role", role)
	if d.History, err = c.usageHistory(r, rq.user.OrgID); err != nil {
		return err
	}
	if len(d.History.Errors) > 0 {
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "usage", d)
	}
	return c.render(w, r, rq, http.StatusOK, "usage", d)
}

// chart gives bars their lengths against the largest count and their
// places one under the other.
func chart(title string, bars []usageBar) usageChart {
	top := 0
	for _, b := range bars {
		top = max(top, b.Count)
	}
	for i := range bars {
		if top > 0 {
			bars[i].Width = bars[i].Count * barWidth / top
		}
		bars[i].Y = i * barStep
	}
	return usageChart{Title: title, Bars: bars, Height: len(bars) * barStep}
}
