package engine

import (
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func TestReconcileIsDueOnceTheScheduleTicksSinceTheLastFullRun(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, tc := range []struct {
		name       string
		spec       string
		reconciled *time.Time
		now        string
		want       bool
	}{
		{"never reconciled", "@daily", nil, "2026-03-01T10:00:00Z", true},
		{"reconciled today", "@daily", at("2026-03-01T00:05:00Z"), "2026-03-01T23:59:00Z", false},
		{"midnight has passed", "@daily", at("2026-03-01T00:05:00Z"), "2026-03-02T00:00:00Z", true},
		{"weekly, mid-week", "0 3 * * 0", at("2026-03-01T03:10:00Z"), "2026-03-05T12:00:00Z", false},
		{"weekly, the next Sunday", "0 3 * * 0", at("2026-03-01T03:10:00Z"), "2026-03-08T03:00:00Z", true},
		{"every six hours", "@every 6h", at("2026-03-01T00:00:00Z"), "2026-03-01T05:59:00Z", false},
		{"empty means the default", "", at("2026-03-01T00:05:00Z"), "2026-03-02T00:01:00Z", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &directory.Connector{Reconcile: tc.spec, ReconciledAt: tc.reconciled}
			if got := reconcileDue(c, *at(tc.now)); got != tc.want {
				t.Errorf("reconcileDue(%q, last %v, now %s) = %t, want %t", tc.spec, tc.reconciled, tc.now, got, tc.want)
			}
		})
	}
}
