package directory

import "testing"

func TestEnumBoxesBoxEachValueOnce(t *testing.T) {
	b := NewEnumBoxes(Statuses...)
	for _, s := range Statuses {
		if got, ok := b.Box(s).(Status); !ok || got != s {
			t.Errorf("Box(%q) = %#v", s, b.Box(s))
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = b.Box(StatusActive) }); n != 0 {
		t.Errorf("boxing a value of the enumeration allocates %v times", n)
	}
	// A value outside the enumeration is boxed as it is.
	if got := b.Box(Status("archived")); got != Status("archived") {
		t.Errorf("Box(archived) = %#v", got)
	}
}
