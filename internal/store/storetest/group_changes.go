package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// testGroupChangesFold checks that the changes TouchGroupsOfUsers notes move
// a group's version once each, and that the next write of the group keeps
// them: a rename checks the version with them and folds them, and so does
// a membership change; a stale rename loses none.
func testGroupChangesFold(t *testing.T, f *fixture) {
	a := f.org("a")
	g := f.group(a, "Fold")
	u, v, w, x := f.user(a, "u@a.example"), f.user(a, "v@a.example"), f.user(a, "w@a.example"), f.user(a, "x@a.example")
	f.addMembers(g, u, v, w)
	read := func() *directory.Group {
		t.Helper()
		got, err := f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
		must(t, "GetGroup", err)
		return got
	}
	start := read()
	want := func(what string, version int64, at time.Time) {
		t.Helper()
		got := read()
		if got.Version != start.Version+version || !got.UpdatedAt.Equal(micro(at)) {
			t.Errorf("%s: version %d at %v, want %d at %v", what, got.Version, got.UpdatedAt, start.Version+version, micro(at))
		}
	}
	touch := func(at time.Duration, users ...*directory.User) time.Time {
		t.Helper()
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		now := f.at(at)
		must(t, "TouchGroupsOfUsers", f.s.Groups().TouchGroupsOfUsers(f.ctx, a.ID, ids, now))
		return now
	}
	touch(time.Hour, u)
	t2 := touch(2*time.Hour, v)
	want("after two changes", 2, t2)
	// A change noted at an earlier time moves the version, not the time.
	touch(90*time.Minute, w)
	want("after a change noted late", 3, t2)

	stale := read()
	stale.Version--
	stale.DisplayName = "Stale"
	if err := f.s.Groups().UpdateGroup(f.ctx, stale, f.at(3*time.Hour)); !errors.Is(err, directory.ErrStale) {
		t.Errorf("UpdateGroup at a version before the changes: error = %v, want ErrStale", err)
	}
	want("after a stale rename", 3, t2)

	renamed := read()
	renamed.DisplayName = "Folded"
	t4 := f.at(4 * time.Hour)
	must(t, "UpdateGroup", f.s.Groups().UpdateGroup(f.ctx, renamed, t4))
	if renamed.Version != start.Version+4 {
		t.Errorf("UpdateGroup set version %d, want %d", renamed.Version, start.Version+4)
	}
	want("after the rename", 4, t4)
	if got := read(); got.DisplayName != "Folded" {
		t.Errorf("displayName = %q after the rename", got.DisplayName)
	}

	t5 := touch(5*time.Hour, u, v)
	want("after a change of two members", 5, t5)
	t6 := f.at(6 * time.Hour)
	err := f.s.InTx(f.ctx, func(r directory.Repos) error {
		if _, err := r.Groups().AddMembers(f.ctx, a.ID, g.ID, []string{x.ID}); err != nil {
			return err
		}
		_, err := r.Groups().TouchGroup(f.ctx, a.ID, g.ID, t6)
		return err
	})
	must(t, "adding a member", err)
	want("after a membership change", 6, t6)
	touched, err := f.s.Groups().TouchGroup(f.ctx, a.ID, g.ID, f.at(7*time.Hour))
	must(t, "TouchGroup", err)
	if touched.Version != start.Version+7 {
		t.Errorf("TouchGroup returned version %d, want %d", touched.Version, start.Version+7)
	}
	want("after a bump", 7, f.at(7*time.Hour))

	// Changes noted and then the group deleted: it is gone, changes and all.
	touch(8*time.Hour, w)
	must(t, "DeleteGroup", f.s.Groups().DeleteGroup(f.ctx, a.ID, g.ID))
	_, err = f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	wantCode(t, "GetGroup of the deleted group", err, directory.CodeNotFound, "")
}

// testGroupChangesConcurrent notes changes of one group from many
// transactions at once, while others change its members: each moves the
// version exactly once, whichever commits first.
func testGroupChangesConcurrent(t *testing.T, f *fixture) {
	a := f.org("a")
	g := f.group(a, "Busy")
	const notes, adds = 12, 6
	members := make([]*directory.User, notes)
	for i := range members {
		members[i] = f.user(a, "m"+string(rune('a'+i))+"@a.example")
	}
	f.addMembers(g, members...)
	newcomers := make([]*directory.User, adds)
	for i := range newcomers {
		newcomers[i] = f.user(a, "n"+string(rune('a'+i))+"@a.example")
	}
	before, err := f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	must(t, "GetGroup", err)
	var wg sync.WaitGroup
	errs := make(chan error, notes+adds)
	for i, m := range members {
		wg.Go(func() {
			errs <- f.s.InTx(f.ctx, func(r directory.Repos) error {
				return r.Groups().TouchGroupsOfUsers(f.ctx, a.ID, []string{m.ID}, f.at(time.Duration(i)*time.Minute))
			})
		})
	}
	for i, n := range newcomers {
		wg.Go(func() {
			errs <- f.s.InTx(f.ctx, func(r directory.Repos) error {
				if _, err := r.Groups().AddMembers(context.WithoutCancel(f.ctx), a.ID, g.ID, []string{n.ID}); err != nil {
					return err
				}
				_, err := r.Groups().TouchGroup(f.ctx, a.ID, g.ID, f.at(time.Duration(i)*time.Second))
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "a concurrent change", err)
	}
	after, err := f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	must(t, "GetGroup", err)
	if after.Version != before.Version+notes+adds {
		t.Errorf("version %d after %d changes from %d, want %d", after.Version, notes+adds, before.Version, before.Version+notes+adds)
	}
}
