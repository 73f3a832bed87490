package directory

import "context"

type staleReadsKey struct{}

// WithStaleReads marks ctx for reads that may be answered a few seconds
// behind the primary, by a read replica (database.read_url). Only the
// listings nothing is written after heed it: AuditLog.ListAudit,
// JobStore.UsageSeries and UsageServiceSeries, and UserStore.ListUsers,
// each outside a transaction. Callers mark the context of those calls
// alone; any other read under it stays on the primary all the same.
func WithStaleReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, staleReadsKey{}, true)
}

// StaleReadsOK reports whether ctx was marked by WithStaleReads.
func StaleReadsOK(ctx context.Context) bool {
	ok, _ := ctx.Value(staleReadsKey{}).(bool)
	return ok
}
