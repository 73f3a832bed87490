package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlstore"
)

// batchKey is the context key of a Batch's shared transaction.
type batchKey struct{}

// pgBatch is a shared transaction on one pooled connection (see
// directory.Batcher). Each operation runs in a savepoint: SAVEPOINT
// travels with the operation's first statement, and RELEASE, which the
// operation waits for, carries the statements it held back, so that their
// errors are the operation's own. An operation costs the round trips of
// its own transaction; the batch saves the commits' flushes.
type pgBatch struct {
	s     *Store
	c     *pgxpool.Conn
	t     *pipeTx
	n     int  // savepoints made, to name the next
	retry bool // the last operation met a serialization failure or deadlock
}

var _ directory.Batcher = (*Store)(nil)

// Batch implements directory.Batcher.
func (s *Store) Batch(ctx context.Context) (context.Context, directory.Batch, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return ctx, nil, directory.Internal(fmt.Errorf("begin: %w", err))
	}
	b := &pgBatch{s: s, c: c, t: newPipeTx(c)}
	return context.WithValue(ctx, batchKey{}, b), b, nil
}

// batchOf returns the batch of s open in ctx, or nil.
func (s *Store) batchOf(ctx context.Context) *pgBatch {
	if b, ok := ctx.Value(batchKey{}).(*pgBatch); ok && b.s == s && b.c != nil {
		return b
	}
	return nil
}

// atomic runs fn in a savepoint of the batch: if fn fails, what it wrote
// is undone and the batch goes on. It never retries: a serialization
// failure or deadlock sets retry, for the caller to run the operation in a
// transaction of its own.
func (b *pgBatch) atomic(ctx context.Context, fn func(sqlstore.DB) error) error {
	b.retry = false
	b.n++
	name := "roster_op_" + strconv.Itoa(b.n)
	b.t.ExecLater("savepoint " + name)
	err := fn(conn{q: b.t})
	if err == nil {
		if _, err = b.t.Exec(ctx, "release savepoint "+name); err == nil {
			return nil
		}
		// A statement held for the release (an insert whose userName is
		// taken) reports its error here, and is the domain's.
		err = b.s.repos.Fail(fmt.Errorf("commit: %w", err))
	}
	// What the operation held back is dropped with it; if even its
	// savepoint was still held, nothing of it reached the server.
	unsent := len(b.t.later) > 0 && b.t.later[0].sql == "savepoint "+name
	b.t.later = nil
	if !unsent {
		if _, rerr := b.t.c.Exec(context.WithoutCancel(ctx), "rollback to savepoint "+name); rerr != nil {
			return directory.Internal(errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr)))
		}
	}
	b.retry = retryable(err)
	return err
}

// Commit implements directory.Batch.
func (b *pgBatch) Commit() error {
	if b.c == nil {
		return directory.Internal(errors.New("commit: the batch has ended"))
	}
	err := b.t.commit(context.Background())
	if err != nil {
		b.t.rollback(context.Background())
	}
	b.c.Release()
	b.c = nil
	if err != nil {
		return directory.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// Rollback implements directory.Batch.
func (b *pgBatch) Rollback() {
	if b.c == nil {
		return
	}
	b.t.rollback(context.Background())
	b.c.Release()
	b.c = nil
}

// Retry implements directory.Batch.
func (b *pgBatch) Retry() bool { return b.retry }
