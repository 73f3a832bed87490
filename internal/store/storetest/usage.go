package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// usageKey is a count of the usage snapshot.
type usageKey struct {
	status directory.Status
	role   directory.Role
	source directory.Source
}

// usageModel is what the test knows of an organization's users: the
// snapshot must count the same.
type usageModel struct {
	users   map[string]*directory.User
	members map[string]bool // user ids in the mapped group
}

func (m *usageModel) rows(day string) []directory.UsageRow {
	counts := map[usageKey]int{}
	for _, u := range m.users {
		counts[usageKey{u.Status, u.Role, u.Source}]++
	}
	var out []directory.UsageRow
	for k, n := range counts {
		out = append(out, directory.UsageRow{Day: day, Status: k.status, Role: k.role, Source: k.source, Users: n})
	}
	slices.SortFunc(out, func(a, b directory.UsageRow) int {
		return compareStrings(string(a.Status)+"\x00"+string(a.Role)+"\x00"+string(a.Source), string(b.Status)+"\x00"+string(b.Role)+"\x00"+string(b.Source))
	})
	return out
}

// seats counts the users not deleted holding key: as an entitlement, or,
// for mapped, through the group.
func (m *usageModel) seats(key string, mapped bool) int {
	n := 0
	for id, u := range m.users {
		if u.Status == directory.StatusDeleted {
			continue
		}
		held := mapped && m.members[id]
		for _, g := range u.Entitlements {
			held = held || strings.EqualFold(g.Value, key)
		}
		if held {
			n++
		}
	}
	return n
}

// testUsageFold writes users at random (creates one at a time and in
// bulk, status changes, deletes and restores, role and source changes,
// batch updates as a directory sync writes them, entitlements and
// memberships of a group mapped to a service) and checks
// after each snapshot that the counts kept on write, folded in, equal the
// test's own count, and in the end that a full recount gives the same.
func testUsageFold(t *testing.T, f *fixture) {
	svc := directory.NewService(f.s, time.Now)
	admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Admin"}
	a, b := f.org("fold-a"), f.org("fold-b")
	group := f.group(a, "licensed")
	wiki := f.service(a, "wiki", ptr(1000))
	crm, err := svc.CreateService(f.ctx, admin, a.ID, &directory.OrgService{Key: "crm", GroupIDs: []string{group.ID}})
	must(t, "CreateService", err)
	models := map[string]*usageModel{
		a.ID: {users: map[string]*directory.User{}, members: map[string]bool{}},
		b.ID: {users: map[string]*directory.User{}, members: map[string]bool{}},
	}
	orgs := []*directory.Org{a, b}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 7)) //nolint:gosec // a test's reproducible sequence, logged by its seed
	roles := []directory.Role{directory.RoleUser, directory.RoleOrgAdmin, directory.RoleOrgViewer, directory.RoleBillingAdmin}
	sources := []directory.Source{directory.SourceLocal, directory.SourceSCIM, directory.SourceImport, directory.SourceLDAP}
	live := []directory.Status{directory.StatusActive, directory.StatusPending, directory.StatusSuspended, directory.StatusInactive, directory.StatusLocked}
	ents := [][]string{nil, {"crm"}, {"WIKI"}, {"crm", "wiki"}, {"other"}}
	n := 0
	newUser := func(org *directory.Org) *directory.User {
		n++
		u := f.newUser(org, addr(org, fmt.Sprintf("fold%d", n)))
		u.Role, u.Source, u.Status = roles[rnd.IntN(len(roles))], sources[rnd.IntN(len(sources))], live[rnd.IntN(len(live))]
		for _, e := range ents[rnd.IntN(len(ents))] {
			u.Entitlements = append(u.Entitlements, directory.Grant{Value: e})
		}
		return u
	}
	pick := func() *directory.User {
		var all []*directory.User
		for _, o := range orgs {
			for _, u := range models[o.ID].users {
				all = append(all, u)
			}
		}
		if len(all) == 0 {
			return nil
		}
		slices.SortFunc(all, func(x, y *directory.User) int { return compareStrings(x.ID, y.ID) })
		return all[rnd.IntN(len(all))]
	}
	// The days are this subtest's: a recount date before the other
	// subtests' keeps their snapshots from making this one's due.
	day := fmt.Sprintf("2198-%02d-01", f.seq.Add(1)%12+1)
	first, err := f.s.Jobs().SnapshotUsage(f.ctx, day, true)
	must(t, "the first snapshot", err)
	if !first.Recounted {
		t.Error("a snapshot asked to recount did not")
	}
	check := func(step int) {
		t.Helper()
		got, err := f.s.Jobs().SnapshotUsage(f.ctx, day, false)
		must(t, "SnapshotUsage", err)
		if got.Recounted {
			t.Fatalf("step %d: the snapshot recounted, want a fold", step)
		}
		for _, o := range orgs {
			rows, err := f.s.Jobs().UsageSeries(f.ctx, o.ID, day, day)
			must(t, "UsageSeries", err)
			diff(t, fmt.Sprintf("step %d: organization %s's folded counts", step, o.Slug), models[o.ID].rows(day), rows)
		}
		services, err := f.s.Jobs().UsageServiceSeries(f.ctx, a.ID, day, day)
		must(t, "UsageServiceSeries", err)
		m := models[a.ID]
		diff(t, fmt.Sprintf("step %d: seats per service", step), []directory.UsageServiceRow{
			{Day: day, Key: "crm", Name: "crm", Seats: m.seats("crm", true)},
			{Day: day, Key: "wiki", Name: "WIKI", Seats: m.seats("wiki", false), Limit: wiki.SeatLimit},
		}, services)
	}

	for step := range 80 {
		switch op := rnd.IntN(11); {
		case op < 2: // one create
			u := newUser(orgs[rnd.IntN(2)])
			must(t, "CreateUser", f.s.Users().CreateUser(f.ctx, u))
			models[u.OrgID].users[u.ID] = u
		case op < 3: // a bulk create
			org := orgs[rnd.IntN(2)]
			batch := []*directory.User{newUser(org), newUser(org), newUser(org)}
			must(t, "CreateUsers", f.s.Bulk().CreateUsers(f.ctx, batch))
			for _, u := range batch {
				models[u.OrgID].users[u.ID] = u
			}
		case op < 8: // an update
			u := pick()
			if u == nil {
				continue
			}
			next := *u
			next.Entitlements = slices.Clone(u.Entitlements)
			switch rnd.IntN(5) {
			case 0: // delete, or restore
				if u.Status == directory.StatusDeleted {
					next.Status = directory.StatusActive
				} else {
					next.Status = directory.StatusDeleted
				}
			case 1:
				next.Status = live[rnd.IntN(len(live))]
			case 2:
				next.Role = roles[rnd.IntN(len(roles))]
			case 3:
				next.Source = sources[rnd.IntN(len(sources))]
			case 4:
				next.Entitlements = nil
				for _, e := range ents[rnd.IntN(len(ents))] {
					next.Entitlements = append(next.Entitlements, directory.Grant{Value: e})
				}
			}
			if rnd.IntN(4) == 0 {
				next.DisplayName = fmt.Sprintf("renamed %d", step) // a change the counts ignore
			}
			must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, &next, f.at(time.Duration(step)*time.Minute)))
			models[u.OrgID].users[u.ID] = &next
		case op < 9: // join or leave the group mapped to crm
			var inA []string
			for id, u := range models[a.ID].users {
				if u.Status != directory.StatusDeleted || models[a.ID].members[id] { // deleted users join no group
					inA = append(inA, id)
				}
			}
			if len(inA) == 0 {
				continue
			}
			slices.Sort(inA)
			id := inA[rnd.IntN(len(inA))]
			if models[a.ID].members[id] {
				_, err := f.s.Groups().RemoveMembers(f.ctx, a.ID, group.ID, []string{id})
				must(t, "RemoveMembers", err)
				delete(models[a.ID].members, id)
			} else {
				_, err := f.s.Groups().AddMembers(f.ctx, a.ID, group.ID, []string{id})
				must(t, "AddMembers", err)
				models[a.ID].members[id] = true
			}
		case op < 10: // a batch update (a directory sync's), as one upsert
			org := orgs[rnd.IntN(2)]
			var batch []*directory.User
			for _, u := range models[org.ID].users {
				if len(batch) < 3 {
					next := *u
					next.Entitlements = slices.Clone(u.Entitlements)
					next.Status, next.Role = live[rnd.IntN(len(live))], roles[rnd.IntN(len(roles))]
					batch = append(batch, &next)
				}
			}
			if len(batch) == 0 {
				continue
			}
			must(t, "UpdateUsers", f.s.SyncBatches().UpdateUsers(f.ctx, batch, f.at(time.Duration(step)*time.Minute)))
			for _, u := range batch {
				models[org.ID].users[u.ID] = u
			}
		default:
			check(step)
		}
	}
	check(80)

	// A full recount, on the next day, counts what the folds kept.
	next := fmt.Sprintf("%s-02", day[:7])
	got, err := f.s.Jobs().SnapshotUsage(f.ctx, next, true)
	must(t, "the recount", err)
	if !got.Recounted {
		t.Error("a snapshot asked to recount did not")
	}
	for _, o := range orgs {
		folded, err := f.s.Jobs().UsageSeries(f.ctx, o.ID, day, day)
		must(t, "UsageSeries", err)
		recounted, err := f.s.Jobs().UsageSeries(f.ctx, o.ID, next, next)
		must(t, "UsageSeries", err)
		for i := range folded {
			folded[i].Day = next
		}
		diff(t, "organization "+o.Slug+": the folded counts against a full recount", recounted, folded)
	}
	_ = crm
}
