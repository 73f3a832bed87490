package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlstore"
)

// batchKey is the context key of a Batch's shared transaction.
type batchKey struct{}

// sqlBatch is a shared transaction on the writing connection (see
// directory.Batcher). While it is open, other writers queue for the
// connection, so its caller keeps it short.
type sqlBatch struct {
	s     *Store
	tx    *sql.Tx
	stmts *txStatements
	n     int // savepoints made, to name the next
}

var _ directory.Batcher = (*Store)(nil)

// Batch implements directory.Batcher.
func (s *Store) Batch(ctx context.Context) (context.Context, directory.Batch, error) {
	s.observed("begin")
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return ctx, nil, directory.Internal(fmt.Errorf("begin: %w", err))
	}
	b := &sqlBatch{s: s, tx: tx, stmts: newTxStatements(tx)}
	return context.WithValue(ctx, batchKey{}, b), b, nil
}

// batchOf returns the batch of s open in ctx, or nil.
func (s *Store) batchOf(ctx context.Context) *sqlBatch {
	if b, ok := ctx.Value(batchKey{}).(*sqlBatch); ok && b.s == s && b.tx != nil {
		return b
	}
	return nil
}

func (b *sqlBatch) conn() conn {
	return conn{q: b.tx, cache: b.s.writeStmts, tx: b.stmts, observe: b.s.observe}
}

// atomic runs fn in a savepoint of the batch: if fn fails, what it wrote
// is undone and the batch goes on.
func (b *sqlBatch) atomic(ctx context.Context, fn func(sqlstore.DB) error) error {
	b.n++
	name := "roster_op_" + strconv.Itoa(b.n)
	c := b.conn()
	if _, err := c.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return directory.Internal(fmt.Errorf("savepoint: %w", err))
	}
	if err := fn(c); err != nil {
		if _, rerr := c.Exec(context.WithoutCancel(ctx), "ROLLBACK TO "+name); rerr != nil {
			return directory.Internal(fmt.Errorf("rollback to savepoint: %w (after %w)", rerr, err))
		}
		if _, rerr := c.Exec(context.WithoutCancel(ctx), "RELEASE "+name); rerr != nil {
			return directory.Internal(fmt.Errorf("release savepoint: %w (after %w)", rerr, err))
		}
		return err
	}
	if _, err := c.Exec(ctx, "RELEASE "+name); err != nil {
		return directory.Internal(fmt.Errorf("release savepoint: %w", err))
	}
	return nil
}

// Commit implements directory.Batch.
func (b *sqlBatch) Commit() error {
	if b.tx == nil {
		return directory.Internal(fmt.Errorf("commit: the batch has ended"))
	}
	b.s.observed("commit")
	err := b.tx.Commit()
	b.end()
	if err != nil {
		return directory.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// Rollback implements directory.Batch.
func (b *sqlBatch) Rollback() {
	if b.tx != nil {
		_ = b.tx.Rollback() // nothing to report: the batch is dropped
		b.end()
	}
}

// end forgets the transaction and prepares what ran from its text.
func (b *sqlBatch) end() {
	b.tx = nil
	for _, q := range b.stmts.missed {
		b.s.writeStmts.get(context.Background(), q)
	}
	b.stmts.missed = nil
}

// Retry implements directory.Batch: SQLite transactions do not fail on
// serialization.
func (b *sqlBatch) Retry() bool { return false }
