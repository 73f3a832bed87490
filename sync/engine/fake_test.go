package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// fakeTarget is an in-memory Roster that follows the status rules the
// service applies, for engine tests.
type fakeTarget struct {
	mu         sync.Mutex                     // the engine applies batches concurrently
	users      map[string]*directory.User     // by id
	names      map[string]string              // lower-cased userName → id
	userLinks  map[string]*directory.SyncLink // by ref
	groups     map[string]string              // id → name
	groupLinks map[string]*directory.SyncLink
	members    map[string]map[string]bool
	writes     int
	nextID     int
	// listedLinks counts the reads of every user link, listedRefs those
	// of their refs alone, and linkRefs the refs asked for by
	// SyncUserLinks.
	listedLinks, listedRefs, linkRefs int
}

var _ engine.Target = (*fakeTarget)(nil)

func newFakeTarget() *fakeTarget {
	return &fakeTarget{
		users: map[string]*directory.User{}, names: map[string]string{}, userLinks: map[string]*directory.SyncLink{},
		groups: map[string]string{}, groupLinks: map[string]*directory.SyncLink{}, members: map[string]map[string]bool{},
	}
}

func (f *fakeTarget) id(prefix string) string {
	f.nextID++
	return fmt.Sprintf("%s-%03d", prefix, f.nextID)
}

// addLocal adds a user no connector manages.
func (f *fakeTarget) addLocal(userName string) {
	id := f.id("u")
	f.users[id] = &directory.User{ID: id, UserName: userName, Source: directory.SourceLocal, Status: directory.StatusActive, Role: directory.RoleUser}
	f.names[strings.ToLower(userName)] = id
}

func (f *fakeTarget) byName(userName string) *directory.User {
	return f.users[f.names[strings.ToLower(userName)]]
}

func (f *fakeTarget) ListSyncUserLinks(_ context.Context, _, _ string, fn func(*directory.SyncLink) error) error {
	f.listedLinks++
	return f.eachUserLink(fn)
}

func (f *fakeTarget) eachUserLink(fn func(*directory.SyncLink) error) error {
	for _, l := range f.userLinks {
		u := f.users[l.ObjectID]
		c := *l
		c.Status, c.StatusSetBy, c.Role = u.Status, u.StatusSetBy, u.Role
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) ListSyncUserLinkRefs(_ context.Context, _, _ string, fn func(string) error) error {
	f.listedRefs++
	for ref := range f.userLinks {
		if err := fn(ref); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) SyncUserLinks(_ context.Context, _, _ string, refs []string) ([]*directory.SyncLink, error) {
	f.linkRefs += len(refs)
	want := map[string]bool{}
	for _, ref := range refs {
		want[ref] = true
	}
	var out []*directory.SyncLink
	err := f.eachUserLink(func(l *directory.SyncLink) error {
		if want[l.Ref] {
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

func (f *fakeTarget) ListSyncGroupLinks(_ context.Context, _, _ string) ([]*directory.SyncLink, error) {
	var out []*directory.SyncLink
	for _, l := range f.groupLinks {
		c := *l
		out = append(out, &c)
	}
	return out, nil
}

func (f *fakeTarget) ApplySyncUsers(_ context.Context, scope directory.SyncScope, changes []directory.SyncUserChange) ([]directory.SyncUserResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	by := scope.Actor.StatusAuthority()
	out := make([]directory.SyncUserResult, len(changes))
	for i, c := range changes {
		if c.UserID == "" && c.Action != directory.SyncCreate {
			// Created earlier in the batch.
			c.UserID = f.userLinks[c.Ref].ObjectID
		}
		switch c.Action {
		case directory.SyncCreate:
			name := c.Attrs[directory.UserUserName]
			if f.byName(name) != nil {
				out[i] = directory.SyncUserResult{Action: directory.SyncCreate,
					Err: directory.FieldErrorf(directory.CodeConflict, "userName", "userName %s belongs to another user", name)}
				continue
			}
			u := &directory.User{ID: f.id("u"), UserName: name, Source: scope.Actor.Source, SourceRef: c.Ref, Role: c.Role,
				Title: c.Attrs[directory.UserTitle], Status: directory.StatusActive, StatusSetBy: by}
			if !c.Active {
				u.Status = directory.StatusSuspended
			}
			f.users[u.ID] = u
			f.names[strings.ToLower(name)] = u.ID
			f.userLinks[c.Ref] = &directory.SyncLink{Ref: c.Ref, ObjectID: u.ID, MemberKey: c.MemberKey, Hash: c.Hash}
			out[i] = directory.SyncUserResult{UserID: u.ID, Action: directory.SyncCreate, Changed: true}
		case directory.SyncUpdate:
			u := f.users[c.UserID]
			op := directory.SyncUpdate
			if u.Status == directory.StatusDeleted {
				u.Status, u.StatusSetBy, op = directory.StatusActive, by, directory.SyncRestore
			}
			if to, changed := directory.StatusFromDirectory(u, c.Active, by); changed {
				u.Status, u.StatusSetBy = to, by
				op = directory.SyncReactivate
				if to == directory.StatusSuspended {
					op = directory.SyncSuspend
				}
			}
			delete(f.names, strings.ToLower(u.UserName))
			u.UserName, u.Title = c.Attrs[directory.UserUserName], c.Attrs[directory.UserTitle]
			f.names[strings.ToLower(u.UserName)] = u.ID
			f.userLinks[c.Ref].Hash = c.Hash
			out[i] = directory.SyncUserResult{UserID: u.ID, Action: op, Changed: true}
		case directory.SyncSuspend, directory.SyncDelete:
			u := f.users[c.UserID]
			to := directory.StatusSuspended
			if c.Action == directory.SyncDelete {
				to = directory.StatusDeleted
			}
			if err := directory.CheckTransition(u, to, by); err != nil {
				out[i] = directory.SyncUserResult{UserID: u.ID, Action: c.Action}
				continue
			}
			u.Status, u.StatusSetBy, u.StatusReason = to, by, c.Reason
			f.userLinks[c.Ref].Hash = ""
			out[i] = directory.SyncUserResult{UserID: u.ID, Action: c.Action, Changed: true}
		case directory.SyncRole:
			f.users[c.UserID].Role = c.Role
			out[i] = directory.SyncUserResult{UserID: c.UserID, Action: c.Action, Changed: true}
		}
	}
	return out, nil
}

func (f *fakeTarget) ApplySyncGroup(_ context.Context, _ directory.SyncScope, g directory.SyncGroupChange) (string, error) {
	f.writes++
	id := g.GroupID
	if id == "" {
		id = f.id("g")
		f.members[id] = map[string]bool{}
	}
	f.groups[id] = g.Name
	f.groupLinks[g.Ref] = &directory.SyncLink{Ref: g.Ref, ObjectID: id, Name: g.Name, MemberKey: g.MemberKey}
	return id, nil
}

func (f *fakeTarget) SyncGroupMembers(_ context.Context, _, groupID string) ([]string, error) {
	var out []string
	for id := range f.members[groupID] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeTarget) ChangeSyncMembers(_ context.Context, _ directory.SyncScope, groupID string, add, remove []string) error {
	f.writes++
	for _, id := range add {
		if f.users[id] == nil {
			return fmt.Errorf("no user %s", id)
		}
		f.members[groupID][id] = true
	}
	for _, id := range remove {
		delete(f.members[groupID], id)
	}
	return nil
}

func (f *fakeTarget) DeleteSyncGroup(_ context.Context, _ directory.SyncScope, groupID, ref string) error {
	f.writes++
	delete(f.groups, groupID)
	delete(f.members, groupID)
	delete(f.groupLinks, ref)
	return nil
}

// fakeConnector replays a fixed directory.
type fakeConnector struct {
	entries []engine.Entry
	full    bool
	// swept says the entries name every user still there (a presence
	// scan).
	swept bool
}

func (c *fakeConnector) Fetch(_ context.Context, _ engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	for _, e := range c.entries {
		if err := emit(e); err != nil {
			return engine.FetchResult{}, err
		}
	}
	return engine.FetchResult{Cursor: "next", Full: c.full, UsersSwept: c.swept}, nil
}

func (c *fakeConnector) Check(context.Context) error { return nil }

func (f *fakeTarget) SyncUserFieldsSet(_ context.Context, _ string, ids []string, fields []directory.Attr) (map[string][]directory.Attr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]directory.Attr{}
	for _, id := range ids {
		u := f.users[id]
		if u == nil {
			continue
		}
		var set []directory.Attr
		for _, a := range fields {
			if attr, ok := directory.UserAttribute(a); ok && attr.Text != nil && *attr.Text(u) != "" {
				set = append(set, a)
			}
		}
		out[id] = set
	}
	return out, nil
}

// SyncUserDrift compares the two attributes the fake keeps.
func (f *fakeTarget) SyncUserDrift(_ context.Context, _ directory.SyncScope, changes []directory.SyncUserChange, _ bool) (map[string][]directory.Attr, error) {
	out := map[string][]directory.Attr{}
	for _, c := range changes {
		u := f.users[c.UserID]
		if u == nil || u.Status == directory.StatusDeleted {
			continue
		}
		if u.UserName != c.Attrs[directory.UserUserName] {
			out[u.ID] = append(out[u.ID], directory.UserUserName)
		}
		if u.Title != c.Attrs[directory.UserTitle] {
			out[u.ID] = append(out[u.ID], directory.UserTitle)
		}
	}
	return out, nil
}
