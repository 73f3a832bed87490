package engine_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// incremental makes a job an incremental run: a cursor, and a directory
// that returns only what changed.
func incremental(entries []engine.Entry) func(*engine.Job) {
	return func(j *engine.Job) {
		j.Cursor = "previous"
		j.Connector = &fakeConnector{entries: entries}
	}
}

func removedUser(ref string) engine.Entry {
	return engine.Entry{Kind: engine.EntryUserRemoved, Ref: ref, Reason: engine.RemovedChanged}
}

func TestAnIncrementalRunReadsOnlyTheLinksOfTheUsersItNames(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(20), nil)
	target.listedLinks, target.linkRefs = 0, 0

	changed := dirUser(3, true)
	changed.User.Attrs[directory.UserTitle] = "Manager"
	dir := []engine.Entry{changed, dirUser(7, false), removedUser("ref-9"), dirUser(21, true), removedUser("ref-unknown")}

	// Two suspensions are under the threshold's least number: nothing
	// needs the connector's total.
	policy := func(j *engine.Job) { incremental(dir)(j); j.Policy.ThresholdMin = 10 }
	dry := runJob(t, target, dir, func(j *engine.Job) { policy(j); j.DryRun = true })
	applied := runJob(t, target, dir, policy)

	want := map[directory.SyncAction]int{directory.SyncUpdate: 1, directory.SyncSuspend: 2, directory.SyncCreate: 1}
	if diff := cmp.Diff(want, applied.Counts); diff != "" {
		t.Errorf("incremental run counts (-want +got):\n%s", diff)
	}
	if dry.Digest != applied.Digest {
		t.Errorf("the applied run's plan %s is not the dry run's %s", applied.Digest, dry.Digest)
	}
	if target.listedLinks != 0 {
		t.Errorf("the incremental runs read every link %d times, want none", target.listedLinks)
	}
	if target.linkRefs != 2*len(dir) {
		t.Errorf("the incremental runs asked for %d links, want the %d they name", target.linkRefs, 2*len(dir))
	}
	if u := target.byName("user3@corp.test"); u == nil || u.Title != "Manager" {
		t.Errorf("user3 = %+v, want the title Manager", u)
	}
	for _, name := range []string{"user7@corp.test", "user9@corp.test"} {
		if u := target.byName(name); u == nil || u.Status != directory.StatusSuspended {
			t.Errorf("%s = %+v, want suspended", name, u)
		}
	}
	if u := target.byName("user12@corp.test"); u == nil || u.Status != directory.StatusActive {
		t.Errorf("user12, which the run did not name, = %+v, want it active", u)
	}
}

func TestAnIncrementalRunThatMeetsAGroupKnowsEveryUser(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(10), nil)
	target.listedLinks = 0

	// The group names users the run itself does not.
	dir := []engine.Entry{dirUser(11, true), dirGroup("g-1", "Engineering", "dn-ref-2", "dn-ref-5", "dn-ref-11")}
	rep := runJob(t, target, dir, incremental(dir))

	want := map[directory.SyncAction]int{directory.SyncCreate: 1, directory.SyncGroupCreate: 1, directory.SyncMemberAdd: 3}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if target.listedLinks != 1 {
		t.Errorf("the run read every link %d times, want once, when the group came", target.listedLinks)
	}
}

func TestAnIncrementalRunMeasuresItsRemovalsAgainstEveryUser(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(20), nil)

	// 8 of 20 is 40%, under a threshold of 50%; measured against the 8
	// users the run names it would be 100%.
	var dir []engine.Entry
	for i := 1; i <= 8; i++ {
		dir = append(dir, dirUser(i, false))
	}
	rep := runJob(t, target, dir, func(j *engine.Job) {
		incremental(dir)(j)
		j.Policy.Threshold, j.Policy.ThresholdMin = 0.5, 1
	})
	if rep.Held || rep.Counts[directory.SyncSuspend] != 8 {
		t.Fatalf("run held=%v (%v) counts %v, want 8 suspensions applied", rep.Held, rep.Reasons, rep.Counts)
	}

	dir = nil
	for i := 9; i <= 19; i++ {
		dir = append(dir, removedUser(dirUser(i, true).Ref))
	}
	rep = runJob(t, target, dir, func(j *engine.Job) {
		incremental(dir)(j)
		j.Policy.Threshold, j.Policy.ThresholdMin = 0.5, 1
	})
	if !rep.Held {
		t.Fatalf("a run removing 11 of 12 live users was not held: counts %v", rep.Counts)
	}
	if u := target.byName("user9@corp.test"); u.Status != directory.StatusActive {
		t.Errorf("the held run suspended user9: %+v", u)
	}
}

func TestAnIncrementalRunWithAPresenceScanReadsOnlyTheLinksOfThoseWhoLeft(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, users(20), nil)
	target.listedLinks, target.linkRefs = 0, 0

	changed := dirUser(3, true)
	changed.User.Attrs[directory.UserTitle] = "Manager"
	dir := []engine.Entry{changed, dirUser(21, true)}
	for i := 1; i <= 20; i++ {
		if i != 5 && i != 11 { // they left
			dir = append(dir, engine.Entry{Kind: engine.EntryUserPresent, Ref: dirUser(i, true).Ref})
		}
	}
	run := func(dry bool) *engine.Report {
		return runJob(t, target, dir, func(j *engine.Job) {
			j.Cursor, j.DryRun = "previous", dry
			j.Connector = &fakeConnector{entries: dir, swept: true}
			j.Policy.ThresholdMin = 10
		})
	}
	dry, applied := run(true), run(false)

	want := map[directory.SyncAction]int{directory.SyncUpdate: 1, directory.SyncCreate: 1, directory.SyncSuspend: 2}
	if diff := cmp.Diff(want, applied.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if dry.Digest != applied.Digest {
		t.Errorf("the applied run's plan %s is not the dry run's %s", applied.Digest, dry.Digest)
	}
	for _, name := range []string{"user5@corp.test", "user11@corp.test"} {
		if u := target.byName(name); u.Status != directory.StatusSuspended {
			t.Errorf("%s, no longer in the directory, = %s, want suspended", name, u.Status)
		}
	}
	if u := target.byName("user6@corp.test"); u.Status != directory.StatusActive {
		t.Errorf("user6, still there, = %s", u.Status)
	}
	if target.listedLinks != 0 || target.listedRefs != 2 {
		t.Errorf("the runs read every link %d times and their refs %d times, want 0 and 2", target.listedLinks, target.listedRefs)
	}
	// Per run: the two users named, then the two who left.
	if target.linkRefs != 2*4 {
		t.Errorf("the runs asked for %d links, want %d", target.linkRefs, 2*4)
	}
}

func TestAPresenceScanBeforeAGroupStillSweeps(t *testing.T) {
	target := newFakeTarget()
	runJob(t, target, append(users(6), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2")), nil)

	var dir []engine.Entry
	for i := 1; i <= 6; i++ {
		if i != 4 {
			dir = append(dir, engine.Entry{Kind: engine.EntryUserPresent, Ref: dirUser(i, true).Ref})
		}
	}
	dir = append(dir, dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2", "dn-ref-6"))
	rep := runJob(t, target, dir, func(j *engine.Job) {
		j.Cursor = "previous"
		j.Connector = &fakeConnector{entries: dir, swept: true}
	})
	want := map[directory.SyncAction]int{directory.SyncSuspend: 1, directory.SyncMemberAdd: 1}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if u := target.byName("user4@corp.test"); u.Status != directory.StatusSuspended {
		t.Errorf("user4, no longer in the directory, = %s", u.Status)
	}
}
