package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"sync"
)

// maxCachedStatements bounds the prepared statements kept per pool. The
// store's statements are a few hundred texts; filters and sorts build
// more, and past the bound an arbitrary statement makes room.
const maxCachedStatements = 512

// stmtCache keeps the statements run on one pool prepared, by text.
// SQLite compiles a statement's text into a program before it runs it:
// for the short statements of a SCIM request that took as long as running
// them (a fifth to two fifths of a request's CPU), and a prepared
// statement is compiled once per connection instead of on every run.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// lookup returns the prepared statement of query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns the prepared statement of query, preparing it if needed, or
// nil if it cannot be prepared (the caller then runs the text, which
// reports the error). Preparing takes a connection of the pool: a
// transaction, which holds the writing pool's only one, uses lookup.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if st := c.lookup(query); st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok {
		// Another goroutine prepared it meanwhile.
		_ = st.Close() //nolint:sqlclosecheck // not kept, unlike the statements that are
		return have
	}
	if len(c.m) >= maxCachedStatements {
		for q, old := range c.m {
			// Closing waits for no one: a statement in use is finalized
			// once its rows are closed.
			_ = old.Close()
			delete(c.m, q)
			break
		}
	}
	c.m[query] = st
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// txStatements tracks, in one transaction, which cached statements have
// rows open: SQLite runs one statement program at a time per connection,
// so a statement asked for again while its rows are read runs from its
// text instead.
// A statement not yet cached runs from its text and is prepared for the
// next time once the transaction ends and frees the connection.
type txStatements struct {
	tx     *sql.Tx
	busy   []*sql.Stmt // few at a time: a request's statements scan one row after another
	missed []string
	// busyRoom backs busy, so that marking a statement busy allocates
	// nothing.
	busyRoom [4]*sql.Stmt
}

func newTxStatements(tx *sql.Tx) *txStatements {
	t := &txStatements{tx: tx}
	t.busy = t.busyRoom[:0]
	return t
}

// release frees the statement a transaction marked busy, once its rows
// are closed; the zero release frees nothing. It is a value rather than a
// closure so that running a statement allocates none.
type release struct {
	tx *txStatements
	st *sql.Stmt
}

func (r release) done() {
	if r.tx == nil {
		return
	}
	if i := slices.Index(r.tx.busy, r.st); i >= 0 {
		r.tx.busy = slices.Delete(r.tx.busy, i, i+1)
	}
}
