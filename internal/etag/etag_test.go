package etag

import (
	"slices"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestRoundTrip(t *testing.T) {
	if got := Of(7); got != `W/"7"` {
		t.Errorf("Of(7) = %s", got)
	}
	if got := Parse(Of(7)); !slices.Equal(got, []int64{7}) {
		t.Errorf("Parse(Of(7)) = %v", got)
	}
}

func TestParse(t *testing.T) {
	for h, want := range map[string][]int64{
		`"3"`:               {3},
		`W/"3", "4" ,W/"5"`: {3, 4, 5},
		`"x", W/"0", "-2"`:  {-1, -1, -1},
	} {
		if got := Parse(h); !slices.Equal(got, want) {
			t.Errorf("Parse(%s) = %v, want %v", h, got, want)
		}
	}
}

func TestPinned(t *testing.T) {
	for h, want := range map[string]int64{"": 0, " * ": 0, `W/"9"`: 9, `"9"`: 9, "9": 9} {
		got, err := Pinned(h)
		if err != nil || got != want {
			t.Errorf("Pinned(%q) = %d, %v; want %d", h, got, err, want)
		}
	}
	for _, h := range []string{`"a"`, `W/"1", W/"2"`, `"0"`} {
		if _, err := Pinned(h); !directory.IsCode(err, directory.CodeInvalid) {
			t.Errorf("Pinned(%q) = %v, want invalid", h, err)
		}
	}
}
