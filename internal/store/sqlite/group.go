package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlstore"
)

// Group commit. SQLite has one writer, and each commit writes every page
// the transaction changed to the WAL (a create changes a page of each of
// the users' indexes: tens of pages) and waits for fsync. Transactions
// that queue for the writer therefore share one: each runs in a savepoint
// of the open transaction, in the order they got the writer, and the last
// of them, the one that finds nobody waiting (or the group full, or open
// for maxGroupAge), commits for all. A page that several of them change is
// written once, and the fsync is paid once.
//
// Each member still sees what it would alone, since the members run one
// after another; and each learns the outcome of the commit that makes its
// writes durable before it returns. A member whose fn fails rolls back to
// its savepoint and returns at once: the others go on. The first member
// makes no savepoint (a transaction alone costs what it did before
// groups): if it fails, the transaction, which holds nothing else, is
// rolled back, and the members waiting start another. If the transaction
// itself fails (SQLite rolls a whole transaction back on some errors, or
// the commit fails), every member that was waiting for its commit gets the
// error: nothing it wrote is kept.
//
// A member's statements run without its context's cancellation: SQLite
// interrupts a statement by rolling the whole transaction back, which would
// undo the other members' work. A member that is cancelled before its turn
// does not run.
type writer struct {
	mu      sync.Mutex   // held by the member running on the open transaction
	waiting atomic.Int32 // members waiting for mu
	open    *group       // the transaction members join; nil when none
	maxAge  time.Duration
}

// maxGroupMembers and maxGroupAge bound a transaction's members and how
// long it stays open, so that the first waits for at most that many, or
// that long, before its commit: grouping pays for short transactions (a
// SCIM write), and long ones (a directory sync's batch) commit on their
// own, their progress seen as it comes.
const (
	maxGroupMembers = 64
	maxGroupAge     = 20 * time.Millisecond
)

// group is one shared transaction.
type group struct {
	tx      *sql.Tx
	begun   time.Time
	stmts   *txStatements
	members int
	done    chan struct{} // closed once the transaction has ended
	err     error         // how it ended, once done is closed
}

// errGroupRolledBack is what members waiting for a commit get when the
// transaction they joined was rolled back.
var errGroupRolledBack = errors.New("the transaction was rolled back")

// atomic runs fn as a member of the writer's open transaction, or of a new
// one, and returns once fn has failed or its writes are committed.
func (s *Store) atomic(ctx context.Context, fn func(sqlstore.DB) error) error {
	if b := s.batchOf(ctx); b != nil {
		return b.atomic(ctx, fn)
	}
	w := &s.writer
	w.waiting.Add(1)
	w.mu.Lock()
	w.waiting.Add(-1)
	g := w.open
	if g == nil {
		if err := ctx.Err(); err != nil {
			w.mu.Unlock()
			return err // cancelled before its turn: nothing runs
		}
		s.observed("begin")
		tx, err := s.write.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			w.mu.Unlock()
			return directory.Internal(fmt.Errorf("begin: %w", err))
		}
		g = &group{tx: tx, begun: time.Now(), stmts: newTxStatements(tx), done: make(chan struct{})}
		w.open = g
	}
	g.members++
	ferr, rollback := s.runMember(ctx, g, fn)
	if rollback == nil && w.waiting.Load() > 0 && g.members < maxGroupMembers && time.Since(g.begun) < w.maxAge {
		// Another member comes next, and commits or hands on in turn.
		w.mu.Unlock()
		if ferr != nil {
			return ferr
		}
		<-g.done
		return g.err
	}
	s.end(g, rollback)
	w.mu.Unlock()
	if ferr != nil {
		return ferr
	}
	return g.err
}

// runMember runs fn as a member of g: in a savepoint, but for the first
// member, whose failure rolls back a transaction that holds nothing else.
// It returns fn's error, and rollback when g must be rolled back: the
// first member failed, or a savepoint could not be made, rolled back or
// released (SQLite may have ended the transaction). A panic in fn rolls g
// back and goes on once the writer is free.
func (s *Store) runMember(ctx context.Context, g *group, fn func(sqlstore.DB) error) (ferr, rollback error) {
	first := g.members == 1
	name := "roster_tx_" + strconv.Itoa(g.members)
	bg := context.WithoutCancel(ctx)
	c := conn{q: g.tx, cache: s.writeStmts, tx: g.stmts, observe: s.observe, detached: bg}
	if !first {
		if _, err := c.Exec(bg, "SAVEPOINT "+name); err != nil {
			return directory.Internal(fmt.Errorf("savepoint: %w", err)), err
		}
	}
	if ferr = ctx.Err(); ferr == nil { // else cancelled before its turn: nothing runs
		ferr = s.runInGroup(g, c, fn)
	}
	switch {
	case first:
		return ferr, ferr
	case ferr != nil:
		if _, err := c.Exec(bg, "ROLLBACK TO "+name); err != nil {
			return ferr, fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := c.Exec(bg, "RELEASE "+name); err != nil {
		return ferr, fmt.Errorf("release savepoint: %w", err)
	}
	return ferr, nil
}

// runInGroup calls fn. If fn panics, it rolls g back and frees the writer
// before the panic goes on.
func (s *Store) runInGroup(g *group, c conn, fn func(sqlstore.DB) error) error {
	defer func() {
		if p := recover(); p != nil {
			s.end(g, fmt.Errorf("panic in a transaction: %v", p))
			s.writer.mu.Unlock()
			panic(p)
		}
	}()
	return fn(c)
}

// end commits g, or rolls it back (saying why), tells its members how it
// ended, and prepares the statements it ran from their text. The writer's
// mu is held.
func (s *Store) end(g *group, rollback error) {
	s.writer.open = nil
	if rollback != nil {
		_ = g.tx.Rollback() // rollback says why
		g.err = directory.Internal(fmt.Errorf("%w: %w", errGroupRolledBack, rollback))
	} else {
		s.observed("commit")
		if err := g.tx.Commit(); err != nil {
			g.err = directory.Internal(fmt.Errorf("commit: %w", err))
		}
	}
	close(g.done)
	for _, q := range g.stmts.missed {
		s.writeStmts.get(context.Background(), q)
	}
}
