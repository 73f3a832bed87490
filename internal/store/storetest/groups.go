package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func testGroupRoundTrip(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	g := &directory.Group{
		ID: newID(), OrgID: a.ID, DisplayName: "Ünits & Co", ExternalID: "grp-1",
		Source: directory.SourceEntra, SourceRef: "obj-1",
		CreatedAt: f.base, UpdatedAt: f.at(time.Second), Version: 1,
	}
	must(t, "CreateGroup", f.s.Groups().CreateGroup(f.ctx, g))
	if !g.CreatedAt.Equal(micro(f.base)) || g.CreatedAt.Location() != time.UTC {
		t.Errorf("CreateGroup left CreatedAt = %v, want %v", g.CreatedAt, micro(f.base))
	}
	got, err := f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	must(t, "GetGroup", err)
	diff(t, "GetGroup", g, got)

	_, err = f.s.Groups().GetGroup(f.ctx, b.ID, g.ID)
	wantCode(t, "GetGroup from another organization", err, directory.CodeNotFound, "")
	_, err = f.s.Groups().GetGroup(f.ctx, a.ID, newID())
	wantCode(t, "GetGroup(unknown)", err, directory.CodeNotFound, "")

	for _, name := range []string{"Ünits & Co", "üNITS & co"} {
		dup := &directory.Group{ID: newID(), OrgID: a.ID, DisplayName: name, Source: directory.SourceLocal, Version: 1}
		wantCode(t, "CreateGroup("+name+")", f.s.Groups().CreateGroup(f.ctx, dup), directory.CodeConflict, "displayName")
	}
	elsewhere := f.group(b, "ÜNITS & CO")
	got, err = f.s.Groups().GetGroup(f.ctx, b.ID, elsewhere.ID)
	must(t, "GetGroup", err)
	diff(t, "a group of the same name in another organization", elsewhere, got)
}

func testGroupUpdateDelete(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	g := f.group(a, "Sales")
	taken := f.group(a, "Marketing")
	stale := *g

	g.DisplayName, g.ExternalID, g.Source, g.SourceRef = "Sales EMEA", "ext-9", directory.SourceSCIM, "ref-9"
	now := f.at(time.Hour)
	must(t, "UpdateGroup", f.s.Groups().UpdateGroup(f.ctx, g, now))
	if g.Version != 2 || !g.UpdatedAt.Equal(micro(now)) {
		t.Errorf("UpdateGroup left Version = %d, UpdatedAt = %v; want 2, %v", g.Version, g.UpdatedAt, micro(now))
	}
	got, err := f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	must(t, "GetGroup", err)
	diff(t, "GetGroup after UpdateGroup", g, got)

	wantStale(t, "UpdateGroup with a stale version", f.s.Groups().UpdateGroup(f.ctx, &stale, now))
	renamed := *got
	renamed.DisplayName = "MARKETING"
	wantCode(t, "UpdateGroup onto a taken name", f.s.Groups().UpdateGroup(f.ctx, &renamed, now), directory.CodeConflict, "displayName")
	recased := *got
	recased.DisplayName = "sales emea"
	must(t, "UpdateGroup changing the case of its own name", f.s.Groups().UpdateGroup(f.ctx, &recased, now))
	moved := recased
	moved.OrgID = b.ID
	wantCode(t, "UpdateGroup through another organization", f.s.Groups().UpdateGroup(f.ctx, &moved, now), directory.CodeNotFound, "")

	touched, err := f.s.Groups().TouchGroup(f.ctx, a.ID, g.ID, f.at(2*time.Hour))
	must(t, "TouchGroup", err)
	want := recased
	want.Version, want.UpdatedAt = recased.Version+1, micro(f.at(2*time.Hour))
	diff(t, "TouchGroup", &want, touched)
	_, err = f.s.Groups().TouchGroup(f.ctx, b.ID, g.ID, now)
	wantCode(t, "TouchGroup through another organization", err, directory.CodeNotFound, "")

	u := f.user(a, "member@a.example")
	f.addMembers(g, u)
	f.addMembers(taken, u)
	wantCode(t, "DeleteGroup through another organization", f.s.Groups().DeleteGroup(f.ctx, b.ID, g.ID), directory.CodeNotFound, "")
	must(t, "DeleteGroup", f.s.Groups().DeleteGroup(f.ctx, a.ID, g.ID))
	_, err = f.s.Groups().GetGroup(f.ctx, a.ID, g.ID)
	wantCode(t, "GetGroup after DeleteGroup", err, directory.CodeNotFound, "")
	groups, err := f.s.Groups().GroupsOfUser(f.ctx, a.ID, u.ID)
	must(t, "GroupsOfUser", err)
	diff(t, "groups of a member of a deleted group", []*directory.Group{taken}, groups)
	wantCode(t, "DeleteGroup again", f.s.Groups().DeleteGroup(f.ctx, a.ID, g.ID), directory.CodeNotFound, "")
	_, err = f.s.Groups().ListMembers(f.ctx, a.ID, g.ID, "", 10)
	wantCode(t, "ListMembers of a deleted group", err, directory.CodeNotFound, "")

	// The name of a deleted group is free again.
	f.group(a, "SALES EMEA")
}

func testGroupMembers(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	g := f.group(a, "Team")
	var us []*directory.User
	for i := range 5 {
		us = append(us, f.user(a, fmt.Sprintf("m%d@a.example", i)))
	}
	outsider := f.user(b, "outsider@b.example")
	gone := f.user(a, "gone@a.example", func(u *directory.User) { u.Status = directory.StatusDeleted })
	members := func() []string {
		t.Helper()
		page, err := f.s.Groups().ListMembers(f.ctx, a.ID, g.ID, "", directory.MaxPageSize)
		must(t, "ListMembers", err)
		var out []string
		for _, m := range page.Members {
			out = append(out, m.UserID)
		}
		return out
	}
	sorted := func(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }

	added, err := f.s.Groups().AddMembers(f.ctx, a.ID, g.ID, []string{us[2].ID, us[0].ID, us[2].ID})
	must(t, "AddMembers", err)
	diff(t, "AddMembers returns the ids added, in the order given, once", []string{us[2].ID, us[0].ID}, added)

	added, err = f.s.Groups().AddMembers(f.ctx, a.ID, g.ID, []string{us[0].ID, us[1].ID})
	must(t, "AddMembers", err)
	diff(t, "AddMembers skips members", []string{us[1].ID}, added)
	diff(t, "members", sorted(us[0].ID, us[1].ID, us[2].ID), members())

	for name, bad := range map[string]string{
		"an unknown id":                  newID(),
		"a user of another organization": outsider.ID,
		"a deleted user":                 gone.ID,
		"a group id":                     g.ID,
	} {
		_, err := f.s.Groups().AddMembers(f.ctx, a.ID, g.ID, []string{us[3].ID, bad})
		wantCode(t, "AddMembers with "+name, err, directory.CodeInvalid, "members")
	}
	diff(t, "members after refused additions", sorted(us[0].ID, us[1].ID, us[2].ID), members())

	_, err = f.s.Groups().AddMembers(f.ctx, b.ID, g.ID, []string{outsider.ID})
	wantCode(t, "AddMembers through another organization", err, directory.CodeNotFound, "")
	_, err = f.s.Groups().AddMembers(f.ctx, a.ID, newID(), []string{us[0].ID})
	wantCode(t, "AddMembers to an unknown group", err, directory.CodeNotFound, "")
	added, err = f.s.Groups().AddMembers(f.ctx, a.ID, g.ID, nil)
	must(t, "AddMembers(nothing)", err)
	if len(added) != 0 {
		t.Errorf("AddMembers(nothing) = %v", added)
	}

	removed, err := f.s.Groups().RemoveMembers(f.ctx, a.ID, g.ID, []string{us[4].ID, us[1].ID, newID(), us[0].ID})
	must(t, "RemoveMembers", err)
	diff(t, "RemoveMembers returns the ids removed, in the order given", []string{us[1].ID, us[0].ID}, removed)
	diff(t, "members after RemoveMembers", []string{us[2].ID}, members())
	_, err = f.s.Groups().RemoveMembers(f.ctx, b.ID, g.ID, []string{us[2].ID})
	wantCode(t, "RemoveMembers through another organization", err, directory.CodeNotFound, "")
	diff(t, "members after a refused removal", []string{us[2].ID}, members())

	groups, err := f.s.Groups().GroupsOfUser(f.ctx, a.ID, us[2].ID)
	must(t, "GroupsOfUser", err)
	diff(t, "GroupsOfUser", []string{g.ID}, groupIDs(groups))
	groups, err = f.s.Groups().GroupsOfUser(f.ctx, a.ID, us[3].ID)
	must(t, "GroupsOfUser(no groups)", err)
	if len(groups) != 0 {
		t.Errorf("GroupsOfUser(no groups) = %v", groupIDs(groups))
	}
	_, err = f.s.Groups().GroupsOfUser(f.ctx, b.ID, us[2].ID)
	wantCode(t, "GroupsOfUser through another organization", err, directory.CodeNotFound, "")
	_, err = f.s.Groups().GroupsOfUser(f.ctx, a.ID, newID())
	wantCode(t, "GroupsOfUser(unknown)", err, directory.CodeNotFound, "")
}

func groupIDs(groups []*directory.Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.ID
	}
	return out
}

func testListMembers(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	g := f.group(a, "Team")
	empty := f.group(a, "Empty")
	var want []directory.Member
	var us []*directory.User
	for i := range 7 {
		u := f.user(a, fmt.Sprintf("m%d@a.example", i), func(u *directory.User) {
			if i%2 == 0 {
				u.DisplayName = fmt.Sprintf("Member %d", i)
			}
		})
		us = append(us, u)
		display := u.DisplayName
		if display == "" {
			display = u.UserName
		}
		want = append(want, directory.Member{UserID: u.ID, Display: display})
	}
	slices.Reverse(us)
	f.addMembers(g, us...)
	slices.SortFunc(want, func(x, y directory.Member) int { return compareStrings(x.UserID, y.UserID) })

	var got []directory.Member
	after := ""
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("member paging does not end")
		}
		page, err := f.s.Groups().ListMembers(f.ctx, a.ID, g.ID, after, 3)
		must(t, "ListMembers", err)
		if len(page.Members) > 3 {
			t.Fatalf("a page of 3 holds %d members", len(page.Members))
		}
		got = append(got, page.Members...)
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	diff(t, "members paged in user id order", want, got)

	// A soft-deleted member is left out of the listing, and back once
	// restored: its membership is kept.
	gone := us[0].Clone()
	gone.Status = directory.StatusDeleted
	deletedAt := f.at(time.Hour)
	gone.DeletedAt = &deletedAt
	must(t, "UpdateUser to deleted", f.s.Users().UpdateUser(f.ctx, gone, f.at(time.Hour)))
	page, err := f.s.Groups().ListMembers(f.ctx, a.ID, g.ID, "", 100)
	must(t, "ListMembers with a deleted member", err)
	live := slices.DeleteFunc(slices.Clone(want), func(m directory.Member) bool { return m.UserID == gone.ID })
	diff(t, "members without the deleted one", live, page.Members)
	gone.Status, gone.DeletedAt = directory.StatusActive, nil
	must(t, "UpdateUser to restore", f.s.Users().UpdateUser(f.ctx, gone, f.at(2*time.Hour)))
	page, err = f.s.Groups().ListMembers(f.ctx, a.ID, g.ID, "", 100)
	must(t, "ListMembers after the restore", err)
	diff(t, "members after the restore", want, page.Members)

	page, err = f.s.Groups().ListMembers(f.ctx, a.ID, empty.ID, "", 0)
	must(t, "ListMembers(empty group)", err)
	if len(page.Members) != 0 || page.Next != "" {
		t.Errorf("ListMembers(empty group) = %+v", page)
	}
	_, err = f.s.Groups().ListMembers(f.ctx, b.ID, g.ID, "", 10)
	wantCode(t, "ListMembers through another organization", err, directory.CodeNotFound, "")
	_, err = f.s.Groups().ListMembers(f.ctx, a.ID, newID(), "", 10)
	wantCode(t, "ListMembers(unknown)", err, directory.CodeNotFound, "")
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testGroupFilters(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	alice, bob := f.user(a, "alice@a.example"), f.user(a, "bob@a.example")
	admins := f.group(a, "Admins", func(g *directory.Group) {
		g.ExternalID, g.Source, g.SourceRef = "g-ext-1", directory.SourceSCIM, "r1"
	})
	eng := f.group(a, "Engineering", func(g *directory.Group) {
		g.Source, g.CreatedAt = directory.SourceLDAP, f.at(time.Minute)
	})
	sales := f.group(a, "Sales_EU", func(g *directory.Group) { g.CreatedAt = f.at(2 * time.Minute) })
	f.addMembers(admins, alice)
	f.addMembers(eng, alice, bob)
	decoy := f.group(b, "Admins", func(g *directory.Group) { g.ExternalID = "g-ext-1" })
	f.addMembers(decoy, f.user(b, "decoy@b.example"))

	members := func(where directory.Expr) directory.Has {
		return directory.Has{Attr: directory.GroupMembers, Where: where}
	}
	for _, tc := range []struct {
		name   string
		filter directory.Expr
		want   []*directory.Group
	}{
		{"no filter", nil, []*directory.Group{admins, eng, sales}},
		{"displayName eq, regardless of case", directory.Eq(directory.GroupDisplayName, "ADMINS"), []*directory.Group{admins}},
		{"displayName co escapes _", directory.Compare{Attr: directory.GroupDisplayName, Op: directory.OpCo, Value: "_"}, []*directory.Group{sales}},
		{"displayName sw", directory.Compare{Attr: directory.GroupDisplayName, Op: directory.OpSw, Value: "eng"}, []*directory.Group{eng}},
		{"id eq", directory.Eq(directory.GroupID, eng.ID), []*directory.Group{eng}},
		{"externalId eq", directory.Eq(directory.GroupExternalID, "g-ext-1"), []*directory.Group{admins}},
		{"externalId eq is case-exact", directory.Eq(directory.GroupExternalID, "G-EXT-1"), nil},
		{"source eq", directory.Eq(directory.GroupSource, "ldap"), []*directory.Group{eng}},
		{"sourceRef eq", directory.Eq(directory.GroupSourceRef, "r1"), []*directory.Group{admins}},
		{"meta.created gt", directory.Compare{Attr: directory.GroupCreated, Op: directory.OpGt, Value: f.base}, []*directory.Group{eng, sales}},
		{"meta.lastModified le", directory.Compare{Attr: directory.GroupLastModified, Op: directory.OpLe, Value: f.base}, []*directory.Group{admins, eng, sales}},
		{"members[value eq]", members(directory.Eq(directory.MemberValue, alice.ID)), []*directory.Group{admins, eng}},
		{"members eq means members[value eq]", directory.Eq(directory.GroupMembers, bob.ID), []*directory.Group{eng}},
		{"members pr", directory.Compare{Attr: directory.GroupMembers, Op: directory.OpPr}, []*directory.Group{admins, eng}},
		{"no members", directory.Not{X: members(nil)}, []*directory.Group{sales}},
		{"displayName and members", directory.And{
			directory.Eq(directory.GroupDisplayName, "engineering"), members(directory.Eq(directory.MemberValue, bob.ID)),
		}, []*directory.Group{eng}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Filter: tc.filter, CountTotal: true})
			must(t, "ListGroups", err)
			diff(t, "matching groups", tc.want, page.Groups)
			if page.Total != len(tc.want) {
				t.Errorf("Total = %d, want %d", page.Total, len(tc.want))
			}
		})
	}

	for name, filter := range map[string]directory.Expr{
		"an unknown attribute":        directory.Eq("name", "x"),
		"a boolean for displayName":   directory.Eq(directory.GroupDisplayName, true),
		"a user attribute":            directory.Eq(directory.UserUserName, "x"),
		"an unknown member attribute": members(directory.Eq("type", "User")),
		"co on a time":                directory.Compare{Attr: directory.GroupCreated, Op: directory.OpCo, Value: "2020"},
	} {
		_, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Filter: filter})
		wantCode(t, "ListGroups with "+name, err, directory.CodeInvalid, "filter")
	}
	_, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Sort: directory.Sort{Attr: directory.GroupMembers}})
	wantCode(t, "ListGroups sorted by members", err, directory.CodeInvalid, "sortBy")

	t.Run("sorting", func(t *testing.T) {
		for _, tc := range []struct {
			sort directory.Sort
			want []*directory.Group
		}{
			{directory.Sort{}, []*directory.Group{admins, eng, sales}},
			{directory.Sort{Attr: directory.GroupDisplayName, Desc: true}, []*directory.Group{sales, eng, admins}},
			{directory.Sort{Attr: directory.GroupCreated, Desc: true}, []*directory.Group{sales, eng, admins}},
			{directory.Sort{Attr: directory.GroupSource}, []*directory.Group{eng, sales, admins}},
		} {
			page, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Sort: tc.sort})
			must(t, "ListGroups", err)
			diff(t, fmt.Sprintf("groups by %q desc=%v", tc.sort.Attr, tc.sort.Desc), groupIDs(tc.want), groupIDs(page.Groups))
		}
	})

	t.Run("paging", func(t *testing.T) {
		for i := range 8 {
			f.group(a, fmt.Sprintf("Extra %d", i))
		}
		sort := directory.Sort{Attr: directory.GroupDisplayName}
		whole, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Sort: sort, Limit: directory.MaxPageSize})
		must(t, "ListGroups", err)
		var got []string
		q := directory.GroupQuery{Sort: sort, Limit: 4, CountTotal: true}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("group paging does not end")
			}
			page, err := f.s.Groups().ListGroups(f.ctx, a.ID, q)
			must(t, "ListGroups", err)
			if page.Total != 11 {
				t.Errorf("Total = %d, want 11", page.Total)
			}
			got = append(got, groupIDs(page.Groups)...)
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		diff(t, "groups paged by cursor", groupIDs(whole.Groups), got)
		page, err := f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{Sort: sort, Limit: 4, Offset: 8})
		must(t, "ListGroups", err)
		diff(t, "groups paged by offset", groupIDs(whole.Groups[8:]), groupIDs(page.Groups))
		_, err = f.s.Groups().ListGroups(f.ctx, a.ID, directory.GroupQuery{After: "%%%"})
		wantCode(t, "ListGroups after a bad cursor", err, directory.CodeInvalid, "cursor")
	})
}

func testTouchGroupsOfUsers(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	g1, g2, g3 := f.group(a, "One"), f.group(a, "Two"), f.group(a, "Untouched")
	other := f.group(b, "Elsewhere")
	u, v, w := f.user(a, "u@a.example"), f.user(a, "v@a.example"), f.user(a, "w@a.example")
	x := f.user(b, "x@b.example")
	f.addMembers(g1, u)
	f.addMembers(g2, u, v)
	f.addMembers(g3, w)
	f.addMembers(other, x)
	read := func(org *directory.Org, g *directory.Group) *directory.Group {
		t.Helper()
		got, err := f.s.Groups().GetGroup(f.ctx, org.ID, g.ID)
		must(t, "GetGroup", err)
		return got
	}
	before := map[string]*directory.Group{g1.ID: read(a, g1), g2.ID: read(a, g2), g3.ID: read(a, g3), other.ID: read(b, other)}

	now := f.at(3 * time.Hour)
	// x belongs to another organization: naming it through a touches nothing.
	must(t, "TouchGroupsOfUsers", f.s.Groups().TouchGroupsOfUsers(f.ctx, a.ID, []string{u.ID, v.ID, u.ID, x.ID}, now))
	for _, g := range []*directory.Group{g1, g2} {
		got := read(a, g)
		want := *before[g.ID]
		want.Version, want.UpdatedAt = want.Version+1, micro(now)
		diff(t, "a group of a touched user", &want, got)
	}
	diff(t, "a group of no touched user", before[g3.ID], read(a, g3))
	diff(t, "a group of another organization", before[other.ID], read(b, other))
	must(t, "TouchGroupsOfUsers(none)", f.s.Groups().TouchGroupsOfUsers(f.ctx, a.ID, nil, now))
}
