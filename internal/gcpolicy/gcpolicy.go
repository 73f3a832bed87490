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
// million users holds about 130 MB while it runs (most of it the run's
// index of users), and at GOGC=400 alone its process grew fivefold. A
// soft memory limit of Limit makes the collector run earlier once the
// heap nears it, so a small heap keeps the fivefold target and a large
// one stays near the limit: that sync peaked at 402 MB RSS, with as much
// CPU as without the limit. A limit near the live heap would make the
// collector run without pause (at 400 MiB, when that sync held 400 MB,
// it took 2.7 times the CPU). It is soft: a live heap larger than Limit
// makes the collector work harder (Go caps that at about half the CPU),
// never fails an allocation.
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
	Limit = 384 << 20
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
