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
	mu         sync.Mutex                  // the engine applies batches concurrently
	users      map[string]*directory.User  // by id
	names      map[string]string           // lower-cased userName → id
	userLinks  map[string]*engine.UserLink // by ref
	groups     map[string]string           // id → name
	groupLinks map[string]*engine.GroupLink
	members    map[string]map[string]bool
	writes     int
	nextID     int
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{
		users: map[string]*directory.User{}, names: map[string]string{}, userLinks: map[string]*engine.UserLink{},
		groups: map[string]string{}, groupLinks: map[string]*engine.GroupLink{}, members: map[string]map[string]bool{},
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

func (f *fakeTarget) UserLinks(_ context.Context, _ engine.RunScope, fn func(engine.UserLink) error) error {
	for _, l := range f.userLinks {
		u := f.users[l.UserID]
		c := *l
		c.Status, c.SetBy, c.Role = u.Status, u.StatusSetBy, u.Role
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) GroupLinks(_ context.Context, _ engine.RunScope, fn func(engine.GroupLink) error) error {
	for _, l := range f.groupLinks {
		if err := fn(*l); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeTarget) ApplyUsers(_ context.Context, run engine.RunScope, changes []engine.UserChange) ([]engine.ChangeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	by := run.Actor.StatusAuthority()
	out := make([]engine.ChangeResult, len(changes))
	for i, c := range changes {
		switch c.Op {
		case engine.OpCreate:
			name := c.Record.Attrs[directory.UserUserName]
			if f.byName(name) != nil {
				out[i] = engine.ChangeResult{Op: engine.OpConflict, Message: "userName " + name + " belongs to another user"}
				continue
			}
			u := &directory.User{ID: f.id("u"), UserName: name, Source: run.Source, SourceRef: c.Ref, Role: c.Role,
				Title: c.Record.Attrs[directory.UserTitle], Status: directory.StatusActive, StatusSetBy: by}
			if !c.Record.Active {
				u.Status = directory.StatusSuspended
			}
			f.users[u.ID] = u
			f.names[strings.ToLower(name)] = u.ID
			f.userLinks[c.Ref] = &engine.UserLink{Ref: c.Ref, UserID: u.ID, MemberKey: c.Record.MemberKey, Hash: c.Hash}
			out[i] = engine.ChangeResult{UserID: u.ID, Op: engine.OpCreate, Changed: true}
		case engine.OpUpdate:
			u := f.users[c.UserID]
			op := engine.OpUpdate
			if u.Status == directory.StatusDeleted {
				u.Status, u.StatusSetBy, op = directory.StatusActive, by, engine.OpRestore
			}
			if to, changed := directory.StatusFromDirectory(u, c.Record.Active, by); changed {
				u.Status, u.StatusSetBy = to, by
				op = engine.OpReactivate
				if to == directory.StatusSuspended {
					op = engine.OpSuspend
				}
			}
			delete(f.names, strings.ToLower(u.UserName))
			u.UserName, u.Title = c.Record.Attrs[directory.UserUserName], c.Record.Attrs[directory.UserTitle]
			f.names[strings.ToLower(u.UserName)] = u.ID
			f.userLinks[c.Ref].Hash = c.Hash
			out[i] = engine.ChangeResult{UserID: u.ID, Op: op, Changed: true}
		case engine.OpSuspend, engine.OpDelete:
			u := f.users[c.UserID]
			to := directory.StatusSuspended
			if c.Op == engine.OpDelete {
				to = directory.StatusDeleted
			}
			if err := directory.CheckTransition(u, to, by); err != nil {
				out[i] = engine.ChangeResult{UserID: u.ID, Op: c.Op}
				continue
			}
			u.Status, u.StatusSetBy, u.StatusReason = to, by, c.Reason
			f.userLinks[c.Ref].Hash = ""
			out[i] = engine.ChangeResult{UserID: u.ID, Op: c.Op, Changed: true}
		case engine.OpRole:
			f.users[c.UserID].Role = c.Role
			out[i] = engine.ChangeResult{UserID: c.UserID, Op: c.Op, Changed: true}
		}
	}
	return out, nil
}

func (f *fakeTarget) ApplyGroup(_ context.Context, _ engine.RunScope, g engine.GroupChange) (string, error) {
	f.writes++
	id := g.GroupID
	if id == "" {
		id = f.id("g")
		f.members[id] = map[string]bool{}
	}
	f.groups[id] = g.Name
	f.groupLinks[g.Ref] = &engine.GroupLink{Ref: g.Ref, GroupID: id, Name: g.Name, MemberKey: g.MemberKey}
	return id, nil
}

func (f *fakeTarget) GroupMembers(_ context.Context, _, groupID string) ([]string, error) {
	var out []string
	for id := range f.members[groupID] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeTarget) ChangeMembers(_ context.Context, _ engine.RunScope, groupID string, add, remove []string) error {
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

func (f *fakeTarget) DeleteGroup(_ context.Context, _ engine.RunScope, groupID, ref string) error {
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
}

func (c *fakeConnector) Fetch(_ context.Context, _ engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	for _, e := range c.entries {
		if err := emit(e); err != nil {
			return engine.FetchResult{}, err
		}
	}
	return engine.FetchResult{Cursor: "next", Full: c.full}, nil
}

func (c *fakeConnector) Check(context.Context) error { return nil }
