package directory

import "context"

// Batcher is a Store that can run the transactions of many operations in
// one database transaction, for a SCIM /Bulk request: each InTx in the
// batch's context runs in a savepoint of the shared transaction, so that
// an operation that fails undoes its own writes and no other's, and the
// operations share one commit (one flush of the write-ahead log instead
// of one each). The repositories used outside InTx with that context read
// and write in the shared transaction too, so that an operation sees what
// the ones before it wrote.
type Batcher interface {
	Batch(ctx context.Context) (context.Context, Batch, error)
}

// Batch is a shared transaction that Batcher began. The operations run in
// it are durable only once Commit returns nil; if it fails, or after
// Rollback, none of them took effect.
type Batch interface {
	Commit() error
	Rollback()
	// Retry reports whether the last InTx in the batch failed on a
	// serialization failure or a deadlock, which a transaction of its own
	// retries: its savepoint was rolled back, and its caller should
	// commit the batch and run the operation again on its own.
	Retry() bool
}

// Batch begins a shared transaction for many operations, run with the
// context it returns (see Batcher), if the store can; if not, the context
// is ctx and the batch does nothing.
func (s *Service) Batch(ctx context.Context) (context.Context, Batch, error) {
	if b, ok := s.store.(Batcher); ok {
		return b.Batch(ctx)
	}
	return ctx, noBatch{}, nil
}

type noBatch struct{}

func (noBatch) Commit() error { return nil }
func (noBatch) Rollback()     {}
func (noBatch) Retry() bool   { return false }
