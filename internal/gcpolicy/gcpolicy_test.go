package gcpolicy

import (
	"math"
	"runtime/debug"
	"testing"
)

// restoreGC puts the collector's settings back when t ends.
func restoreGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

// settings reads the collector's target and soft limit, and resets them to
// Go's defaults for the next case.
func settings() (percent int, limit int64) {
	return debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
}

func TestApply(t *testing.T) {
	restoreGC(t)

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if !Apply(getenv) {
		t.Fatal("Apply with neither GOGC nor GOMEMLIMIT set did nothing")
	}
	if percent, limit := settings(); percent != Percent || limit != Limit {
		t.Errorf("after Apply: GC percent %d, memory limit %d; want %d and %d", percent, limit, Percent, Limit)
	}

	for _, key := range []string{"GOGC", "GOMEMLIMIT"} {
		env = map[string]string{key: "200"}
		if Apply(getenv) {
			t.Errorf("Apply overrode the operator's %s", key)
		}
		if percent, limit := settings(); percent != 100 || limit != math.MaxInt64 {
			t.Errorf("after Apply with %s set: GC percent %d, memory limit %d; want both untouched", key, percent, limit)
		}
	}
}
