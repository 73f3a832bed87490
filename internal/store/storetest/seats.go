package storetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// seatsWant is what the test expects of one organization's services: the
// seats of each, by key (0 for a service nobody holds).
type seatsWant map[string]int

// testSeatsKept walks every path that gives or takes a seat (an
// entitlement, a group mapped to a service or unmapped, a member added or
// removed, a user deleted or restored, a service created over existing
// entitlements or deleted, a group deleted) and checks after each step
// that the seats kept on write equal the test's count: through CountSeats
// before and after a fold, through the folded snapshot, and through a
// full recount, which must agree with them.
func testSeatsKept(t *testing.T, f *fixture) {
	svc := directory.NewService(f.s, time.Now)
	admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Admin"}
	acme, other := f.org("seats-a"), f.org("seats-b")
	// A day of this subtest's own, recounted first, as testUsageFold does.
	day := fmt.Sprintf("2197-%02d-01", f.seq.Add(1)%12+1)
	_, err := f.s.Jobs().SnapshotUsage(f.ctx, day, true)
	must(t, "the first snapshot", err)

	seriesSeats := func(org *directory.Org) seatsWant {
		rows, err := f.s.Jobs().UsageServiceSeries(f.ctx, org.ID, day, day)
		must(t, "UsageServiceSeries", err)
		out := seatsWant{}
		for _, r := range rows {
			out[r.Key] = r.Seats
		}
		return out
	}
	countSeats := func(org *directory.Org, want seatsWant, except ...string) map[string]int {
		keys := append([]string{"nobody-has-this"}, mapsKeys(want)...)
		got, err := f.s.Services().CountSeats(f.ctx, org.ID, keys, except)
		must(t, "CountSeats", err)
		return got
	}
	held := func(want seatsWant) map[string]int {
		out := map[string]int{}
		for k, n := range want {
			if n > 0 {
				out[k] = n
			}
		}
		return out
	}
	check := func(step string, wantA, wantB seatsWant) {
		t.Helper()
		for _, o := range []struct {
			org  *directory.Org
			want seatsWant
		}{{acme, wantA}, {other, wantB}} {
			diff(t, step+": "+o.org.Name+"'s seats counted before the fold", held(o.want), countSeats(o.org, o.want))
		}
		got, err := f.s.Jobs().SnapshotUsage(f.ctx, day, false)
		must(t, "SnapshotUsage", err)
		if got.Recounted {
			t.Fatalf("%s: the snapshot recounted, want a fold", step)
		}
		for _, o := range []struct {
			org  *directory.Org
			want seatsWant
		}{{acme, wantA}, {other, wantB}} {
			diff(t, step+": "+o.org.Name+"'s folded seats", o.want, seriesSeats(o.org))
			diff(t, step+": "+o.org.Name+"'s seats counted after the fold", held(o.want), countSeats(o.org, o.want))
		}
		got, err = f.s.Jobs().SnapshotUsage(f.ctx, day, true)
		must(t, "SnapshotUsage recounting", err)
		if !got.Recounted {
			t.Fatalf("%s: a snapshot asked to recount did not", step)
		}
		for _, o := range []struct {
			org  *directory.Org
			want seatsWant
		}{{acme, wantA}, {other, wantB}} {
			diff(t, step+": "+o.org.Name+"'s recounted seats", o.want, seriesSeats(o.org))
			diff(t, step+": "+o.org.Name+"'s seats counted after the recount", held(o.want), countSeats(o.org, o.want))
		}
	}
	create := func(org *directory.Org, name string, ents ...string) *directory.User {
		t.Helper()
		u := &directory.User{UserName: name + "@" + org.Domains[0].Name, PasswordHash: "x"}
		for _, e := range ents {
			u.Entitlements = append(u.Entitlements, directory.Grant{Value: e})
		}
		u, err := svc.CreateUser(f.ctx, admin, org.ID, u)
		must(t, "CreateUser "+name, err)
		return u
	}

	// Entitlements: one seat per user, whatever the case or repetition;
	// a key of another organization's service does not count here.
	crm, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "crm", SeatLimit: ptr(10)})
	must(t, "CreateService crm", err)
	wiki, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "wiki"})
	must(t, "CreateService wiki", err)
	_, err = svc.CreateService(f.ctx, admin, other.ID, &directory.OrgService{Key: "crm"})
	must(t, "CreateService crm of globex", err)
	ada := create(acme, "ada", "CRM", "crm")
	bob := create(acme, "bob", "wiki", "plain")
	cyd := create(acme, "cyd", "docs")
	dan := create(acme, "dan")
	create(other, "eve", "crm", "wiki")
	check("entitlements", seatsWant{"crm": 1, "wiki": 1}, seatsWant{"crm": 1})

	// A service created after its key was given counts those holders.
	docs, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "docs"})
	must(t, "CreateService docs", err)
	check("a service over existing entitlements", seatsWant{"crm": 1, "wiki": 1, "docs": 1}, seatsWant{"crm": 1})

	// Entitlements given and taken by updates.
	_, err = svc.AssignServices(f.ctx, admin, acme.ID, []string{bob.ID, cyd.ID}, []string{"crm"})
	must(t, "AssignServices", err)
	_, err = svc.UnassignServices(f.ctx, admin, acme.ID, []string{cyd.ID}, []string{"docs"})
	must(t, "UnassignServices", err)
	check("entitlements assigned and unassigned", seatsWant{"crm": 3, "wiki": 1, "docs": 0}, seatsWant{"crm": 1})
	_, err = svc.UpdateUser(f.ctx, admin, acme.ID, ada.ID, 0, func(u *directory.User) error {
		u.Entitlements = []directory.Grant{{Value: "crm"}}
		return nil
	})
	must(t, "UpdateUser ada", err)
	check("one of two entitlements of a key removed", seatsWant{"crm": 3, "wiki": 1, "docs": 0}, seatsWant{"crm": 1})

	// A group mapped to a service gives it to its members, once each.
	sales, err := svc.CreateGroup(f.ctx, admin, acme.ID, &directory.Group{DisplayName: "Sales"}, []string{ada.ID, dan.ID})
	must(t, "CreateGroup", err)
	_, err = svc.UpdateService(f.ctx, admin, acme.ID, docs.ID, 0, func(sv *directory.OrgService) error {
		sv.GroupIDs = []string{sales.ID}
		return nil
	})
	must(t, "mapping sales to docs", err)
	_, err = svc.UpdateService(f.ctx, admin, acme.ID, crm.ID, 0, func(sv *directory.OrgService) error {
		sv.GroupIDs = []string{sales.ID}
		return nil
	})
	must(t, "mapping sales to crm", err)
	check("a group mapped", seatsWant{"crm": 4, "wiki": 1, "docs": 2}, seatsWant{"crm": 1})

	// Members added and removed; a member also entitled keeps its seat.
	_, err = svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Add: []string{cyd.ID}})
	must(t, "adding cyd", err)
	check("a member added", seatsWant{"crm": 4, "wiki": 1, "docs": 3}, seatsWant{"crm": 1})
	_, err = svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Remove: []string{ada.ID, dan.ID}})
	must(t, "removing ada and dan", err)
	check("members removed", seatsWant{"crm": 3, "wiki": 1, "docs": 1}, seatsWant{"crm": 1})
	_, err = svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Replace: &[]string{dan.ID, bob.ID}})
	must(t, "replacing the members", err)
	check("members replaced", seatsWant{"crm": 4, "wiki": 1, "docs": 2}, seatsWant{"crm": 1})

	// CountSeats leaves out the users it is told to, if they hold it.
	diff(t, "CountSeats except dan and ada", map[string]int{"crm": 2, "wiki": 1, "docs": 1},
		countSeats(acme, seatsWant{"crm": 0, "wiki": 0, "docs": 0}, dan.ID, ada.ID, "someone-else"))

	// A deleted user gives its seats back; restored, it takes them again.
	_, err = svc.DeleteUser(f.ctx, admin, acme.ID, bob.ID, 0)
	must(t, "DeleteUser bob", err)
	check("a user deleted", seatsWant{"crm": 3, "wiki": 0, "docs": 1}, seatsWant{"crm": 1})
	_, err = svc.RestoreUser(f.ctx, admin, acme.ID, bob.ID)
	must(t, "RestoreUser bob", err)
	check("a user restored", seatsWant{"crm": 4, "wiki": 1, "docs": 2}, seatsWant{"crm": 1})

	// A group unmapped takes back what it gave; a deleted group too.
	_, err = svc.UpdateService(f.ctx, admin, acme.ID, docs.ID, 0, func(sv *directory.OrgService) error {
		sv.GroupIDs = nil
		return nil
	})
	must(t, "unmapping docs", err)
	check("a group unmapped", seatsWant{"crm": 4, "wiki": 1, "docs": 0}, seatsWant{"crm": 1})
	must(t, "DeleteGroup", svc.DeleteGroup(f.ctx, admin, acme.ID, sales.ID, 0))
	check("a mapped group deleted", seatsWant{"crm": 3, "wiki": 1, "docs": 0}, seatsWant{"crm": 1})

	// A deleted service leaves the snapshot; its key, given again to a
	// new service, counts its holders afresh. (The service refuses to
	// delete a service someone holds; the store does as it is told.)
	must(t, "DeleteService wiki", f.s.Services().DeleteService(f.ctx, acme.ID, wiki.ID))
	check("a service deleted", seatsWant{"crm": 3, "docs": 0}, seatsWant{"crm": 1})
	_, err = svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "wiki"})
	must(t, "CreateService wiki again", err)
	check("a service created again", seatsWant{"crm": 3, "wiki": 1, "docs": 0}, seatsWant{"crm": 1})
}

func mapsKeys(m seatsWant) []string { return slices.Collect(maps.Keys(m)) }
