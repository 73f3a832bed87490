package scim

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// A listing over a large organization costs two things that grow with it:
// the count behind totalResults (RFC 7644 requires it on every page), and
// the walk over every row before a deep startIndex. listMemo spares both by
// remembering, per query, what earlier pages learned:
//
//   - the count of a query that matches many resources (countMemoMin or
//     more), for countFresh; after that the remembered count still answers
//     while one request recounts in the background. Counts of fewer
//     resources are cheap and always exact. The last page of a listing (a
//     short page) is always exact, and no page reports fewer resources
//     than it has shown so far plus one while more follow, so that a
//     client paging until startIndex passes totalResults sees every one;
//   - the position of the last resource of each page served by startIndex
//     with the store's keyset cursor after it, so that the next page (or
//     any page further on) is a seek to the nearest remembered position at
//     or before it and a walk of the rest, instead of a walk from the
//     start. Positions are remembered for positionFresh;
//   - anchors: the positions every anchorStride resources that a deep jump
//     no remembered position was near laid on its walk there (see
//     handler.seek), so that a later jump anywhere before it, say by a
//     client fetching pages in parallel, walks at most a stride. They are
//     kept apart from the pages' positions, which a client paging onwards
//     replaces oldest first, and bounded per query and in number of queries.
//
// A position is that of the resource when its page was served: resources
// created or deleted since before it shift what a fresh OFFSET walk would
// return, but not what the seek returns, so a client paging through a
// listing while it changes skips and repeats nothing that stays. RFC 7644
// leaves index paging of a changing listing undefined.
//
// The memo is per process: behind a load balancer each replica learns its
// own, and a page served by another is only slower.
type listMemo struct {
	now    func() time.Time
	stride int // between anchors: anchorStride, less in tests

	mu        sync.Mutex
	counts    map[string]*countMemo
	positions map[string]*positionMemo
}

const (
	// countMemoMin is the number of matching resources from which a count
	// is remembered: at 10,000 a count takes a few milliseconds.
	countMemoMin = 10_000
	// countFresh is how long a remembered count answers without a recount.
	countFresh = 30 * time.Second
	// positionFresh is how long a remembered position is used.
	positionFresh = 10 * time.Minute
	// maxPositions bounds the positions remembered per query: the nearest
	// one at or before the page asked for is used, and clients mostly walk
	// forwards, a page after the last.
	maxPositions = 64
	// maxMemoQueries bounds the queries remembered (each of counts and
	// positions); the least recently used are forgotten first.
	maxMemoQueries = 2048
	// anchorStride is the distance between anchors: a walk of that many
	// index entries takes a few milliseconds.
	anchorStride = 10_000
	// maxAnchors bounds the anchors of a query, and maxAnchoredQueries the
	// queries that have any (the least recently used lose theirs first):
	// a few megabytes at most. A jump past the last anchor walks on from it.
	maxAnchors         = 256
	maxAnchoredQueries = 64
	// recountTimeout bounds a background recount.
	recountTimeout = 30 * time.Second
)

type countMemo struct {
	n        int
	at, used time.Time
	recount  bool // a background recount is under way
}

type position struct {
	pos   int // resources before the cursor
	after string
	at    time.Time
}

type positionMemo struct {
	used    time.Time
	marks   []position // sorted by pos
	anchors []position // sorted by pos
}

func newListMemo(now func() time.Time) *listMemo {
	return &listMemo{now: now, stride: anchorStride, counts: map[string]*countMemo{}, positions: map[string]*positionMemo{}}
}

// countKey names a query's count: its resource type, organization and filter.
func countKey(kind, orgID, filter string) string {
	return strings.Join([]string{kind, orgID, filter}, "\x00")
}

// positionKey names a query's positions: its count's key and its sort.
func positionKey(kind, orgID, filter, sortBy, sortOrder string) string {
	return strings.Join([]string{kind, orgID, filter, sortBy, strings.ToLower(sortOrder)}, "\x00")
}

// total returns the query's count: remembered, or counted by count (and
// remembered when large). A stale remembered count answers while one
// background recount runs.
func (m *listMemo) total(ctx context.Context, key string, count func(context.Context) (int, error)) (int, error) {
	now := m.now()
	m.mu.Lock()
	c := m.counts[key]
	if c != nil {
		c.used = now
		n := c.n
		if now.Sub(c.at) >= countFresh && !c.recount {
			c.recount = true
			go m.recount(context.WithoutCancel(ctx), key, count)
		}
		m.mu.Unlock()
		return n, nil
	}
	m.mu.Unlock()
	n, err := count(ctx)
	if err != nil {
		return 0, err
	}
	m.keepCount(key, n)
	return n, nil
}

func (m *listMemo) recount(ctx context.Context, key string, count func(context.Context) (int, error)) {
	ctx, cancel := context.WithTimeout(ctx, recountTimeout)
	defer cancel()
	n, err := count(ctx)
	m.mu.Lock()
	if c := m.counts[key]; c != nil {
		c.recount = false
	}
	m.mu.Unlock()
	if err == nil {
		m.keepCount(key, n)
	}
}

// keepCount remembers n as the query's count if it is large, and forgets
// any remembered one if not.
func (m *listMemo) keepCount(key string, n int) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if n < countMemoMin {
		delete(m.counts, key)
		return
	}
	if c := m.counts[key]; c != nil {
		c.n, c.at = n, now
		return
	}
	if len(m.counts) >= maxMemoQueries {
		evictOldest(m.counts, func(c *countMemo) time.Time { return c.used })
	}
	m.counts[key] = &countMemo{n: n, at: now, used: now}
}

// seek returns the remembered position or anchor nearest at or before
// offset, and the cursor after it; ok is false when none is.
func (m *listMemo) seek(key string, offset int) (pos int, after string, ok bool) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.positions[key]
	if p == nil {
		return 0, "", false
	}
	p.used = now
	best, ok := nearest(p.marks, offset, now)
	if a, found := nearest(p.anchors, offset, now); found && (!ok || a.pos > best.pos) {
		best, ok = a, true
	}
	return best.pos, best.after, ok
}

// nearest returns the fresh position of marks (sorted by pos) nearest at
// or before offset.
func nearest(marks []position, offset int, now time.Time) (position, bool) {
	i := sort.Search(len(marks), func(i int) bool { return marks[i].pos > offset })
	for i--; i >= 0; i-- {
		if now.Sub(marks[i].at) < positionFresh {
			return marks[i], true
		}
	}
	return position{}, false
}

// makeRoomForAnchors drops the anchors of the least recently used query
// that has any when maxAnchoredQueries have, before p gets its first.
func (m *listMemo) makeRoomForAnchors(p *positionMemo) {
	var oldest *positionMemo
	n := 0
	for _, q := range m.positions {
		if len(q.anchors) == 0 || q == p {
			continue
		}
		n++
		if oldest == nil || q.used.Before(oldest.used) {
			oldest = q
		}
	}
	if n >= maxAnchoredQueries {
		oldest.anchors = nil
	}
}

// place returns where pos goes in marks (sorted by pos), and whether a
// position is there already.
func place(marks []position, pos int) (int, bool) {
	i := sort.Search(len(marks), func(i int) bool { return marks[i].pos >= pos })
	return i, i < len(marks) && marks[i].pos == pos
}

// positionsOf returns key's positions, made (and room made for them) if
// there are none. m.mu is held.
func (m *listMemo) positionsOf(key string, now time.Time) *positionMemo {
	p := m.positions[key]
	if p == nil {
		if len(m.positions) >= maxMemoQueries {
			evictOldest(m.positions, func(p *positionMemo) time.Time { return p.used })
		}
		p = &positionMemo{}
		m.positions[key] = p
	}
	p.used = now
	return p
}

// mark remembers that after is the cursor after the first pos resources:
// where a page ended.
func (m *listMemo) mark(key string, pos int, after string) { m.remember(key, pos, after, false) }

// anchor remembers that after is the cursor after the first pos resources,
// as an anchor of a deep jump's walk.
func (m *listMemo) anchor(key string, pos int, after string) { m.remember(key, pos, after, true) }

func (m *listMemo) remember(key string, pos int, after string, anchor bool) {
	if pos <= 0 || after == "" {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.positionsOf(key, now)
	list := &p.marks
	if anchor {
		list = &p.anchors
	}
	mk := position{pos: pos, after: after, at: now}
	i, found := place(*list, pos)
	switch {
	case found:
		(*list)[i] = mk
		return
	case anchor && len(*list) >= maxAnchors:
		return // the deepest part is walked from the last anchor
	case anchor && len(*list) == 0:
		m.makeRoomForAnchors(p)
	case !anchor && len(*list) >= maxPositions:
		oldest := 0
		for j, old := range *list {
			if old.at.Before((*list)[oldest].at) {
				oldest = j
			}
		}
		*list = slices.Delete(*list, oldest, oldest+1)
		if oldest < i {
			i--
		}
	}
	*list = slices.Insert(*list, i, mk)
}

// evictOldest forgets the least recently used entry of m.
func evictOldest[V any](m map[string]V, used func(V) time.Time) {
	var oldest string
	var at time.Time
	for k, v := range m {
		if u := used(v); oldest == "" || u.Before(at) {
			oldest, at = k, u
		}
	}
	delete(m, oldest)
}
