package directory

import (
	"container/list"
	"sync"
)

// userCacheSize bounds the users a service remembers: about 20 MB at the
// size of a typical user. An identity provider reads a user (by filter or
// id) and then writes it; a sync of 100,000 users does so a few at a time,
// so recent reads are what the next writes need.
const userCacheSize = 10000

// userCache remembers the users this service read or wrote last, so that
// an update can write without reading first (UserStore.AssumeUser). It is
// a hint, never the truth: an update from a remembered user writes only if
// the store still holds that version, and otherwise runs again on the user
// as stored. Users changed by another replica, a job or any path that
// bypasses the service are caught the same way.
type userCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *User, most recently used first
	byKey map[userKey]*list.Element
}

type userKey struct{ orgID, id string }

func newUserCache(capacity int) *userCache {
	return &userCache{max: capacity, order: list.New(), byKey: map[userKey]*list.Element{}}
}

// get returns a copy of the user remembered, or nil.
func (c *userCache) get(orgID, id string) *User {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[userKey{orgID, id}]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*User).Clone()
}

// put remembers a copy of u, replacing an older version of it.
func (c *userCache) put(u *User) {
	if u == nil || c.max <= 0 {
		return
	}
	u = u.Clone()
	k := userKey{u.OrgID, u.ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		if e.Value.(*User).Version > u.Version {
			return // a later version is remembered already
		}
		e.Value = u
		c.order.MoveToFront(e)
		return
	}
	c.byKey[k] = c.order.PushFront(u)
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		old := last.Value.(*User)
		delete(c.byKey, userKey{old.OrgID, old.ID})
	}
}

// drop forgets a user.
func (c *userCache) drop(orgID, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[userKey{orgID, id}]; ok {
		c.order.Remove(e)
		delete(c.byKey, userKey{orgID, id})
	}
}
