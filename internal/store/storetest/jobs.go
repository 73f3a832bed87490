package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
)

// testJobs runs the tests of the bulk, job and import-run stores on one
// store, each subtest with its own organizations.
func testJobs(t *testing.T, f *fixture) {
	for i, tt := range []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"users are created and looked up in bulk", testBulkUsers},
		{"a taken userName fails a bulk create as a whole", testBulkConflict},
		{"the inactivity pass marks old active users, with audit events", testMarkInactive},
		{"the inactivity pass marks old pending users without a live invitation", testMarkInactivePending},
		{"the inactivity pass leaves an organization one active org_admin", testMarkInactiveKeepsAnAdmin},
		{"the inactivity pass marks every user once across many batches", testMarkInactiveManyBatches},
		{"inactivity warnings are claimed once per activity", testInactivityWarnings},
		{"a job tick is claimed once", testJobTicks},
		{"usage snapshots count users by status, role and source", testUsageSnapshots},
		{"usage counts kept on write fold into the same snapshot as a recount", testUsageFold},
		{"replicas count the live ones", testReplicas},
		{"import runs are kept per organization", testImportRuns},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newFixture(t, f.s)
			g.seq.Store(int64(2000 * (i + 1))) // slugs apart from the other subtests'
			tt.run(t, g)
		})
	}
}

func testBulkUsers(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	full := f.fullUser(a, addr(a, "full"))
	users := []*directory.User{full}
	for i := range 501 { // more than PostgreSQL's 500 rows per statement
		users = append(users, f.newUser(a, addr(a, fmt.Sprintf("u%04d", i))))
	}
	wants := make([]*directory.User, len(users))
	for i, u := range users {
		wants[i] = rounded(u)
	}
	must(t, "CreateUsers", f.s.Bulk().CreateUsers(f.ctx, users))
	got, err := f.s.Users().GetUser(f.ctx, a.ID, full.ID)
	must(t, "GetUser", err)
	diff(t, "a bulk-created user", wants[0], got)
	page, err := f.s.Users().ListUsers(f.ctx, a.ID, directory.UserQuery{IncludeDeleted: true, Limit: 2000, CountTotal: true})
	must(t, "ListUsers", err)
	if page.Total != len(users) {
		t.Errorf("%d users stored, want %d", page.Total, len(users))
	}

	other := f.user(b, addr(b, "other"))
	found, err := f.s.Bulk().FindUsersByUserNames(f.ctx, a.ID, []string{strings.ToUpper(addr(a, "full")), strings.ToUpper(addr(a, "u0007")), addr(b, "other"), addr(a, "nobody"), addr(a, "full")})
	must(t, "FindUsersByUserNames", err)
	slices.SortFunc(found, func(x, y *directory.User) int { return compareStrings(x.UserName, y.UserName) })
	diff(t, "found in the organization only, regardless of case, once each", []*directory.User{wants[0], wants[8]}, found)
	found, err = f.s.Bulk().FindUsersByUserNames(f.ctx, b.ID, []string{addr(b, "other"), addr(a, "full")})
	must(t, "FindUsersByUserNames", err)
	diff(t, "found in the other organization", []*directory.User{rounded(other)}, found)
	found, err = f.s.Bulk().FindUsersByUserNames(f.ctx, a.ID, nil)
	must(t, "FindUsersByUserNames(nil)", err)
	diff(t, "nothing asked, nothing found", []*directory.User(nil), found)

	events := make([]*directory.AuditEvent, 501)
	for i := range events {
		events[i] = &directory.AuditEvent{OrgID: a.ID, Time: f.at(time.Duration(i) * time.Second), ActorKind: directory.ActorAdmin,
			ActorID: "admin", Action: "user.create", TargetKind: "user", TargetID: users[i].ID,
			Changes: map[string]directory.Change{"userName": {After: users[i].UserName}}}
	}
	must(t, "AppendAuditEvents", f.s.Bulk().AppendAuditEvents(f.ctx, events))
	log, err := f.s.Audit().ListAudit(f.ctx, a.ID, directory.AuditQuery{TargetID: users[3].ID, Limit: 10})
	must(t, "ListAudit", err)
	if len(log.Events) != 1 || log.Events[0].ID == "" || log.Events[0].Changes["userName"].After != users[3].UserName {
		t.Errorf("audit of a bulk-appended event: %+v", log.Events)
	}
}

func testBulkConflict(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	f.user(a, addr(b, "taken"))
	for name, batch := range map[string][]string{
		"taken by a stored user": {addr(a, "new1"), strings.ToUpper(addr(b, "taken"))},
		"taken within the batch": {addr(a, "twin"), strings.ToUpper(addr(a, "twin"))},
	} {
		var users []*directory.User
		for _, n := range batch {
			users = append(users, f.newUser(a, n))
		}
		err := f.s.InTx(f.ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(f.ctx, users) })
		wantCode(t, name, err, directory.CodeConflict, "userName")
	}
	page, err := f.s.Users().ListUsers(f.ctx, a.ID, directory.UserQuery{Limit: 10})
	must(t, "ListUsers", err)
	diff(t, "users left by the failed creates", []string{addr(b, "taken")}, userNames(page.Users))
}

func testMarkInactive(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	cutoff := f.at(90 * 24 * time.Hour)
	old, recent := f.at(time.Hour), f.at(100*24*time.Hour)
	mk := func(org *directory.Org, name string, status directory.Status, login, activated *time.Time) *directory.User {
		return f.user(org, name, func(u *directory.User) { u.Status, u.LastLoginAt, u.ActivatedAt = status, login, activated })
	}
	oldLogin := mk(a, addr(a, "old-login"), directory.StatusActive, &old, &recent)
	neverLoggedIn := mk(a, addr(a, "never"), directory.StatusActive, nil, &old)
	legacy := mk(a, addr(a, "legacy"), directory.StatusActive, nil, nil) // created at base, before the cutoff
	mk(a, addr(a, "recent-login"), directory.StatusActive, &recent, &old)
	mk(a, addr(a, "recently-activated"), directory.StatusActive, nil, &recent)
	pending := mk(a, addr(a, "pending"), directory.StatusPending, nil, nil) // another pass's
	mk(a, addr(a, "suspended"), directory.StatusSuspended, &old, &old)
	mk(b, addr(b, "other-org"), directory.StatusActive, &old, &old)

	at := f.at(91 * 24 * time.Hour)
	event := directory.AuditEvent{Time: at, ActorKind: directory.ActorJob, ActorID: "inactivity", ActorName: "inactivity job",
		Action: "user.status", Changes: map[string]directory.Change{"status": {Before: "active", After: "inactive"}}}
	mark := directory.InactivityMark{OrgID: a.ID, Before: cutoff, At: at, Reason: "no login for 90 days",
		SetBy: directory.AuthorityJob, SetByID: "inactivity", Event: event}
	var n int
	must(t, "MarkInactive", f.s.InTx(f.ctx, func(r directory.Repos) error {
		var err error
		n, err = r.Jobs().MarkInactive(f.ctx, mark)
		return err
	}))
	if n != 3 {
		t.Errorf("marked %d users, want 3", n)
	}
	page, err := f.s.Users().ListUsers(f.ctx, a.ID, directory.UserQuery{Filter: directory.Eq(directory.UserStatus, "inactive"), Limit: 10})
	must(t, "ListUsers", err)
	inactive := userNames(page.Users)
	slices.Sort(inactive)
	diff(t, "inactive users", []string{legacy.UserName, neverLoggedIn.UserName, oldLogin.UserName}, inactive)
	wantMarked(t, f, neverLoggedIn, mark.Reason, at, "a marked user")

	log, err := f.s.Audit().ListAudit(f.ctx, a.ID, directory.AuditQuery{Action: "user.status", Limit: 10})
	must(t, "ListAudit", err)
	var targets []string
	for _, e := range log.Events {
		targets = append(targets, e.TargetID)
		if e.ActorID != "inactivity" || e.TargetKind != "user" || e.Changes["status"].After != "inactive" || !e.Time.Equal(micro(at)) {
			t.Errorf("audit event %+v", e)
		}
		if id, err := uuid.Parse(e.ID); err != nil || id.Version() != 7 {
			t.Errorf("audit event id %q is not a UUIDv7: %v", e.ID, err)
		}
	}
	slices.Sort(targets)
	wantTargets := []string{oldLogin.ID, neverLoggedIn.ID, legacy.ID}
	slices.Sort(wantTargets)
	diff(t, "one audit event per marked user", wantTargets, targets)

	n, err = f.s.Jobs().MarkInactive(f.ctx, mark)
	must(t, "MarkInactive again", err)
	if n != 0 {
		t.Errorf("a second pass marked %d users", n)
	}
	got, err := f.s.Users().GetUser(f.ctx, a.ID, pending.ID)
	must(t, "GetUser", err)
	if got.Status != directory.StatusPending {
		t.Errorf("the active pass marked a pending user %s", got.Status)
	}
	mark.From = directory.StatusSuspended
	_, err = f.s.Jobs().MarkInactive(f.ctx, mark)
	wantCode(t, "a pass over suspended users", err, directory.CodeInvalid, "")
}

func testMarkInactivePending(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	day := 24 * time.Hour
	cutoff, now := f.at(90*day), f.at(91*day)
	mk := func(org *directory.Org, name string, status directory.Status, created time.Time) *directory.User {
		return f.user(org, name, func(u *directory.User) { u.Status, u.CreatedAt, u.UpdatedAt = status, created, created })
	}
	invite := func(u *directory.User, purpose directory.LinkPurpose, expires time.Time) *directory.Link {
		l := &directory.Link{ID: newID(), OrgID: u.OrgID, UserID: u.ID, Purpose: purpose,
			SecretHash: "h-" + newID(), CreatedAt: u.CreatedAt, ExpiresAt: expires}
		must(t, "CreateLink", f.s.Links().CreateLink(f.ctx, l))
		return l
	}
	// Marked: no invitation ever, one that expired (one exactly now, as a
	// link stops working then), one spent or voided, and one that is not
	// an invitation.
	never := mk(a, addr(a, "never-invited"), directory.StatusPending, f.base)
	expired := mk(a, addr(a, "expired"), directory.StatusPending, f.base)
	invite(expired, directory.LinkPasswordSet, f.at(7*day))
	voided := mk(a, addr(a, "voided"), directory.StatusPending, f.base)
	invite(voided, directory.LinkPasswordSet, f.at(100*day))
	must(t, "InvalidateLinks", f.s.Links().InvalidateLinks(f.ctx, a.ID, voided.ID, f.at(day)))
	resetOnly := mk(a, addr(a, "reset-only"), directory.StatusPending, f.base)
	invite(resetOnly, directory.LinkPasswordReset, f.at(100*day))
	// Kept: a live invitation (an older one expired), a pending user
	// younger than the cutoff, an active user (the other pass's), and
	// another organization's user.
	live := mk(a, addr(a, "live"), directory.StatusPending, f.base)
	invite(live, directory.LinkPasswordSet, f.at(7*day))
	invite(live, directory.LinkPasswordSet, f.at(98*day))
	edge := mk(a, addr(a, "edge"), directory.StatusPending, f.base)
	invite(edge, directory.LinkPasswordSet, now)
	recent := mk(a, addr(a, "recent"), directory.StatusPending, cutoff.Add(time.Hour))
	active := mk(a, addr(a, "active"), directory.StatusActive, f.base)
	other := mk(b, addr(b, "other-org"), directory.StatusPending, f.base)

	at := f.at(92 * day) // the pass runs as of now, a day late
	event := directory.AuditEvent{Time: at, ActorKind: directory.ActorJob, ActorID: "inactivity", ActorName: "inactivity job",
		Action: "user.status", Changes: map[string]directory.Change{"status": {Before: "pending", After: "inactive"}}}
	mark := directory.InactivityMark{OrgID: a.ID, From: directory.StatusPending, Before: cutoff, Now: now, At: at,
		Reason: "no password set for 90 days", SetBy: directory.AuthorityJob, SetByID: "inactivity", Event: event}
	var n int
	must(t, "MarkInactive", f.s.InTx(f.ctx, func(r directory.Repos) error {
		var err error
		n, err = r.Jobs().MarkInactive(f.ctx, mark)
		return err
	}))
	if n != 5 {
		t.Errorf("marked %d users, want 5", n)
	}
	status := map[string]directory.Status{}
	for _, u := range []*directory.User{never, expired, voided, resetOnly, live, edge, recent, active, other} {
		got, err := f.s.Users().GetUser(f.ctx, u.OrgID, u.ID)
		must(t, "GetUser", err)
		status[u.UserName] = got.Status
	}
	diff(t, "statuses after the pending pass", map[string]directory.Status{
		never.UserName: "inactive", expired.UserName: "inactive", voided.UserName: "inactive", resetOnly.UserName: "inactive",
		edge.UserName: "inactive", live.UserName: "pending", recent.UserName: "pending", active.UserName: "active",
		other.UserName: "pending",
	}, status)

	wantMarked(t, f, expired, mark.Reason, at, "a marked pending user")

	log, err := f.s.Audit().ListAudit(f.ctx, a.ID, directory.AuditQuery{Action: "user.status", Limit: 10})
	must(t, "ListAudit", err)
	var targets []string
	for _, e := range log.Events {
		targets = append(targets, e.TargetID)
		c := e.Changes["status"]
		if e.ActorID != "inactivity" || e.TargetKind != "user" || c.Before != "pending" || c.After != "inactive" || !e.Time.Equal(micro(at)) {
			t.Errorf("audit event %+v", e)
		}
	}
	slices.Sort(targets)
	wantTargets := []string{never.ID, expired.ID, edge.ID, voided.ID, resetOnly.ID}
	slices.Sort(wantTargets)
	diff(t, "one audit event per marked user", wantTargets, targets)

	n, err = f.s.Jobs().MarkInactive(f.ctx, mark)
	must(t, "MarkInactive again", err)
	if n != 0 {
		t.Errorf("a second pass marked %d users", n)
	}
	// Once the live invitation expires, the pass marks its user.
	mark.Now = f.at(99 * day)
	n, err = f.s.Jobs().MarkInactive(f.ctx, mark)
	must(t, "MarkInactive after the invitation expired", err)
	if n != 1 {
		t.Errorf("a pass after the invitation expired marked %d users, want 1", n)
	}
}

func testInactivityWarnings(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	day := 24 * time.Hour
	from, until := f.at(10*day), f.at(17*day)
	mk := func(org *directory.Org, name string, login time.Time) *directory.User {
		return f.user(org, name, func(u *directory.User) { u.LastLoginAt = &login })
	}
	soon := mk(a, addr(a, "soon"), f.at(12*day))
	edge := mk(a, addr(a, "edge"), f.at(10*day))
	mk(a, addr(a, "due"), f.at(9*day))    // the inactivity pass's, not a warning's
	mk(a, addr(a, "later"), f.at(17*day)) // not within the window yet
	mk(b, addr(b, "other"), f.at(12*day)) // another organization
	claim := func(what string) []string {
		t.Helper()
		ids, err := f.s.Jobs().ClaimInactivityWarnings(f.ctx, a.ID, from, until, f.at(20*day))
		must(t, what, err)
		slices.Sort(ids)
		return ids
	}
	want := []string{soon.ID, edge.ID}
	slices.Sort(want)
	diff(t, "first claim", want, claim("ClaimInactivityWarnings"))
	diff(t, "second claim", []string(nil), claim("ClaimInactivityWarnings again"))

	must(t, "ReleaseInactivityWarning", f.s.Jobs().ReleaseInactivityWarning(f.ctx, a.ID, soon.ID))
	diff(t, "claim after a release", []string{soon.ID}, claim("ClaimInactivityWarnings after release"))

	// A login moves the activity on: the user may be warned again when
	// its new activity comes into the window.
	edge.LastLoginAt = ptr(f.at(11 * day))
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, edge, f.at(11*day)))
	diff(t, "claim after a login", []string{edge.ID}, claim("ClaimInactivityWarnings after login"))
}

func testJobTicks(t *testing.T, f *fixture) {
	job := fmt.Sprintf("job-%d", f.seq.Add(1))
	claim := func(tick time.Duration) bool {
		t.Helper()
		ok, err := f.s.Jobs().ClaimJobTick(f.ctx, job, f.at(tick), "replica-1", f.at(tick))
		must(t, "ClaimJobTick", err)
		return ok
	}
	if !claim(time.Hour) {
		t.Error("the first tick was not claimed")
	}
	must(t, "FinishJobTick", f.s.Jobs().FinishJobTick(f.ctx, job, f.at(time.Hour), f.at(time.Hour+time.Minute), "boom"))
	if claim(time.Hour) {
		t.Error("a tick was claimed twice")
	}
	if claim(time.Minute) {
		t.Error("an earlier tick was claimed after a later one")
	}
	if !claim(2 * time.Hour) {
		t.Error("the next tick was not claimed")
	}
	// A run whose claimant died (it never finished) can be taken over,
	// once; a finished one, an older or a later tick cannot.
	reclaim := func(tick time.Duration) bool {
		t.Helper()
		ok, err := f.s.Jobs().ReclaimJobTick(f.ctx, job, f.at(tick), "replica-2", f.at(tick+time.Minute))
		must(t, "ReclaimJobTick", err)
		return ok
	}
	if reclaim(time.Hour) || reclaim(3*time.Hour) {
		t.Error("a tick other than the latest claimed one was reclaimed")
	}
	if !reclaim(2 * time.Hour) {
		t.Error("an unfinished tick was not reclaimed")
	}
	must(t, "FinishJobTick", f.s.Jobs().FinishJobTick(f.ctx, job, f.at(2*time.Hour), f.at(2*time.Hour+time.Minute), ""))
	if reclaim(2 * time.Hour) {
		t.Error("a finished tick was reclaimed")
	}
	// Replicas racing for one tick: exactly one wins.
	tick := f.at(3 * time.Hour)
	wins := 0
	for _, err := range race(t, contenders, func(i int) error {
		ok, err := f.s.Jobs().ClaimJobTick(f.ctx, job, tick, fmt.Sprintf("replica-%d", i), tick)
		if err == nil && !ok {
			return errLost
		}
		return err
	}) {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, errLost):
		default:
			t.Errorf("ClaimJobTick: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d replicas claimed the tick, want 1", wins)
	}
}

var errLost = errors.New("lost the claim")

func testUsageSnapshots(t *testing.T, f *fixture) {
	a, b := f.org("usage-a"), f.org("usage-b")
	admin := func(u *directory.User) { u.Role = directory.RoleOrgAdmin }
	scim := func(u *directory.User) { u.Source = directory.SourceSCIM }
	banned := func(u *directory.User) { u.Status = directory.StatusSuspended }
	f.user(a, addr(a, "admin"), admin)
	f.user(a, addr(a, "one"), scim)
	f.user(a, addr(a, "two"), scim)
	gone := f.user(a, addr(a, "gone"), scim, banned)
	f.user(b, addr(b, "other"))

	// Days of this subtest only: a snapshot covers every organization.
	n := f.seq.Add(1)
	day1, day2 := fmt.Sprintf("2199-%02d-01", n%12+1), fmt.Sprintf("2199-%02d-02", n%12+1)
	wrote, err := f.s.Jobs().SnapshotUsage(f.ctx, day1, false)
	must(t, "SnapshotUsage", err)
	if wrote.Counts < 4 {
		t.Errorf("the snapshot wrote %d counts, want at least the 4 of these two organizations", wrote.Counts)
	}
	// The same day again replaces its counts; a combination nobody has
	// any more is gone rather than left at its old count.
	gone.Status = directory.StatusActive
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, gone, f.at(time.Hour)))
	_, err = f.s.Jobs().SnapshotUsage(f.ctx, day1, false)
	must(t, "SnapshotUsage again", err)
	_, err = f.s.Jobs().SnapshotUsage(f.ctx, day2, false)
	must(t, "SnapshotUsage next day", err)

	rows, err := f.s.Jobs().UsageSeries(f.ctx, a.ID, day1, day2)
	must(t, "UsageSeries", err)
	row := func(day string, st directory.Status, r directory.Role, src directory.Source, n int) directory.UsageRow {
		return directory.UsageRow{Day: day, Status: st, Role: r, Source: src, Users: n}
	}
	var want []directory.UsageRow
	for _, day := range []string{day1, day2} {
		want = append(want,
			row(day, directory.StatusActive, directory.RoleOrgAdmin, directory.SourceLocal, 1),
			row(day, directory.StatusActive, directory.RoleUser, directory.SourceSCIM, 3))
	}
	diff(t, "organization a's usage", want, rows)

	only, err := f.s.Jobs().UsageSeries(f.ctx, b.ID, day2, day2)
	must(t, "UsageSeries of b", err)
	diff(t, "organization b's usage on one day", []directory.UsageRow{row(day2, directory.StatusActive, directory.RoleUser, directory.SourceLocal, 1)}, only)
	none, err := f.s.Jobs().UsageSeries(f.ctx, a.ID, "2000-01-01", "2000-12-31")
	must(t, "UsageSeries of days without snapshots", err)
	if len(none) != 0 {
		t.Errorf("days without snapshots: %v", none)
	}
}

func testReplicas(t *testing.T, f *fixture) {
	// Replica ids unique to this subtest; other subtests may beat too.
	prefix := fmt.Sprintf("replica-%d-", f.seq.Add(1))
	beat := func(name string, at, stale time.Duration) int {
		t.Helper()
		n, err := f.s.Jobs().BeatReplica(f.ctx, prefix+name, f.at(at), f.at(stale))
		must(t, "BeatReplica", err)
		return n
	}
	// Far in the future, so that no other subtest's replica counts as live.
	const base = 1000 * time.Hour
	if n := beat("a", base, base); n != 1 {
		t.Errorf("the first replica counts %d live, want 1", n)
	}
	beat("b", base+time.Second, base)
	if n := beat("c", base+2*time.Second, base); n != 3 {
		t.Errorf("three replicas count %d live, want 3", n)
	}
	// a and b beat again; c stops beating and goes stale.
	beat("a", base+20*time.Second, base+5*time.Second)
	if n := beat("b", base+21*time.Second, base+6*time.Second); n != 2 {
		t.Errorf("after c went quiet: %d live, want 2", n)
	}
	must(t, "LeaveReplica", f.s.Jobs().LeaveReplica(f.ctx, prefix+"b"))
	if n := beat("a", base+22*time.Second, base+7*time.Second); n != 1 {
		t.Errorf("after b left: %d live, want 1", n)
	}
}

// addr is an address of org's domain, unique to the subtest that made org.
func addr(org *directory.Org, local string) string { return local + "@" + org.Domains[0].Name }

func testImportRuns(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	run := &directory.ImportRun{
		ID: newID(), OrgID: a.ID, ActorKind: directory.ActorAdmin, ActorID: "admin-1", ActorName: "Ada",
		FileName: "users.xlsx", Mode: "upsert", StartedAt: f.base, FinishedAt: f.at(time.Minute),
		Summary: []byte(`{"creates":3}`), Report: []byte{0x1f, 0x8b, 0, 1, 2, 0xff},
	}
	want := *run
	want.StartedAt, want.FinishedAt = micro(run.StartedAt), micro(run.FinishedAt)
	want.Status = directory.ImportCommitted // a run without status was committed
	must(t, "CreateImportRun", f.s.ImportRuns().CreateImportRun(f.ctx, run))
	got, err := f.s.ImportRuns().GetImportRun(f.ctx, a.ID, run.ID)
	must(t, "GetImportRun", err)
	var summary map[string]any
	must(t, "the summary is JSON", json.Unmarshal(got.Summary, &summary))
	diff(t, "the summary", map[string]any{"creates": 3.0}, summary)
	got.Summary = want.Summary // a store may reformat JSON
	diff(t, "GetImportRun", &want, got)
	_, err = f.s.ImportRuns().GetImportRun(f.ctx, b.ID, run.ID)
	wantCode(t, "GetImportRun from another organization", err, directory.CodeNotFound, "")

	later := &directory.ImportRun{OrgID: a.ID, ActorKind: directory.ActorOperator, Mode: "create",
		StartedAt: f.at(time.Hour), FinishedAt: f.at(time.Hour), Summary: []byte(`{}`)}
	must(t, "CreateImportRun(later)", f.s.ImportRuns().CreateImportRun(f.ctx, later))
	n, err := f.s.ImportRuns().DeleteImportRunsBefore(f.ctx, b.ID, f.at(2*time.Hour))
	must(t, "DeleteImportRunsBefore(b)", err)
	if n != 0 {
		t.Errorf("deleted %d runs of another organization", n)
	}
	n, err = f.s.ImportRuns().DeleteImportRunsBefore(f.ctx, a.ID, f.at(time.Minute))
	must(t, "DeleteImportRunsBefore", err)
	if n != 1 {
		t.Errorf("deleted %d runs, want 1", n)
	}
	if _, err := f.s.ImportRuns().GetImportRun(f.ctx, a.ID, later.ID); err != nil {
		t.Errorf("the later run is gone: %v", err)
	}

	// A run starts running, then is committed or abandoned.
	running := func() *directory.ImportRun {
		r := &directory.ImportRun{OrgID: a.ID, ActorKind: directory.ActorAdmin, Mode: "create",
			StartedAt: f.at(3 * time.Hour), FinishedAt: f.at(3 * time.Hour), Status: directory.ImportRunning}
		must(t, "CreateImportRun(running)", f.s.ImportRuns().CreateImportRun(f.ctx, r))
		return r
	}
	committed, abandoned := running(), running()
	done := *committed
	done.Status, done.FinishedAt, done.Summary, done.Report = directory.ImportCommitted, f.at(4*time.Hour), []byte(`{"creates":1}`), []byte{1, 2}
	ok, err := f.s.ImportRuns().UpdateImportRun(f.ctx, &done, directory.ImportRunning)
	if err != nil || !ok {
		t.Fatalf("UpdateImportRun = %v, %v", ok, err)
	}
	if ok, err := f.s.ImportRuns().UpdateImportRun(f.ctx, &done, directory.ImportRunning); err != nil || ok {
		t.Errorf("UpdateImportRun of a run no longer running = %v, %v; want false", ok, err)
	}
	other := *abandoned
	other.OrgID = b.ID
	if ok, err := f.s.ImportRuns().UpdateImportRun(f.ctx, &other, directory.ImportRunning); err != nil || ok {
		t.Errorf("UpdateImportRun from another organization = %v, %v; want false", ok, err)
	}
	if n, err := f.s.ImportRuns().AbandonImportRuns(f.ctx, b.ID, f.at(5*time.Hour)); err != nil || n != 0 {
		t.Errorf("AbandonImportRuns(b) = %d, %v; want 0", n, err)
	}
	if n, err := f.s.ImportRuns().AbandonImportRuns(f.ctx, a.ID, f.at(5*time.Hour)); err != nil || n != 1 {
		t.Errorf("AbandonImportRuns = %d, %v; want the one running run", n, err)
	}
	for r, status := range map[*directory.ImportRun]directory.ImportRunStatus{committed: directory.ImportCommitted, abandoned: directory.ImportAbandoned} {
		got, err := f.s.ImportRuns().GetImportRun(f.ctx, a.ID, r.ID)
		must(t, "GetImportRun", err)
		if got.Status != status {
			t.Errorf("run %s is %s, want %s", r.ID, got.Status, status)
		}
	}
}

// wantMarked checks that u is as an inactivity pass at time at left it:
// inactive for reason, set by the job, one version on.
func wantMarked(t *testing.T, f *fixture, u *directory.User, reason string, at time.Time, what string) {
	t.Helper()
	got, err := f.s.Users().GetUser(f.ctx, u.OrgID, u.ID)
	must(t, "GetUser", err)
	want := rounded(u)
	want.Status, want.StatusReason, want.StatusSetBy, want.StatusSetByID = directory.StatusInactive, reason, directory.AuthorityJob, "inactivity"
	want.StatusChangedAt, want.UpdatedAt, want.Version = micro(at), micro(at), 2
	diff(t, what, want, got)
}

func testMarkInactiveKeepsAnAdmin(t *testing.T, f *fixture) {
	cutoff := f.at(90 * 24 * time.Hour)
	older, old, recent := f.at(time.Hour), f.at(2*time.Hour), f.at(100*24*time.Hour)
	mk := func(org *directory.Org, name string, role directory.Role, status directory.Status, login time.Time) *directory.User {
		return f.user(org, addr(org, name), func(u *directory.User) {
			u.Role, u.Status, u.LastLoginAt, u.ActivatedAt = role, status, &login, &older
		})
	}
	at := f.at(91 * 24 * time.Hour)
	pass := func(org *directory.Org) int {
		t.Helper()
		n, err := f.s.Jobs().MarkInactive(f.ctx, directory.InactivityMark{OrgID: org.ID, Before: cutoff, At: at, Reason: "no login for 90 days",
			SetBy: directory.AuthorityJob, SetByID: "inactivity", Event: directory.AuditEvent{Time: at, ActorKind: directory.ActorJob,
				ActorID: "inactivity", Action: "user.status"}})
		must(t, "MarkInactive", err)
		return n
	}
	statuses := func(org *directory.Org) map[string]directory.Status {
		t.Helper()
		page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Limit: 10})
		must(t, "ListUsers", err)
		out := map[string]directory.Status{}
		for _, u := range page.Users {
			local, _, _ := strings.Cut(u.UserName, "@")
			out[local] = u.Status
		}
		return out
	}

	// Every admin is stale: the one active last stays, the others go.
	a := f.org("a")
	mk(a, "admin-old", directory.RoleOrgAdmin, directory.StatusActive, old)
	mk(a, "admin-older", directory.RoleOrgAdmin, directory.StatusActive, older)
	mk(a, "viewer", directory.RoleOrgViewer, directory.StatusActive, recent.Add(-99*24*time.Hour))
	mk(a, "banned-admin", directory.RoleOrgAdmin, directory.StatusSuspended, recent) // not active: not a keeper
	mk(a, "user", directory.RoleUser, directory.StatusActive, older)
	if n := pass(a); n != 3 {
		t.Errorf("marked %d users, want 3", n)
	}
	diff(t, "statuses after a pass over stale admins", map[string]directory.Status{
		"admin-old": "active", "admin-older": "inactive", "viewer": "inactive", "banned-admin": "suspended", "user": "inactive",
	}, statuses(a))

	// A recent admin keeps the organization: a stale one goes.
	b := f.org("b")
	mk(b, "admin-recent", directory.RoleOrgAdmin, directory.StatusActive, recent)
	mk(b, "admin-stale", directory.RoleOrgAdmin, directory.StatusActive, old)
	if n := pass(b); n != 1 {
		t.Errorf("marked %d users, want 1", n)
	}
	diff(t, "statuses after a pass with a recent admin", map[string]directory.Status{"admin-recent": "active", "admin-stale": "inactive"}, statuses(b))
}

// testMarkInactiveManyBatches runs both passes over more users than many
// batches hold, most of them sharing one activity (an import's), so that
// a batch that ends inside a run of equal activities must resume after
// its last user by id: every idle user is marked once, with one audit
// event, the last active org_admin is spared in every batch, and the
// recent users and another organization's are left alone. Each pass runs
// once in its own transactions and once inside a caller's.
func testMarkInactiveManyBatches(t *testing.T, f *fixture) {
	day := 24 * time.Hour
	cutoff, at := f.at(90*day), f.at(91*day)
	imported, recent := f.at(time.Hour), f.at(100*day)
	const idle, pending = 1500, 700
	for _, inTx := range []bool{false, true} {
		a, b := f.org("a"), f.org("b")
		var users []*directory.User
		add := func(org *directory.Org, name string, status directory.Status, role directory.Role, activity time.Time) *directory.User {
			u := f.newUser(org, addr(org, name))
			u.Status, u.Role, u.CreatedAt, u.UpdatedAt = status, role, activity, activity
			if status == directory.StatusActive {
				u.ActivatedAt = &activity
			}
			users = append(users, u)
			return u
		}
		for i := range idle {
			activity := imported
			if i%7 == 0 {
				activity = imported.Add(time.Duration(i) * time.Minute) // a few apart from the run
			}
			add(a, fmt.Sprintf("idle%04d", i), directory.StatusActive, directory.RoleUser, activity)
		}
		for i := range pending {
			add(a, fmt.Sprintf("pending%04d", i), directory.StatusPending, directory.RoleUser, imported)
		}
		keeper := add(a, "keeper", directory.StatusActive, directory.RoleOrgAdmin, imported.Add(time.Hour))
		staleAdmin := add(a, "stale-admin", directory.StatusActive, directory.RoleOrgAdmin, imported)
		for i := range 300 {
			add(a, fmt.Sprintf("recent%04d", i), directory.StatusActive, directory.RoleUser, recent)
		}
		other := add(b, "other", directory.StatusActive, directory.RoleUser, imported)
		must(t, "CreateUsers", f.s.InTx(f.ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(f.ctx, users) }))

		pass := func(from directory.Status) int {
			t.Helper()
			mark := directory.InactivityMark{OrgID: a.ID, From: from, Before: cutoff, Now: at, At: at, Reason: "idle",
				SetBy: directory.AuthorityJob, SetByID: "inactivity", Event: directory.AuditEvent{Time: at,
					ActorKind: directory.ActorJob, ActorID: "inactivity", Action: "user.status"}}
			var n int
			run := func(j directory.JobStore) error {
				var err error
				n, err = j.MarkInactive(f.ctx, mark)
				return err
			}
			if inTx {
				must(t, "MarkInactive in a transaction", f.s.InTx(f.ctx, func(r directory.Repos) error { return run(r.Jobs()) }))
			} else {
				must(t, "MarkInactive", run(f.s.Jobs()))
			}
			return n
		}
		if n := pass(directory.StatusActive); n != idle+1 {
			t.Errorf("in a transaction %v: the active pass marked %d users, want %d", inTx, n, idle+1)
		}
		if n := pass(directory.StatusPending); n != pending {
			t.Errorf("in a transaction %v: the pending pass marked %d users, want %d", inTx, n, pending)
		}
		if n := pass(directory.StatusActive) + pass(directory.StatusPending); n != 0 {
			t.Errorf("in a transaction %v: passes after the first marked %d users", inTx, n)
		}

		counts := map[directory.Status]int{}
		cursor := ""
		for {
			page, err := f.s.Users().ListUsers(f.ctx, a.ID, directory.UserQuery{Limit: 500, After: cursor})
			must(t, "ListUsers", err)
			for _, u := range page.Users {
				counts[u.Status]++
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		diff(t, "statuses after the passes", map[directory.Status]int{
			directory.StatusInactive: idle + pending + 1, directory.StatusActive: 301,
		}, counts)
		for _, u := range []*directory.User{keeper, staleAdmin, other} {
			got, err := f.s.Users().GetUser(f.ctx, u.OrgID, u.ID)
			must(t, "GetUser", err)
			want := map[string]directory.Status{keeper.ID: "active", staleAdmin.ID: "inactive", other.ID: "active"}[u.ID]
			if got.Status != want {
				t.Errorf("in a transaction %v: %s is %s, want %s", inTx, u.UserName, got.Status, want)
			}
		}
		events := 0
		cursor = ""
		for {
			log, err := f.s.Audit().ListAudit(f.ctx, a.ID, directory.AuditQuery{Action: "user.status", Limit: 500, After: cursor})
			must(t, "ListAudit", err)
			events += len(log.Events)
			if cursor = log.Next; cursor == "" {
				break
			}
		}
		if events != idle+pending+1 {
			t.Errorf("in a transaction %v: %d audit events, want one per marked user (%d)", inTx, events, idle+pending+1)
		}
	}
}
