package scim

import "time"

// The endpoint tests expect the operations of a small bulk request to
// share one transaction, however slowly they run (under the race detector
// an operation can take longer than maxBatchTime).
func init() { maxBatchTime = time.Hour }
