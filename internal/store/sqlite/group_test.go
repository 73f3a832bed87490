package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/store/sqlstore"
)

// groupStore opens a store on a file with a table t of keys, and counts
// the commits it makes.
func groupStore(t *testing.T) (*Store, *atomic.Int64) {
	t.Helper()
	var commits atomic.Int64
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), WithObserver(func(q string) {
		if q == "commit" {
			commits.Add(1)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// Members wait to be let in: a loaded machine must not age the
	// group out meanwhile (TestALongTransactionCommitsAlone tests the age).
	s.writer.maxAge = time.Minute
	if _, err := s.write.Exec("CREATE TABLE t (k TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return s, &commits
}

func insert(ctx context.Context, k string) func(sqlstore.DB) error {
	return func(db sqlstore.DB) error {
		_, err := db.Exec(ctx, "INSERT INTO t (k) VALUES (?)", k)
		return err
	}
}

func keys(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.read.Query("SELECT k FROM t ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// inGroup runs first as the first member of a transaction, and each of
// others as a member waiting for the writer meanwhile: first's fn holds
// the writer until all of them wait. It returns each member's error, first's
// first.
func inGroup(t *testing.T, s *Store, first func(sqlstore.DB) error, others ...func() error) []error {
	t.Helper()
	errs := make([]error, 1+len(others))
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[0] = s.atomic(context.Background(), func(db sqlstore.DB) error {
			close(started)
			<-release
			return first(db)
		})
	}()
	<-started // the first member holds the writer before the others queue
	for i, other := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[1+i] = other()
		}()
	}
	waitFor(t, func() bool { return int(s.writer.waiting.Load()) == len(others) })
	close(release)
	wg.Wait()
	return errs
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWaitingTransactionsShareOneCommit(t *testing.T) {
	s, commits := groupStore(t)
	ctx := context.Background()
	var others []func() error
	for i := range 10 {
		others = append(others, func() error { return s.atomic(ctx, insert(ctx, fmt.Sprintf("k%02d", i))) })
	}
	before := commits.Load()
	errs := inGroup(t, s, insert(ctx, "first"), others...)
	for i, err := range errs {
		if err != nil {
			t.Errorf("member %d: %v", i, err)
		}
	}
	if n := commits.Load() - before; n != 1 {
		t.Errorf("%d commits for 11 members waiting together, want 1", n)
	}
	if got := keys(t, s); len(got) != 11 {
		t.Errorf("kept %v, want all 11 keys", got)
	}
	// Alone, a transaction commits at once.
	if err := s.atomic(ctx, insert(ctx, "alone")); err != nil {
		t.Fatal(err)
	}
	if n := commits.Load() - before; n != 2 {
		t.Errorf("%d commits after one more alone, want 2", n)
	}
}

// A member that fails undoes only its own writes; one whose context is
// cancelled before its turn writes nothing.
func TestAFailingMemberLeavesTheOthers(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	failure := errors.New("refused")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	errs := inGroup(t, s, insert(ctx, "a"),
		func() error {
			return s.atomic(ctx, func(db sqlstore.DB) error {
				if err := insert(ctx, "b")(db); err != nil {
					return err
				}
				return failure
			})
		},
		func() error { return s.atomic(ctx, insert(ctx, "a")) }, // a taken key: the statement fails
		func() error { return s.atomic(cancelled, insert(cancelled, "c")) },
		func() error { return s.atomic(ctx, insert(ctx, "d")) },
	)
	if errs[0] != nil || errs[4] != nil {
		t.Errorf("the members that succeeded: %v, %v", errs[0], errs[4])
	}
	if !errors.Is(errs[1], failure) {
		t.Errorf("the failing member: %v", errs[1])
	}
	if errs[2] == nil {
		t.Error("a duplicate key was accepted")
	}
	if !errors.Is(errs[3], context.Canceled) {
		t.Errorf("the cancelled member: %v", errs[3])
	}
	if got := keys(t, s); !slices.Equal(got, []string{"a", "d"}) {
		t.Errorf("kept %v, want [a d]", got)
	}
}

// A member cancelled during its turn still runs its statements: SQLite
// would interrupt one by rolling back the others' work too.
func TestCancellingAMemberDoesNotUndoTheOthers(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	mine, cancel := context.WithCancel(ctx)
	errs := inGroup(t, s, insert(ctx, "a"),
		func() error {
			return s.atomic(mine, func(db sqlstore.DB) error {
				cancel()
				return insert(mine, "b")(db)
			})
		},
		func() error { return s.atomic(ctx, insert(ctx, "c")) },
	)
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("the other members: %v, %v", errs[0], errs[2])
	}
	if errs[1] != nil {
		t.Errorf("the member cancelled during its turn: %v", errs[1])
	}
	if got := keys(t, s); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("kept %v, want [a b c]", got)
	}
}

// When the shared transaction itself ends early, every member waiting for
// its commit learns it failed, and nothing of theirs is kept.
func TestABrokenTransactionFailsEveryMember(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	errs := inGroup(t, s, insert(ctx, "a"),
		func() error {
			return s.atomic(ctx, func(db sqlstore.DB) error {
				_, err := db.Exec(ctx, "ROLLBACK") // ends the transaction under the others
				return err
			})
		},
		func() error { return s.atomic(ctx, insert(ctx, "c")) },
	)
	if !errors.Is(errs[0], errGroupRolledBack) {
		t.Errorf("the member waiting for the commit: %v, want a rolled-back transaction", errs[0])
	}
	if got := keys(t, s); slices.Contains(got, "a") {
		t.Errorf("kept %v: a member told it failed was kept", got)
	}
	// The writer is free again.
	if err := s.atomic(ctx, insert(ctx, "after")); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s); !slices.Contains(got, "after") {
		t.Errorf("kept %v after the failure", got)
	}
}

// A panic in a member fails the members waiting for the commit, reaches
// its caller, and leaves the writer free.
func TestAPanickingMemberFreesTheWriter(t *testing.T) {
	s, _ := groupStore(t)
	ctx := context.Background()
	var recovered any
	errs := inGroup(t, s, insert(ctx, "a"),
		func() (err error) {
			defer func() { recovered = recover() }()
			return s.atomic(ctx, func(sqlstore.DB) error { panic("boom") })
		},
	)
	if recovered != "boom" {
		t.Errorf("recovered %v, want the panic", recovered)
	}
	if errs[0] == nil {
		t.Error("the member waiting for the commit succeeded, though the transaction was rolled back")
	}
	if got := keys(t, s); len(got) != 0 {
		t.Errorf("kept %v", got)
	}
	if err := s.atomic(ctx, insert(ctx, "after")); err != nil {
		t.Fatal(err)
	}
}

// The first member makes no savepoint: when it fails, the transaction is
// rolled back, and the members waiting commit in another.
func TestAFailingFirstMemberRollsBackAlone(t *testing.T) {
	s, commits := groupStore(t)
	ctx := context.Background()
	failure := errors.New("refused")
	before := commits.Load()
	errs := inGroup(t, s,
		func(db sqlstore.DB) error {
			if err := insert(ctx, "a")(db); err != nil {
				return err
			}
			return failure
		},
		func() error { return s.atomic(ctx, insert(ctx, "b")) },
		func() error { return s.atomic(ctx, insert(ctx, "c")) },
	)
	if !errors.Is(errs[0], failure) || errs[1] != nil || errs[2] != nil {
		t.Errorf("errors %v, want the first's failure alone", errs)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("kept %v, want [b c]", got)
	}
	if n := commits.Load() - before; n != 1 {
		t.Errorf("%d commits, want 1 for the two after the first", n)
	}
}

// A transaction open for its maximum age commits on its own: a long one (a
// directory sync's batch) does not hold the others' commits.
func TestALongTransactionCommitsAlone(t *testing.T) {
	s, commits := groupStore(t)
	s.writer.maxAge = 10 * time.Millisecond
	ctx := context.Background()
	before := commits.Load()
	errs := inGroup(t, s,
		func(db sqlstore.DB) error {
			time.Sleep(s.writer.maxAge + 5*time.Millisecond)
			return insert(ctx, "a")(db)
		},
		func() error { return s.atomic(ctx, insert(ctx, "b")) },
		func() error { return s.atomic(ctx, insert(ctx, "c")) },
	)
	for i, err := range errs {
		if err != nil {
			t.Errorf("member %d: %v", i, err)
		}
	}
	if n := commits.Load() - before; n < 2 {
		t.Errorf("%d commit, want the long one's alone and then the others'", n)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("kept %v", got)
	}
}
