package console

import (
	"testing"
	"time"
)

func TestNiceTopRoundsUp(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 2: 2, 3: 5, 5: 5, 6: 10, 10: 10, 11: 20, 21: 50, 99: 100, 101: 200, 1000: 1000, 1001: 2000, 123456: 200000} {
		if got := niceTop(n); got != want {
			t.Errorf("niceTop(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestLineChartPlacesDays(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// One day asked: its point is in the middle, and the only x label.
	one := lineChartOf("one", day("2026-03-01"), day("2026-03-01"),
		[]usageSeries{{Name: "Seats", values: []dayValue{{"2026-03-01", 7}}}}, true)
	p := one.Series[0].Points
	if len(p) != 1 || p[0].X != (plotLeft+plotRight)/2 || p[0].Y != plotBottom-7*(plotBottom-plotTop)/10 {
		t.Errorf("one day: %+v", p)
	}
	if len(one.XTicks) != 1 || one.XTicks[0].Label != "2026-03-01" {
		t.Errorf("one day's x ticks: %+v", one.XTicks)
	}
	if one.Series[0].Area == "" {
		t.Error("no area under the seats")
	}
	// Eleven days, two recorded: the 1st at the left end, the 6th in the
	// middle; y ticks 0, 10, 20 for a largest figure of 12.
	ch := lineChartOf("span", day("2026-03-01"), day("2026-03-11"),
		[]usageSeries{{Name: "active", values: []dayValue{{"2026-03-01", 12}, {"2026-03-06", 0}}}}, false)
	p = ch.Series[0].Points
	if len(p) != 2 || p[0].X != plotLeft || p[1].X != (plotLeft+plotRight)/2 || p[1].Y != plotBottom {
		t.Errorf("points: %+v", p)
	}
	if len(ch.YTicks) != 3 || ch.YTicks[1].Label != "10" || ch.YTicks[2].Label != "20" || ch.YTicks[2].Pos != plotTop {
		t.Errorf("y ticks: %+v", ch.YTicks)
	}
	if len(ch.XTicks) != 3 || ch.XTicks[1].Label != "2026-03-06" || ch.XTicks[2].Pos != plotRight {
		t.Errorf("x ticks: %+v", ch.XTicks)
	}
	if ch.Series[0].Area != "" {
		t.Error("an area under a status line")
	}
}
