package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// The line charts' frame, in SVG user units: the plot is the rectangle
// from (plotLeft, plotTop) to (plotRight, plotBottom); axis labels sit
// outside it.
const (
	lineChartWidth  = 640
	lineChartHeight = 260
	plotLeft        = 64
	plotRight       = 624
	plotTop         = 28
	plotBottom      = 212
)

// lineChart is a chart over days: one line per series, against a y axis
// from 0 to Top users and an x axis from the first day asked to the last,
// so that days without a snapshot show as gaps between points.
type lineChart struct {
	Title string
	Area  bool
	// Legend names the series even when there is one.
	Legend bool
	Series []usageSeries
	YTicks []chartTick
	XTicks []chartTick
	// Constants of the frame, for the template.
	Width, Height, Left, Right, Top, Bottom int
}

// chartTick is an axis mark: its label and its place on the axis.
type chartTick struct {
	Label  string
	Pos    int
	Anchor string // text-anchor of an x label
}

// usageSeries is one line of a chart: its name, its CSS class, and its
// points (with an area polygon under them when the chart has one).
type usageSeries struct {
	Name   string
	Class  string
	Points []chartPoint
	// Line and Area are SVG points lists ("x,y x,y").
	Line, Area string
	values     []dayValue
}

// chartPoint is one day's figure and where it is drawn.
type chartPoint struct {
	Day   string
	Value int
	X, Y  int
}

type dayValue struct {
	day   string
	value int
}

// lineChartOf places the series' values (days as YYYY-MM-DD within from
// and to) in the frame.
func lineChartOf(title string, from, to time.Time, series []usageSeries, area bool) lineChart {
	ch := lineChart{Title: title, Area: area, Series: series,
		Width: lineChartWidth, Height: lineChartHeight, Left: plotLeft, Right: plotRight, Top: plotTop, Bottom: plotBottom}
	span := int(to.Sub(from) / (24 * time.Hour))
	x := func(day time.Time) int {
		if span == 0 {
			return (plotLeft + plotRight) / 2
		}
		return plotLeft + int(day.Sub(from)/(24*time.Hour))*(plotRight-plotLeft)/span
	}
	top := 0
	for _, s := range series {
		for _, v := range s.values {
			top = max(top, v.value)
		}
	}
	top = niceTop(top)
	y := func(v int) int { return plotBottom - v*(plotBottom-plotTop)/top }
	for i := range ch.Series {
		s := &ch.Series[i]
		var line []string
		for _, v := range s.values {
			day, err := time.Parse(directory.UsageDayLayout, v.day)
			if err != nil {
				continue // the store writes days in this layout
			}
			p := chartPoint{Day: v.day, Value: v.value, X: x(day), Y: y(v.value)}
			s.Points = append(s.Points, p)
			line = append(line, strconv.Itoa(p.X)+","+strconv.Itoa(p.Y))
		}
		s.Line = strings.Join(line, " ")
		if area && len(s.Points) > 0 {
			base := strconv.Itoa(plotBottom)
			s.Area = strconv.Itoa(s.Points[0].X) + "," + base + " " + s.Line + " " + strconv.Itoa(s.Points[len(s.Points)-1].X) + "," + base
		}
	}
	for _, v := range []int{0, top / 2, top} {
		if len(ch.YTicks) > 0 && ch.YTicks[len(ch.YTicks)-1].Label == strconv.Itoa(v) {
			continue
		}
		ch.YTicks = append(ch.YTicks, chartTick{Label: strconv.Itoa(v), Pos: y(v)})
	}
	day := func(t time.Time) string { return t.Format(directory.UsageDayLayout) }
	if span == 0 {
		ch.XTicks = []chartTick{{Label: day(from), Pos: x(from), Anchor: "middle"}}
	} else {
		ch.XTicks = []chartTick{{Label: day(from), Pos: plotLeft, Anchor: "start"}}
		if span >= 4 {
			mid := from.AddDate(0, 0, span/2)
			ch.XTicks = append(ch.XTicks, chartTick{Label: day(mid), Pos: x(mid), Anchor: "middle"})
		}
		ch.XTicks = append(ch.XTicks, chartTick{Label: day(to), Pos: plotRight, Anchor: "end"})
	}
	return ch
}

// niceTop is the y axis' top for a largest figure n: n rounded up to 1, 2
// or 5 times a power of ten, and at least 2 so that the middle tick is a
// whole number.
func niceTop(n int) int {
	for step := 1; ; step *= 10 {
		for _, m := range []int{2, 5, 10} {
			if n <= m*step {
				return m * step
			}
		}
	}
}
