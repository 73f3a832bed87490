package scim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeCount is a count function that returns n and counts its calls.
type fakeCount struct {
	mu    sync.Mutex
	n     int
	err   error
	calls int
	done  chan struct{} // receives after each call, if set
}

func (f *fakeCount) count(context.Context) (int, error) {
	f.mu.Lock()
	f.calls++
	n, err := f.n, f.err
	f.mu.Unlock()
	if f.done != nil {
		f.done <- struct{}{}
	}
	return n, err
}

func (f *fakeCount) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func TestListMemoCounts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()

	t.Run("small counts are always exact", func(t *testing.T) {
		m := newListMemo(clock)
		f := &fakeCount{n: countMemoMin - 1}
		for range 3 {
			if n, err := m.total(ctx, "k", f.count); err != nil || n != countMemoMin-1 {
				t.Fatalf("total = %d, %v", n, err)
			}
		}
		if f.callCount() != 3 {
			t.Errorf("a small count was counted %d times for 3 pages, want 3", f.callCount())
		}
	})

	t.Run("a large count answers while fresh, then recounts in the background", func(t *testing.T) {
		m := newListMemo(clock)
		f := &fakeCount{n: 50_000, done: make(chan struct{}, 4)}
		if n, _ := m.total(ctx, "k", f.count); n != 50_000 {
			t.Fatalf("first total = %d", n)
		}
		<-f.done
		f.mu.Lock()
		f.n = 50_007
		f.mu.Unlock()
		now = now.Add(countFresh - time.Second)
		if n, _ := m.total(ctx, "k", f.count); n != 50_000 || f.callCount() != 1 {
			t.Fatalf("fresh total = %d after %d counts, want the remembered 50000 after 1", n, f.callCount())
		}
		now = now.Add(2 * time.Second)
		if n, _ := m.total(ctx, "k", f.count); n != 50_000 {
			t.Fatalf("stale total = %d, want the remembered 50000 while recounting", n)
		}
		<-f.done // the background recount
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, _ := m.total(ctx, "k", f.count)
			if n == 50_007 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the recount was not remembered: total = %d", n)
			}
			time.Sleep(time.Millisecond)
		}
		if f.callCount() != 2 {
			t.Errorf("counted %d times, want 2", f.callCount())
		}
		if n, _ := m.total(ctx, "other filter", f.count); n != 50_007 || f.callCount() != 3 {
			t.Errorf("another query shares the count: %d after %d counts", n, f.callCount())
		}
	})

	t.Run("a failed count is an error and is not remembered", func(t *testing.T) {
		m := newListMemo(clock)
		boom := errors.New("boom")
		if _, err := m.total(ctx, "k", (&fakeCount{err: boom}).count); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		f := &fakeCount{n: 20_000}
		if n, _ := m.total(ctx, "k", f.count); n != 20_000 || f.callCount() != 1 {
			t.Errorf("after a failure: %d after %d counts", n, f.callCount())
		}
	})

	t.Run("the number of queries remembered is bounded", func(t *testing.T) {
		m := newListMemo(clock)
		f := &fakeCount{n: 20_000}
		for i := range maxMemoQueries + 10 {
			now = now.Add(time.Millisecond)
			if _, err := m.total(ctx, string(rune(i)), f.count); err != nil {
				t.Fatal(err)
			}
		}
		if len(m.counts) != maxMemoQueries {
			t.Errorf("%d counts remembered, want %d", len(m.counts), maxMemoQueries)
		}
		if _, ok := m.counts[string(rune(0))]; ok {
			t.Error("the least recently used count is still remembered")
		}
	})
}

func TestListMemoPositions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newListMemo(func() time.Time { return now })
	if _, _, ok := m.seek("k", 500); ok {
		t.Fatal("an empty memo seeks")
	}
	m.mark("k", 200, "c200")
	m.mark("k", 400, "c400")
	m.mark("k", 100, "c100")
	m.mark("k", 0, "c0") // nothing before: not a position
	m.mark("k", 300, "") // the last page: no cursor
	for _, c := range []struct {
		offset int
		pos    int
		after  string
		ok     bool
	}{
		{50, 0, "", false}, {100, 100, "c100", true}, {399, 200, "c200", true}, {400, 400, "c400", true}, {900_000, 400, "c400", true},
	} {
		pos, after, ok := m.seek("k", c.offset)
		if pos != c.pos || after != c.after || ok != c.ok {
			t.Errorf("seek(%d) = %d, %q, %v; want %d, %q, %v", c.offset, pos, after, ok, c.pos, c.after, c.ok)
		}
	}
	if _, _, ok := m.seek("another query", 500); ok {
		t.Error("another query seeks to this one's positions")
	}
	m.mark("k", 200, "c200'")
	if _, after, _ := m.seek("k", 250); after != "c200'" {
		t.Errorf("a position marked again seeks to %q", after)
	}

	now = now.Add(positionFresh - time.Second)
	m.mark("k", 150, "c150")
	now = now.Add(2 * time.Second)
	if pos, after, ok := m.seek("k", 500); pos != 150 || after != "c150" || !ok {
		t.Errorf("past their time, old positions are still used: %d, %q, %v", pos, after, ok)
	}

	for i := range maxPositions + 5 {
		now = now.Add(time.Millisecond)
		m.mark("k", 1000+i, "c")
	}
	if n := len(m.positions["k"].marks); n != maxPositions {
		t.Errorf("%d positions remembered, want %d", n, maxPositions)
	}
	marks := m.positions["k"].marks
	for i := 1; i < len(marks); i++ {
		if marks[i-1].pos >= marks[i].pos {
			t.Fatalf("positions out of order: %v", marks)
		}
	}
	if pos, _, _ := m.seek("k", 1000+maxPositions+4); pos != 1000+maxPositions+4 {
		t.Errorf("the newest position is not used: %d", pos)
	}
}

func TestListMemoAnchors(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newListMemo(func() time.Time { return now })
	for pos := 10_000; pos <= 50_000; pos += 10_000 {
		m.anchor("k", pos, fmt.Sprint("a", pos))
	}
	m.anchor("k", 0, "a0")        // nothing before: not a position
	m.anchor("k", 60_000, "")     // the end: no cursor
	m.mark("k", 25_100, "m25100") // a page served between two anchors
	for _, c := range []struct {
		offset int
		pos    int
		after  string
	}{
		{9_999, 0, ""}, {10_000, 10_000, "a10000"}, {25_000, 20_000, "a20000"}, {25_100, 25_100, "m25100"},
		{29_999, 25_100, "m25100"}, {30_000, 30_000, "a30000"}, {900_000, 50_000, "a50000"},
	} {
		pos, after, _ := m.seek("k", c.offset)
		if pos != c.pos || after != c.after {
			t.Errorf("seek(%d) = %d, %q; want %d, %q", c.offset, pos, after, c.pos, c.after)
		}
	}

	// A client paging onwards replaces the pages' positions, not anchors.
	for i := range maxPositions + 5 {
		now = now.Add(time.Millisecond)
		m.mark("k", 100_000+i*100, "m")
	}
	if pos, after, _ := m.seek("k", 45_000); pos != 40_000 || after != "a40000" {
		t.Errorf("after pages served, seek(45000) = %d, %q; want the anchor at 40000", pos, after)
	}

	// Anchors are bounded per query: the deepest walk on unremembered.
	for i := range maxAnchors + 10 {
		m.anchor("deep", (i+1)*10, "a")
	}
	if n := len(m.positions["deep"].anchors); n != maxAnchors {
		t.Errorf("%d anchors kept, want %d", n, maxAnchors)
	}

	// ... and in queries: the least recently used query loses its anchors.
	for i := range maxAnchoredQueries + 1 {
		now = now.Add(time.Millisecond)
		m.anchor(fmt.Sprint("q", i), 10, "a")
	}
	anchored := 0
	for _, p := range m.positions {
		if len(p.anchors) > 0 {
			anchored++
		}
	}
	if anchored != maxAnchoredQueries {
		t.Errorf("%d queries keep anchors, want %d", anchored, maxAnchoredQueries)
	}
	if len(m.positions["k"].anchors) != 0 {
		t.Error("the least recently used query kept its anchors")
	}
	if pos, _, ok := m.seek("k", 45_000); ok {
		t.Errorf("seek(45000) after its query lost its anchors = %d", pos)
	}

	// Anchors past their time are not used.
	now = now.Add(positionFresh)
	if pos, _, ok := m.seek("q1", 500); ok {
		t.Errorf("an anchor past its time is used: %d", pos)
	}
}
