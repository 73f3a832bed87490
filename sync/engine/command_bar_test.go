package engine

import (
	"strings"
	"testing"
)

func TestProgressFormsForTheCLI(t *testing.T) {
	pct, eta := 40.0, 2.6
	applying := RunProgress{Phase: PhaseApplying, Seen: 1000, Planned: 500, Applied: 200, Rate: 812.4, Percent: &pct, ETASeconds: &eta}
	fetching := RunProgress{Phase: PhaseFetching, Seen: 12345, Rate: 56.25}
	for _, tc := range []struct {
		got, want string
	}{
		{progressLine(applying), "applying: 200 of 500 changes (40%), 812/s, about 3s left"},
		{progressLine(fetching), "fetching: 12345 objects read, 56.2/s"},
		{progressLine(RunProgress{Phase: PhaseFetching}), "fetching: reading the directory"},
		{progressBar(applying), "applying  [############..................]  40%  200/500  812/s  ETA 3s"},
		{progressBar(fetching), "fetching  12345 objects read  56.2/s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
	var out strings.Builder
	pp := &progressPrinter{w: &out, bar: true}
	pp.print(fetching)
	pp.print(applying)
	if want := "\r\x1b[K" + progressBar(fetching) + "\r\x1b[K" + progressBar(applying); out.String() != want {
		t.Errorf("a terminal got %q, want the bar redrawn in place", out.String())
	}
}
