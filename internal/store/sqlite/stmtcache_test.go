package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/store/sqlstore"
)

// TestCachedStatementsNest runs one statement again while its rows are
// read, in a transaction and out of one, once it is cached: the inner run
// must not disturb the outer one.
func TestCachedStatementsNest(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const q = "SELECT value FROM json_each(?)"
	nested := func(db sqlstore.DB, write bool) error {
		rows, err := db.Query(ctx, q, "[1,2,3]")
		if err != nil {
			return err
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return err
			}
			var inner int
			if err := db.QueryRow(ctx, q, "[10]").Scan(&inner); err != nil {
				return err
			}
			if write {
				n, err := db.Exec(ctx, "UPDATE json_test SET n = n + 1")
				if err != nil || n != 1 {
					t.Errorf("update: %d rows, %v", n, err)
				}
			}
			got = append(got, strings.Repeat("x", v)+":"+strings.Repeat("y", inner/10))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if strings.Join(got, " ") != "x:y xx:y xxx:y" {
			t.Errorf("nested runs read %q", got)
		}
		return nil
	}
	if _, err := s.write.ExecContext(ctx, "CREATE TABLE json_test (n INTEGER); INSERT INTO json_test VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	for run := range 3 {
		if err := s.atomic(ctx, func(db sqlstore.DB) error { return nested(db, true) }); err != nil {
			t.Fatalf("run %d in a transaction: %v", run, err)
		}
		// The reading pool's connections: the writing pool's one is
		// held by the outer rows.
		if err := nested(conn{q: s.read, cache: s.readStmts}, false); err != nil {
			t.Fatalf("run %d outside a transaction: %v", run, err)
		}
	}
	if s.writeStmts.lookup(q) == nil {
		t.Error("the statement was not cached")
	}
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT n FROM json_test").Scan(&n); err != nil || n != 9 {
		t.Errorf("n = %d (%v), want 9", n, err)
	}
	// A statement that fails to prepare reports its error and is not cached.
	if _, err := (conn{q: s.read, cache: s.readStmts}).Query(ctx, "SELECT nope FROM nowhere"); err == nil {
		t.Error("a bad statement ran")
	}
	if s.readStmts.lookup("SELECT nope FROM nowhere") != nil {
		t.Error("a bad statement was cached")
	}
	// A rolled back transaction leaves the cached statements usable.
	if err := s.atomic(ctx, func(db sqlstore.DB) error {
		_, err := db.Exec(ctx, "UPDATE json_test SET n = n + 1 WHERE n = ?", "not a number; really")
		if err != nil {
			return err
		}
		return context.Canceled
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("rolled back transaction: %v", err)
	}
	if err := s.atomic(ctx, func(db sqlstore.DB) error { return nested(db, true) }); err != nil {
		t.Fatalf("after a rollback: %v", err)
	}
	if err := s.read.QueryRowContext(ctx, "SELECT n FROM json_test").Scan(&n); err != nil || n != 12 {
		t.Errorf("n = %d (%v) after the rollback and another run, want 12", n, err)
	}
}
