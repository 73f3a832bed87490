package gcpolicy

import (
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if !Apply(getenv) {
		t.Fatal("Apply with neither GOGC nor GOMEMLIMIT set did nothing")
	}
	if got := debug.SetGCPercent(100); got != Percent {
		t.Errorf("GC percent after Apply = %d, want %d", got, Percent)
	}

	for _, key := range []string{"GOGC", "GOMEMLIMIT"} {
		env = map[string]string{key: "200"}
		if Apply(getenv) {
			t.Errorf("Apply overrode the operator's %s", key)
		}
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("GC percent after Apply with %s set = %d, want it untouched (100)", key, got)
		}
	}
}
