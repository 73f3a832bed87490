package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// service stores a service of org.
func (f *fixture) service(org *directory.Org, key string, limit *int) *directory.OrgService {
	f.t.Helper()
	sv := &directory.OrgService{ID: newID(), OrgID: org.ID, Key: key, Name: strings.ToUpper(key), SeatLimit: limit,
		CreatedAt: f.base, UpdatedAt: f.base, Version: 1}
	if err := f.s.Services().CreateService(f.ctx, sv); err != nil {
		f.t.Fatalf("CreateService(%s): %v", key, err)
	}
	return sv
}

func entitled(values ...string) func(*directory.User) {
	return func(u *directory.User) {
		for _, v := range values {
			u.Entitlements = append(u.Entitlements, directory.Grant{Value: v})
		}
	}
}

func testServices(t *testing.T, f *fixture) {
	acme, other := f.org("acme"), f.org("globex")
	crm := f.service(acme, "crm", ptr(2))
	wiki := f.service(acme, "wiki", nil)
	f.service(other, "crm", nil) // keys are per organization

	got, err := f.s.Services().GetService(f.ctx, acme.ID, crm.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &directory.OrgService{ID: crm.ID, OrgID: acme.ID, Key: "crm", Name: "CRM", SeatLimit: ptr(2),
		CreatedAt: micro(f.base), UpdatedAt: micro(f.base), Version: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetService (-want +got):\n%s", diff)
	}
	if _, err := f.s.Services().GetService(f.ctx, other.ID, crm.ID); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("GetService of another organization's service: %v, want not found", err)
	}
	dup := &directory.OrgService{ID: newID(), OrgID: acme.ID, Key: "crm", Name: "again", CreatedAt: f.base, UpdatedAt: f.base, Version: 1}
	if err := f.s.Services().CreateService(f.ctx, dup); !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("CreateService of a key taken: %v, want conflict", err)
	}

	list, err := f.s.Services().ListServices(f.ctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Key != "crm" || list[1].Key != "wiki" || list[1].SeatLimit != nil {
		t.Errorf("ListServices = %v, want crm (limit 2) then wiki (no limit)", list)
	}

	// Updates are versioned; the limit may be taken away.
	next := crm.Clone()
	next.Name, next.SeatLimit = "Customers", nil
	if err := f.s.Services().UpdateService(f.ctx, next, f.at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if next.Version != 2 || !next.UpdatedAt.Equal(micro(f.at(time.Hour))) {
		t.Errorf("after UpdateService: version %d, updated %v", next.Version, next.UpdatedAt)
	}
	if err := f.s.Services().UpdateService(f.ctx, crm, f.at(time.Hour)); !errors.Is(err, directory.ErrStale) {
		t.Errorf("UpdateService of an old version: %v, want ErrStale", err)
	}
	foreign := next.Clone()
	foreign.OrgID = other.ID
	if err := f.s.Services().UpdateService(f.ctx, foreign, f.at(time.Hour)); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("UpdateService through another organization: %v, want not found", err)
	}
	if got, _ := f.s.Services().GetService(f.ctx, acme.ID, crm.ID); got.Name != "Customers" || got.SeatLimit != nil {
		t.Errorf("after UpdateService: %+v", got)
	}

	// Seats: users not deleted holding the key as an entitlement value,
	// regardless of case, counted once each, in their organization only.
	ada := f.user(acme, "ada@acme.example", entitled("CRM", "crm", "wiki"))
	f.user(acme, "bob@acme.example", entitled("crm", "something-else"))
	gone := f.user(acme, "gone@acme.example", entitled("crm"))
	f.user(other, "eve@globex.example", entitled("crm"))
	gone.Status, gone.DeletedAt = directory.StatusDeleted, ptr(f.base)
	if err := f.s.Users().UpdateUser(f.ctx, gone, f.base); err != nil {
		t.Fatal(err)
	}
	seats, err := f.s.Services().CountSeats(f.ctx, acme.ID, []string{"crm", "wiki", "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"crm": 2, "wiki": 1}, seats); diff != "" {
		t.Errorf("CountSeats (-want +got):\n%s", diff)
	}
	seats, err = f.s.Services().CountSeats(f.ctx, acme.ID, []string{"crm"}, []string{ada.ID})
	if err != nil {
		t.Fatal(err)
	}
	if seats["crm"] != 1 {
		t.Errorf("CountSeats except ada = %v, want crm 1", seats)
	}
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		return r.Services().TakeSeats(f.ctx, acme.ID, []string{"crm", "wiki"})
	})
	if err != nil {
		t.Errorf("TakeSeats: %v", err)
	}

	if err := f.s.Services().DeleteService(f.ctx, other.ID, wiki.ID); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("DeleteService of another organization's service: %v, want not found", err)
	}
	if err := f.s.Services().DeleteService(f.ctx, acme.ID, wiki.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Services().GetService(f.ctx, acme.ID, wiki.ID); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("GetService after delete: %v, want not found", err)
	}
}

// testServiceSeats checks the service's seat rules over the store: a full
// service refuses an assignment, in any write path, and a bulk change is
// all or nothing.
func testServiceSeats(t *testing.T, f *fixture) {
	svc := directory.NewService(f.s, time.Now)
	admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Admin"}
	scimToken := directory.Actor{Kind: directory.ActorToken, ID: "token-1", Name: "IdP", Source: directory.SourceSCIM}
	acme, other := f.org("acme"), f.org("globex")
	crm, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "CRM", Name: "CRM", SeatLimit: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	if crm.Key != "crm" {
		t.Errorf("key = %q, want it lower-cased", crm.Key)
	}
	if _, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "wiki"}); err != nil {
		t.Fatal(err)
	}
	foreign, err := svc.CreateService(f.ctx, admin, other.ID, &directory.OrgService{Key: "erp"})
	if err != nil {
		t.Fatal(err)
	}
	users := make([]*directory.User, 4)
	for i := range users {
		users[i], err = svc.CreateUser(f.ctx, admin, acme.ID, &directory.User{UserName: fmt.Sprintf("u%d@acme.example", i), PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Three users do not fit two seats: nobody gets one.
	_, err = svc.AssignServices(f.ctx, admin, acme.ID, ids(users[:3]), []string{"crm", "wiki"})
	if !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(directory.ErrorMessage(err), `"crm"`) || !strings.Contains(directory.ErrorMessage(err), "2 seats") {
		t.Fatalf("assigning 3 users to 2 seats: %v, want a conflict naming crm and its 2 seats", err)
	}
	for _, u := range users[:3] {
		got, _ := svc.GetUser(f.ctx, acme.ID, u.ID)
		if len(got.Entitlements) != 0 {
			t.Errorf("%s holds %v after a refused bulk assignment", u.UserName, got.Entitlements)
		}
	}
	// Two fit; assigning them again changes nothing.
	for range 2 {
		out, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[:2]), []string{"crm"})
		if err != nil {
			t.Fatal(err)
		}
		if !directory.HoldsService(out[0].Entitlements, "crm") || out[0].Entitlements[0].Display != "CRM" {
			t.Errorf("assigned user's entitlements = %v", out[0].Entitlements)
		}
	}
	// Unknown keys, other organizations' services and users are refused.
	for name, call := range map[string]func() error{
		"unknown key": func() error {
			_, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[3:]), []string{"nope"})
			return err
		},
		"another organization's service": func() error {
			_, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[3:]), []string{foreign.Key})
			return err
		},
		"another organization's user": func() error {
			_, err := svc.AssignServices(f.ctx, admin, other.ID, ids(users[3:]), []string{foreign.Key})
			return err
		},
	} {
		if err := call(); !directory.IsCode(err, directory.CodeInvalid) && !directory.IsCode(err, directory.CodeNotFound) {
			t.Errorf("%s: %v, want invalid or not found", name, err)
		}
	}

	full := func(what string, err error) {
		t.Helper()
		if !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(directory.ErrorMessage(err), `"crm"`) {
			t.Errorf("%s with crm full: %v, want a conflict naming crm", what, err)
		}
	}
	// Every way of writing an entitlement meets the limit.
	_, err = svc.CreateUser(f.ctx, admin, acme.ID, &directory.User{UserName: "new@acme.example", Entitlements: []directory.Grant{{Value: "crm"}}})
	full("CreateUser", err)
	_, err = svc.UpdateUser(f.ctx, scimToken, acme.ID, users[3].ID, 0, func(u *directory.User) error {
		u.Entitlements = []directory.Grant{{Value: "CRM"}}
		return nil
	})
	full("a SCIM update", err)
	results, err := svc.CreateUsers(f.ctx, admin, acme.ID, []*directory.User{
		{UserName: "b1@acme.example"}, {UserName: "b2@acme.example", Entitlements: []directory.Grant{{Value: "crm"}}},
	})
	full("CreateUsers", err)
	if results != nil {
		t.Errorf("CreateUsers refused returned results %v", results)
	}
	if _, err := svc.ImportUsers(f.ctx, admin, acme.ID, []directory.ImportRow{
		{UserName: "i1@acme.example", Create: &directory.User{UserName: "i1@acme.example", Entitlements: []directory.Grant{{Value: "crm"}}}},
	}); err == nil {
		t.Error("ImportUsers past the limit succeeded")
	} else {
		full("ImportUsers", err)
	}
	if page, _ := svc.ListUsers(f.ctx, acme.ID, directory.UserQuery{}); len(page.Users) != 4 {
		t.Errorf("%d users after refused creates, want 4", len(page.Users))
	}
	// An entitlement that names no service is plain data, never limited.
	if _, err := svc.UpdateUser(f.ctx, scimToken, acme.ID, users[3].ID, 0, func(u *directory.User) error {
		u.Entitlements = []directory.Grant{{Value: "not-a-service"}}
		return nil
	}); err != nil {
		t.Errorf("plain entitlement: %v", err)
	}

	// A freed seat can be taken; a deleted user frees its seat, and
	// restoring it needs a free one.
	if _, err := svc.UnassignServices(f.ctx, admin, acme.ID, ids(users[:1]), []string{"crm"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[2:3]), []string{"crm"}); err != nil {
		t.Fatalf("assigning a freed seat: %v", err)
	}
	if _, err := svc.DeleteUser(f.ctx, admin, acme.ID, users[1].ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[:1]), []string{"crm"}); err != nil {
		t.Fatalf("assigning the seat of a deleted user: %v", err)
	}
	_, err = svc.RestoreUser(f.ctx, admin, acme.ID, users[1].ID)
	full("RestoreUser", err)

	// Seats used, a limit below them, a delete while held.
	list, err := svc.ListServices(f.ctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Key != "crm" || list[0].Used != 2 || list[1].Used != 0 {
		t.Errorf("ListServices = %+v", list)
	}
	_, err = svc.UpdateService(f.ctx, admin, acme.ID, crm.ID, 0, func(sv *directory.OrgService) error {
		sv.SeatLimit = ptr(1)
		return nil
	})
	if !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("limit below the seats used: %v, want conflict", err)
	}
	if err := svc.DeleteService(f.ctx, admin, acme.ID, crm.ID); !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("deleting a service held: %v, want conflict", err)
	}
	page, err := svc.ListAudit(f.ctx, acme.ID, directory.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range page.Events {
		actions[e.Action]++
	}
	if actions["service.create"] != 2 || actions["user.services.assign"] < 3 || actions["user.services.unassign"] != 1 {
		t.Errorf("audit actions = %v", actions)
	}
}

// testRaceLastSeat races assignments of a service's last seat: exactly
// one wins, whatever the path (admin assignment, SCIM update).
func testRaceLastSeat(t *testing.T, f *fixture) {
	svc := directory.NewService(f.s, time.Now)
	admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Admin"}
	scimToken := directory.Actor{Kind: directory.ActorToken, ID: "token-1", Name: "IdP", Source: directory.SourceSCIM}
	acme := f.org("acme")
	if _, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "crm", SeatLimit: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	users := make([]*directory.User, contenders+2)
	for i := range users {
		u, err := svc.CreateUser(f.ctx, admin, acme.ID, &directory.User{UserName: fmt.Sprintf("u%d@acme.example", i), PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	if _, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[:2]), []string{"crm"}); err != nil {
		t.Fatal(err)
	}
	errs := race(t, contenders, func(i int) error {
		u := users[2+i]
		if i%2 == 0 {
			_, err := svc.AssignServices(f.ctx, admin, acme.ID, []string{u.ID}, []string{"crm"})
			return err
		}
		_, err := svc.UpdateUser(f.ctx, scimToken, acme.ID, u.ID, 0, func(u *directory.User) error {
			u.Entitlements = []directory.Grant{{Value: "crm"}}
			return nil
		})
		return err
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !directory.IsCode(err, directory.CodeConflict):
			t.Errorf("a contender failed otherwise than on a full service: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d contenders took the last seat, want 1", won)
	}
	list, err := svc.ListServices(f.ctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if list[0].Used != 3 {
		t.Errorf("%d seats used after the race, want 3", list[0].Used)
	}
}

// testServiceGroups checks services held through groups: members of a
// mapped group hold the service and take its seats, a member added past
// the limit is refused, and a member removed frees the seat.
func testServiceGroups(t *testing.T, f *fixture) {
	svc := directory.NewService(f.s, time.Now)
	admin := directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Admin"}
	acme, other := f.org("acme"), f.org("globex")
	users := make([]*directory.User, 3)
	for i := range users {
		u, err := svc.CreateUser(f.ctx, admin, acme.ID, &directory.User{UserName: fmt.Sprintf("g%d@acme.example", i), PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	sales, err := svc.CreateGroup(f.ctx, admin, acme.ID, &directory.Group{DisplayName: "Sales"}, ids(users[:2]))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := svc.CreateGroup(f.ctx, admin, other.ID, &directory.Group{DisplayName: "Sales"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "crm", SeatLimit: ptr(1), GroupIDs: []string{sales.ID}}); !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("mapping a group of 2 to a service of 1 seat: %v, want conflict", err)
	}
	if _, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "crm", GroupIDs: []string{foreign.ID}}); !directory.IsCode(err, directory.CodeInvalid) {
		t.Errorf("mapping another organization's group: %v, want invalid", err)
	}
	crm, err := svc.CreateService(f.ctx, admin, acme.ID, &directory.OrgService{Key: "crm", SeatLimit: ptr(2), GroupIDs: []string{sales.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if crm.Used != 2 || len(crm.GroupIDs) != 1 {
		t.Errorf("crm mapped to sales: %+v", crm)
	}
	got, err := svc.GetService(f.ctx, acme.ID, crm.ID)
	if err != nil || len(got.GroupIDs) != 1 || got.GroupIDs[0] != sales.ID {
		t.Fatalf("GetService groups: %+v, %v", got, err)
	}
	held, err := svc.ServicesOfUser(f.ctx, users[0])
	if err != nil || len(held) != 1 || held[0].Key != "crm" {
		t.Errorf("services of a member: %v, %v", held, err)
	}
	if held, _ := svc.ServicesOfUser(f.ctx, users[2]); len(held) != 0 {
		t.Errorf("services of a non-member: %v", held)
	}

	// A third member does not fit; an entitlement does not either.
	if _, err := svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Add: ids(users[2:])}); !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("adding a member past the limit: %v, want conflict", err)
	}
	if _, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[2:]), []string{"crm"}); !directory.IsCode(err, directory.CodeConflict) {
		t.Errorf("assigning past the limit held through a group: %v, want conflict", err)
	}
	// A member holding it also as an entitlement takes one seat.
	if _, err := svc.AssignServices(f.ctx, admin, acme.ID, ids(users[:1]), []string{"crm"}); err != nil {
		t.Errorf("assigning to a member: %v", err)
	}
	// A member leaving frees its seat for another.
	if _, err := svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Remove: ids(users[1:2])}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateGroup(f.ctx, admin, acme.ID, sales.ID, directory.GroupChange{Add: ids(users[2:])}); err != nil {
		t.Errorf("adding a member into a freed seat: %v", err)
	}
	if held, _ := svc.ServicesOfUser(f.ctx, users[1]); len(held) != 0 {
		t.Errorf("a former member still holds %v", held)
	}
	// Unmapping the group takes the service from its members.
	up, err := svc.UpdateService(f.ctx, admin, acme.ID, crm.ID, 0, func(sv *directory.OrgService) error {
		sv.GroupIDs = nil
		return nil
	})
	if err != nil || up.Used != 1 || len(up.GroupIDs) != 0 {
		t.Errorf("after unmapping: %+v, %v", up, err)
	}
	// Deleting a mapped group drops the mapping.
	if _, err := svc.UpdateService(f.ctx, admin, acme.ID, crm.ID, 0, func(sv *directory.OrgService) error {
		sv.GroupIDs = []string{sales.ID}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteGroup(f.ctx, admin, acme.ID, sales.ID, 0); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.GetService(f.ctx, acme.ID, crm.ID); len(got.GroupIDs) != 0 || got.Used != 1 {
		t.Errorf("after deleting the group: %+v", got)
	}
}
