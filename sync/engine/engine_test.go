package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

func dirUser(n int, active bool) engine.Entry {
	ref := fmt.Sprintf("ref-%d", n)
	return engine.Entry{Kind: engine.EntryUser, Ref: ref, User: &engine.UserRecord{Active: active, MemberKey: "dn-" + ref,
		Attrs: engine.Attrs{directory.UserUserName: fmt.Sprintf("user%d@corp.test", n), directory.UserTitle: "Engineer"}}}
}

func dirGroup(ref, name string, members ...string) engine.Entry {
	return engine.Entry{Kind: engine.EntryGroup, Ref: ref, Group: &engine.GroupRecord{DisplayName: name, Members: members, Complete: true}}
}

func users(n int) []engine.Entry {
	var out []engine.Entry
	for i := 1; i <= n; i++ {
		out = append(out, dirUser(i, true))
	}
	return out
}

var scope = directory.SyncScope{OrgID: "org-1", ConnectorID: "conn-1",
	Actor: directory.Actor{Kind: directory.ActorConnector, ID: "conn-1", Source: directory.SourceLDAP}}

func runJob(t *testing.T, target *fakeTarget, entries []engine.Entry, mutate func(*engine.Job)) *engine.Report {
	t.Helper()
	job := engine.Job{Scope: scope, Connector: &fakeConnector{entries: entries, full: true},
		Policy: engine.Policy{Deprovision: engine.DeprovisionSuspend}}
	if mutate != nil {
		mutate(&job)
	}
	rep, err := engine.NewEngine(target, 3, 0).Run(context.Background(), job)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func TestARunWithNoDirectoryChangeChangesNothing(t *testing.T) {
	target := newFakeTarget()
	dir := append(users(5), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2", "dn-unknown"))

	first := runJob(t, target, dir, nil)
	if diff := cmp.Diff(map[directory.SyncAction]int{directory.SyncCreate: 5, directory.SyncGroupCreate: 1, directory.SyncMemberAdd: 2}, first.Counts); diff != "" {
		t.Errorf("first run counts (-want +got):\n%s", diff)
	}
	writes := target.writes

	second := runJob(t, target, dir, nil)

	if len(second.Counts) != 0 || target.writes != writes {
		t.Errorf("second run counts = %v with %d writes, want nothing", second.Counts, target.writes-writes)
	}
}

func TestChangesArePlannedByKind(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, append(users(6), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2")), nil)

	dir := users(6)
	dir[0].User.Attrs[directory.UserTitle] = "Manager"
	dir[1] = dirUser(2, false)
	dir = append(dir[:5], dirGroup("g-1", "Platform", "dn-ref-2", "dn-ref-3")) // ref-6 left

	rep := runJob(t, target, dir, nil)

	want := map[directory.SyncAction]int{directory.SyncUpdate: 1, directory.SyncSuspend: 2, directory.SyncGroupUpdate: 1, directory.SyncMemberAdd: 1, directory.SyncMemberRemove: 1}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if u := target.byName("user6@corp.test"); u.Status != directory.StatusSuspended || u.StatusReason != "no longer in the directory" {
		t.Errorf("user6 = %s (%s), want suspended for leaving", u.Status, u.StatusReason)
	}

	// ref-2 enabled again and ref-6 back: both reactivated.
	rep = runJob(t, target, append(users(6), dirGroup("g-1", "Platform", "dn-ref-2", "dn-ref-3")), nil)
	if diff := cmp.Diff(map[directory.SyncAction]int{directory.SyncReactivate: 2, directory.SyncUpdate: 1}, rep.Counts); diff != "" {
		t.Errorf("return counts (-want +got):\n%s", diff)
	}
}

func TestDryRunPlansWithoutWriting(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(2), nil)
	writes := target.writes
	dir := append(users(3), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-3"))

	rep := runJob(t, target, dir, func(j *engine.Job) { j.DryRun = true })

	if target.writes != writes {
		t.Errorf("a dry run wrote %d times", target.writes-writes)
	}
	want := map[directory.SyncAction]int{directory.SyncCreate: 1, directory.SyncGroupCreate: 1, directory.SyncMemberAdd: 2}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if len(rep.Items) != 3 || rep.Items[0].Op != directory.SyncCreate || rep.Items[0].UserName != "user3@corp.test" {
		t.Errorf("items = %+v", rep.Items)
	}
}

func TestSafetyThresholdHoldsMassDeprovisioning(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(10), nil)

	held := runJob(t, target, users(7), nil) // 3 of 10 gone: 30% > 20%

	if !held.Held || len(held.Pending) != 3 || held.Counts[directory.SyncSuspend] != 0 {
		t.Fatalf("report = %+v, want 3 suspensions held", held)
	}
	if u := target.byName("user10@corp.test"); u.Status != directory.StatusActive {
		t.Errorf("a held run suspended user10")
	}

	within := runJob(t, target, users(7), func(j *engine.Job) { j.Policy.Threshold = 0.5 })
	if within.Held || within.Counts[directory.SyncSuspend] != 3 {
		t.Errorf("report = %+v, want 3 suspensions under a 50%% threshold", within)
	}
}

func TestApprovedRunDeprovisionsBeyondTheThreshold(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(4), nil)
	deleteGone := func(j *engine.Job) { j.Policy.Deprovision = engine.DeprovisionDelete }
	held := runJob(t, target, users(1), deleteGone)
	if !held.Held || held.Digest == "" {
		t.Fatalf("report = %+v, want a held plan with a digest", held)
	}

	rep := runJob(t, target, users(1), func(j *engine.Job) {
		deleteGone(j)
		j.Expect = held.Digest
	})

	if rep.Held || rep.Counts[directory.SyncDelete] != 3 {
		t.Fatalf("report = %+v, want 3 deletions", rep)
	}
	if u := target.byName("user4@corp.test"); u.Status != directory.StatusDeleted {
		t.Errorf("user4 = %s, want deleted", u.Status)
	}
	back := runJob(t, target, users(4), nil)
	if back.Counts[directory.SyncRestore] != 3 {
		t.Errorf("counts = %v, want 3 restores", back.Counts)
	}
}

func TestRemovalsFollowTheirReason(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(10), nil)
	incremental := func(j *engine.Job) {
		j.Connector = &fakeConnector{entries: []engine.Entry{
			{Kind: engine.EntryUserRemoved, Ref: "ref-1", Reason: engine.RemovedChanged},
			{Kind: engine.EntryUserRemoved, Ref: "ref-2", Reason: engine.RemovedDeleted},
			{Kind: engine.EntryUserRemoved, Ref: "ref-unknown", Reason: engine.RemovedDeleted},
		}}
		j.Policy.Deprovision = engine.DeprovisionDelete
	}

	rep := runJob(t, target, nil, incremental)

	if diff := cmp.Diff(map[directory.SyncAction]int{directory.SyncSuspend: 1, directory.SyncDelete: 1}, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if rep.Full {
		t.Error("an incremental fetch was reported full")
	}
	if u := target.byName("user3@corp.test"); u.Status != directory.StatusActive {
		t.Errorf("an incremental run swept user3 (%s)", u.Status)
	}
}

func TestUsersOwnedElsewhereAreConflicts(t *testing.T) {
	target := newFakeTarget()
	target.addLocal("USER2@corp.test")

	rep := runJob(t, target, users(3), nil)

	if rep.Counts[directory.SyncCreate] != 2 || rep.Counts[directory.SyncConflict] != 1 {
		t.Fatalf("counts = %v, want 2 creates and 1 conflict", rep.Counts)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].UserName != "user2@corp.test" {
		t.Errorf("errors = %+v", rep.Errors)
	}
	if u := target.byName("user2@corp.test"); u.Source != directory.SourceLocal {
		t.Error("the local user was taken over")
	}
}

func TestGroupsMapToRoles(t *testing.T) {
	target := newFakeTarget()
	policy := func(j *engine.Job) {
		j.Policy.Roles = []engine.RoleRule{{Group: "admins", Role: directory.RoleOrgAdmin}, {Group: "g-view", Role: directory.RoleOrgViewer}}
		// One of three memberships goes: within this policy's threshold.
		j.Policy.MemberThreshold = 0.5
	}
	dir := append(users(3), dirGroup("g-admin", "Admins", "dn-ref-1"), dirGroup("g-view", "Auditors", "dn-ref-1", "dn-ref-2"))

	rep := runJob(t, target, dir, policy)

	if rep.Counts[directory.SyncRole] != 2 {
		t.Errorf("counts = %v, want 2 role changes", rep.Counts)
	}
	for name, want := range map[string]directory.Role{"user1@corp.test": directory.RoleOrgAdmin, "user2@corp.test": directory.RoleOrgViewer, "user3@corp.test": directory.RoleUser} {
		if got := target.byName(name).Role; got != want {
			t.Errorf("%s role = %s, want %s", name, got, want)
		}
	}

	dir = append(users(3), dirGroup("g-admin", "Admins"), dirGroup("g-view", "Auditors", "dn-ref-1", "dn-ref-2"))
	runJob(t, target, dir, policy)
	if got := target.byName("user1@corp.test").Role; got != directory.RoleOrgViewer {
		t.Errorf("user1 left Admins but has role %s", got)
	}
}

func TestGroupsGoneFromAFullReadAreDeleted(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, append(users(1), dirGroup("g-1", "Old"), dirGroup("g-2", "Kept")), nil)

	rep := runJob(t, target, append(users(1), dirGroup("g-2", "Kept")), func(j *engine.Job) { j.Policy.GroupThreshold = 0.5 })

	if rep.Counts[directory.SyncGroupDelete] != 1 || len(target.groups) != 1 {
		t.Errorf("counts = %v, groups = %v; want Old deleted", rep.Counts, target.groups)
	}
}

// failingTarget refuses any batch holding a poisoned userName, as a
// database refuses a transaction with one bad row.
type failingTarget struct {
	*fakeTarget
	poison string
}

func (f *failingTarget) ApplySyncUsers(ctx context.Context, scope directory.SyncScope, changes []directory.SyncUserChange) ([]directory.SyncUserResult, error) {
	for _, c := range changes {
		if c.Attrs[directory.UserUserName] == f.poison {
			return nil, fmt.Errorf("unique violation")
		}
	}
	return f.fakeTarget.ApplySyncUsers(ctx, scope, changes)
}

func TestAFailedBatchIsRetriedChangeByChange(t *testing.T) {
	target := &failingTarget{fakeTarget: newFakeTarget(), poison: "user2@corp.test"}
	job := engine.Job{Scope: scope, Connector: &fakeConnector{entries: users(5), full: true},
		Policy: engine.Policy{Deprovision: engine.DeprovisionSuspend}}

	rep, err := engine.NewEngine(target, 3, 0).Run(context.Background(), job)

	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[directory.SyncCreate] != 4 || rep.Counts[directory.SyncError] != 1 || len(rep.Errors) != 1 {
		t.Errorf("counts = %v, errors = %+v; want 4 creates and user2 failed", rep.Counts, rep.Errors)
	}
}

func TestPoliciesAreValidated(t *testing.T) {
	bad := engine.Policy{Deprovision: "purge", Threshold: 2, Roles: []engine.RoleRule{{Group: "", Role: "root"}}, DefaultRole: "boss"}
	err := bad.Validate()
	for _, want := range []string{"deprovision", "threshold", "role rule", "defaultRole"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %s", err, want)
		}
	}
	if err := (engine.Policy{Deprovision: engine.DeprovisionDelete}).Validate(); err != nil {
		t.Errorf("a valid policy was refused: %v", err)
	}
}

func TestAnApprovalAppliesExactlyTheHeldPlanOrNothing(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(10), nil)
	held := runJob(t, target, users(7), nil)
	if !held.Held {
		t.Fatalf("report = %+v, want held", held)
	}
	writes := target.writes

	// Three more left since: the plan is not the one approved.
	job := engine.Job{Scope: scope, Connector: &fakeConnector{entries: users(4), full: true},
		Policy: engine.Policy{Deprovision: engine.DeprovisionSuspend}, Expect: held.Digest}
	changed, err := engine.NewEngine(target, 3, 0).Run(context.Background(), job)
	if !errors.Is(err, engine.ErrPlanChanged) || !directory.IsCode(err, directory.CodeConflict) {
		t.Fatalf("approval of a changed plan: err = %v, want ErrPlanChanged", err)
	}
	if changed == nil || changed.Digest == held.Digest || changed.Planned[directory.SyncSuspend] != 6 || !changed.Held {
		t.Errorf("the refused run's plan = %+v, want the new plan of 6 suspensions", changed)
	}
	if target.writes != writes {
		t.Errorf("a refused approval wrote %d times", target.writes-writes)
	}

	// The directory is back where it was when the run was held: the plan
	// is applied whatever the threshold.
	applied := runJob(t, target, users(7), func(j *engine.Job) { j.Expect = held.Digest })
	if applied.Held || applied.Counts[directory.SyncSuspend] != 3 {
		t.Errorf("report = %+v, want the 3 approved suspensions applied", applied)
	}
}

func TestAHeldRunAppliesNothing(t *testing.T) {
	var members []string
	for i := 1; i <= 20; i++ {
		members = append(members, fmt.Sprintf("dn-ref-%d", i))
	}
	before := append(users(20), dirGroup("g-all", "Everyone", members...), dirGroup("g-old", "Old", "dn-ref-1"))

	for _, tc := range []struct {
		name   string
		after  []engine.Entry
		policy engine.Policy
		reason string
	}{
		{"most members leave a group", append(users(20), dirGroup("g-all", "Everyone", "dn-ref-1", "dn-ref-2"), dirGroup("g-old", "Old", "dn-ref-1")),
			engine.Policy{Deprovision: engine.DeprovisionSuspend}, "18 of 21 memberships removed"},
		{"groups are deleted", append(users(20), dirGroup("g-all", "Everyone", members...)),
			engine.Policy{Deprovision: engine.DeprovisionSuspend, MemberThreshold: 1}, "1 of 2 groups deleted"},
		{"users leave", append(users(10), dirGroup("g-all", "Everyone", members...), dirGroup("g-old", "Old", "dn-ref-1")),
			engine.Policy{Deprovision: engine.DeprovisionDelete, GroupThreshold: 1, MemberThreshold: 1}, "10 of 20 users deprovisioned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := newFakeTarget()
			runJob(t, target, before, nil)
			writes := target.writes
			// A title change and a new user come with the mass removal.
			after := append(tc.after, dirUser(99, true))
			after[0].User.Attrs = engine.Attrs{directory.UserUserName: "user1@corp.test", directory.UserTitle: "Director"}

			held := runJob(t, target, after, func(j *engine.Job) { j.Policy = tc.policy })

			if !held.Held || len(held.Reasons) == 0 || !strings.Contains(strings.Join(held.Reasons, "; "), tc.reason) {
				t.Fatalf("held = %v, reasons %q; want held for %q", held.Held, held.Reasons, tc.reason)
			}
			if target.writes != writes {
				t.Errorf("a held run wrote %d times", target.writes-writes)
			}
			if len(held.Counts) != 0 || held.Planned[directory.SyncCreate] != 1 || held.Planned[directory.SyncUpdate] != 1 {
				t.Errorf("counts = %v, planned = %v; want nothing applied, a create and an update planned", held.Counts, held.Planned)
			}
			if n := len(target.members[target.groupLinks["g-all"].ObjectID]); n != 20 {
				t.Errorf("Everyone has %d members after a held run, want 20", n)
			}
			if len(target.groups) != 2 || target.byName("user99@corp.test") != nil || target.byName("user1@corp.test").Title != "Engineer" {
				t.Errorf("a held run changed groups or users: groups %v", target.groups)
			}
		})
	}
}

func TestARunThatWouldBlankAnAttributeIsHeld(t *testing.T) {
	target := newFakeTarget()
	fields := func(j *engine.Job) {
		j.Scope.Fields = []directory.Attr{directory.UserTitle, directory.UserUserName}
	}
	runJob(t, target, users(10), fields)
	noTitle := func(n int) []engine.Entry {
		out := users(n)
		for _, e := range out {
			delete(e.User.Attrs, directory.UserTitle) // a misspelt source reads nothing
		}
		return out
	}

	held := runJob(t, target, noTitle(10), fields)

	if !held.Held || len(held.Reasons) != 1 || !strings.Contains(held.Reasons[0], "10 of 10 users whose title would be emptied") {
		t.Fatalf("held %v, reasons %q; want held for the titles", held.Held, held.Reasons)
	}
	if u := target.byName("user1@corp.test"); u.Title != "Engineer" {
		t.Errorf("a held run blanked user1's title")
	}

	// One user losing a title is no mass blanking.
	one := users(10)
	delete(one[0].User.Attrs, directory.UserTitle)
	if rep := runJob(t, target, one, fields); rep.Held || rep.Counts[directory.SyncUpdate] != 1 {
		t.Errorf("report = %+v, want one update applied", rep)
	}
}
