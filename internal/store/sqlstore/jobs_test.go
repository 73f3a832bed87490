package sqlstore

import (
	"testing"
	"time"
)

// The inactivity pass's batches grow while they are quick and shrink when
// they hold their row locks too long, within bounds, in powers of two
// that all have a statement.
func TestNextInactivityBatch(t *testing.T) {
	for _, c := range []struct {
		size int
		took time.Duration
		want int
	}{
		{256, inactivityBatchTime, 256},
		{256, inactivityBatchTime / 2, 512},
		{256, inactivityBatchTime * 2, 128},
		{256, inactivityBatchTime * 100, inactivityBatchMin},
		{256, time.Microsecond, inactivityBatchMax},
		{256, 0, inactivityBatchMax},
		{4096, inactivityBatchTime, 4096},
		{64, inactivityBatchTime * 3 / 2, 64},
	} {
		got := nextInactivityBatch(c.size, c.took)
		if got != c.want {
			t.Errorf("after %d users in %v: %d, want %d", c.size, c.took, got, c.want)
		}
		if _, ok := markInactiveBySize[got]; !ok {
			t.Errorf("after %d users in %v: no statement for %d", c.size, c.took, got)
		}
	}
}
