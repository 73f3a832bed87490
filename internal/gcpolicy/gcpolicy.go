// Package gcpolicy sets how often Roster's processes collect garbage.
//
// A Roster server keeps a small live heap (tens of MiB: caches, pools, the
// requests in flight) and allocates quickly while it serves SCIM requests.
// At Go's default (GOGC=100) it collects whenever the heap doubles, which
// on a busy two-core machine took about a tenth of the CPU that a SCIM
// load test had. Collecting when the heap grows fivefold gave 10–15 % more
// creates and PATCHes per second (scim/loadtest, GOGC=400 against 100)
// for a heap a few times larger.
//
// Fivefold is too much for a large live heap: a directory sync of a
// million users holds a few hundred MiB while it runs, and at GOGC=400 its
// process grew to 2.4 GB (1.1 GB at GOGC=100). A soft memory limit of
// Limit makes the collector run earlier once the heap nears it, so a small
// heap keeps the fivefold target and a large one stays near the limit. It
// is soft: a live heap larger than Limit makes the collector work harder
// (Go caps that at about half the CPU), never fails an allocation.
//
// An operator who sets GOGC, or bounds the heap with GOMEMLIMIT, keeps the
// say: Apply then changes neither.
package gcpolicy

import "runtime/debug"

const (
	// Percent is the collector's target (GOGC) that Apply sets.
	Percent = 400
	// Limit is the soft memory limit (GOMEMLIMIT) that Apply sets, in
	// bytes.
	Limit = 768 << 20
)

// Apply sets the collector's target to Percent and its soft memory limit
// to Limit unless the environment (read through getenv) sets GOGC or
// GOMEMLIMIT, and reports whether it did.
func Apply(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(Percent)
	debug.SetMemoryLimit(Limit)
	return true
}
