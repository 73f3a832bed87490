package directory

import (
	"fmt"
	"testing"
)

func TestUserCache(t *testing.T) {
	c := newUserCache(2)
	user := func(org, id string, version int64) *User {
		return &User{ID: id, OrgID: org, Version: version, Title: fmt.Sprint("v", version),
			Emails: []Email{{Value: id + "@acme.example", Type: "work"}}}
	}

	c.put(user("org-1", "a", 1))
	if c.get("org-2", "a") != nil {
		t.Error("a user was found under another organization")
	}
	got := c.get("org-1", "a")
	if got == nil || got.Version != 1 {
		t.Fatalf("get = %+v, want version 1", got)
	}
	got.Emails[0].Value = "changed"
	if c.get("org-1", "a").Emails[0].Value != "a@acme.example" {
		t.Error("changing a copy changed the cache")
	}

	c.put(user("org-1", "a", 3))
	c.put(user("org-1", "a", 2)) // a read that finished after a later write
	if got := c.get("org-1", "a"); got.Version != 3 {
		t.Errorf("version %d remembered, want the later 3", got.Version)
	}

	// At capacity, the least recently used goes.
	c.put(user("org-1", "b", 1))
	c.get("org-1", "a")
	c.put(user("org-1", "c", 1))
	if c.get("org-1", "b") != nil {
		t.Error("b, least recently used, was kept past capacity")
	}
	if c.get("org-1", "a") == nil || c.get("org-1", "c") == nil {
		t.Error("a recently used user was evicted")
	}

	c.drop("org-1", "a")
	if c.get("org-1", "a") != nil {
		t.Error("a dropped user was found")
	}
	c.put(nil)
	if n := c.order.Len(); n != len(c.byKey) || n != 1 {
		t.Errorf("%d in order, %d by key, want 1", n, len(c.byKey))
	}
}
