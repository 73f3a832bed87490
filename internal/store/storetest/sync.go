package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// testSync runs the directory sync's storage behaviours, one after the
// other on the test's store, each with organizations of its own.
func testSync(t *testing.T, f *fixture) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"connectors round-trip and names are unique per organization", testConnectors},
		{"a connector's lease goes to one run at a time", testSyncLease},
		{"runs are recorded, listed, finished and decided", testSyncRuns},
		{"links are upserted, paged and owned by one connector", testSyncLinks},
		{"users are read and updated in batches", testSyncBatches},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newFixture(t, f.s)) })
	}
}

// connector creates a connector of org.
func (f *fixture) connector(org *directory.Org, name string, edits ...func(*directory.Connector)) *directory.Connector {
	f.t.Helper()
	c := &directory.Connector{
		ID: newID(), OrgID: org.ID, Name: name, Kind: directory.ConnectorKind("ldap"),
		Settings:    json.RawMessage(`{"url":"ldaps://dc.example:636","bindDn":"cn=sync"}`),
		Secrets:     []byte{1, 0xff, 2, 3},
		Mapping:     map[string]string{"title": "description"},
		RoleRules:   []directory.RoleRule{{Group: "cn=admins", Role: directory.RoleOrgAdmin}},
		DefaultRole: directory.RoleUser, Deprovision: directory.DeprovisionSuspend, Threshold: 0.2, Enabled: true,
		GroupThreshold: 0.3, MemberThreshold: 0.4, Reconcile: "@daily",
		CreatedAt: f.base, UpdatedAt: f.base, Version: 1,
	}
	for _, e := range edits {
		e(c)
	}
	must(f.t, "CreateConnector("+name+")", f.s.Connectors().CreateConnector(f.ctx, c))
	return c
}

// jsonEqual compares JSON documents by value: PostgreSQL's jsonb keeps
// neither key order nor spacing.
var jsonEqual = cmp.Comparer(func(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
})

func testConnectors(t *testing.T, f *fixture) {
	a, b := f.org("sync-a"), f.org("sync-b")
	c := f.connector(a, "Corp AD", func(c *directory.Connector) { c.Schedule = "*/15 * * * *"; c.Cursor = "usn=12" })
	if !c.CreatedAt.Equal(micro(f.base)) {
		t.Errorf("CreateConnector left CreatedAt = %v", c.CreatedAt)
	}
	got, err := f.s.Connectors().GetConnector(f.ctx, a.ID, c.ID)
	must(t, "GetConnector", err)
	diff(t, "GetConnector", c, got, jsonEqual)
	got, err = f.s.Connectors().GetConnectorByName(f.ctx, a.ID, "  corp ad ")
	must(t, "GetConnectorByName", err)
	diff(t, "GetConnectorByName", c, got, jsonEqual)

	_, err = f.s.Connectors().GetConnector(f.ctx, b.ID, c.ID)
	wantCode(t, "GetConnector through another organization", err, directory.CodeNotFound, "")
	dup := &directory.Connector{ID: newID(), OrgID: a.ID, Name: "CORP AD", Kind: directory.ConnectorKind("entra"),
		Deprovision: directory.DeprovisionDelete, Threshold: 0.5, CreatedAt: f.base, UpdatedAt: f.base}
	wantCode(t, "CreateConnector(same name)", f.s.Connectors().CreateConnector(f.ctx, dup), directory.CodeConflict, "name")
	other := f.connector(b, "Corp AD") // another organization may use the name
	bare := f.connector(a, "Entra", func(c *directory.Connector) {
		c.Kind, c.Settings, c.Secrets, c.Mapping, c.RoleRules, c.DefaultRole = directory.ConnectorKind("entra"), nil, nil, nil, nil, ""
		c.Schedule, c.Enabled = "@hourly", false
	})

	list, err := f.s.Connectors().ListConnectors(f.ctx, a.ID)
	must(t, "ListConnectors", err)
	if len(list) != 2 || list[0].ID != c.ID || list[1].ID != bare.ID {
		t.Errorf("ListConnectors = %v, want Corp AD then Entra", connectorNames(list))
	}
	if len(list) == 2 && (list[1].Settings != nil || list[1].Secrets != nil || len(list[1].Mapping) != 0) {
		t.Errorf("a connector without settings, secrets or mapping reads back as %+v", list[1])
	}
	scheduled, err := f.s.Connectors().ListScheduledConnectors(f.ctx)
	must(t, "ListScheduledConnectors", err)
	found := map[string]bool{}
	for _, s := range scheduled {
		found[s.ID] = true
	}
	if !found[c.ID] || found[bare.ID] || found[other.ID] {
		t.Errorf("ListScheduledConnectors found %v; want Corp AD (enabled, scheduled) only of these", connectorNames(scheduled))
	}

	next := *c
	next.Name, next.Schedule, next.Threshold, next.Enabled = "Corp AD (EU)", "", 0.5, false
	next.GroupThreshold, next.MemberThreshold, next.Reconcile = 0.6, 0.7, "0 3 * * 0"
	next.Settings = json.RawMessage(`{"url":"ldaps://dc2.example:636"}`)
	next.Secrets, next.Mapping, next.Cursor = []byte{9, 9}, map[string]string{}, "ignored"
	must(t, "UpdateConnector", f.s.Connectors().UpdateConnector(f.ctx, &next, f.at(time.Hour)))
	if next.Version != 2 || !next.UpdatedAt.Equal(micro(f.at(time.Hour))) {
		t.Errorf("UpdateConnector left version %d, updated %v", next.Version, next.UpdatedAt)
	}
	got, err = f.s.Connectors().GetConnector(f.ctx, a.ID, c.ID)
	must(t, "GetConnector after update", err)
	next.Cursor = c.Cursor // the cursor is the runs' to write
	diff(t, "updated connector", &next, got, jsonEqual)
	stale := *c
	wantStale(t, "UpdateConnector(stale)", f.s.Connectors().UpdateConnector(f.ctx, &stale, f.at(time.Hour)))
	missing := *c
	missing.OrgID = b.ID
	wantCode(t, "UpdateConnector through another organization", f.s.Connectors().UpdateConnector(f.ctx, &missing, f.base), directory.CodeNotFound, "")

	run := f.run(c, directory.TriggerManual)
	must(t, "PutLinks", f.s.SyncLinks().PutLinks(f.ctx, []*directory.SyncLink{
		{ConnectorID: c.ID, OrgID: a.ID, Kind: directory.LinkUser, Ref: "r1", ObjectID: f.user(a, "linked@sync-a.example").ID}}))
	wantCode(t, "DeleteConnector through another organization", f.s.Connectors().DeleteConnector(f.ctx, b.ID, c.ID), directory.CodeNotFound, "")
	must(t, "DeleteConnector", f.s.Connectors().DeleteConnector(f.ctx, a.ID, c.ID))
	_, err = f.s.Connectors().GetConnector(f.ctx, a.ID, c.ID)
	wantCode(t, "GetConnector after delete", err, directory.CodeNotFound, "")
	_, err = f.s.SyncRuns().GetRun(f.ctx, a.ID, run.ID)
	wantCode(t, "GetRun of a deleted connector", err, directory.CodeNotFound, "")
	links := f.userLinks(a, c)
	if len(links) != 0 {
		t.Errorf("a deleted connector kept %d links", len(links))
	}
}

func connectorNames(list []*directory.Connector) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Name)
	}
	return out
}

// run records a running run of c.
func (f *fixture) run(c *directory.Connector, trigger directory.SyncTrigger) *directory.SyncRun {
	f.t.Helper()
	r := &directory.SyncRun{ID: newID(), OrgID: c.OrgID, ConnectorID: c.ID, Trigger: trigger,
		Status: directory.RunRunning, StartedBy: "admin:ada", StartedAt: f.base}
	must(f.t, "CreateRun", f.s.SyncRuns().CreateRun(f.ctx, r))
	return r
}

func testSyncLease(t *testing.T, f *fixture) {
	org := f.org("lease")
	c := f.connector(org, "AD")
	cs := f.s.Connectors()
	now, until := f.base, f.at(time.Minute)

	must(t, "TakeLease", cs.TakeLease(f.ctx, org.ID, c.ID, "run-1", now, until))
	err := cs.TakeLease(f.ctx, org.ID, c.ID, "run-2", now.Add(time.Second), until)
	wantCode(t, "TakeLease while held", err, directory.CodeConflict, "")
	if err != nil && !strings.Contains(err.Error(), "run-1") {
		t.Errorf("TakeLease while held says %q; want it to name run-1", err)
	}
	holder, err := cs.LeaseHolder(f.ctx, org.ID, c.ID, now)
	must(t, "LeaseHolder", err)
	if holder != "run-1" {
		t.Errorf("LeaseHolder = %q, want run-1", holder)
	}

	held, err := cs.RenewLease(f.ctx, org.ID, c.ID, "run-1", f.at(2*time.Minute))
	must(t, "RenewLease", err)
	if !held {
		t.Error("RenewLease by the holder reported the lease lost")
	}
	held, err = cs.RenewLease(f.ctx, org.ID, c.ID, "run-2", f.at(3*time.Minute))
	must(t, "RenewLease by another run", err)
	if held {
		t.Error("a run that does not hold the lease renewed it")
	}
	// An expired lease goes to the next run; the old one has lost it.
	must(t, "TakeLease after expiry", cs.TakeLease(f.ctx, org.ID, c.ID, "run-3", f.at(2*time.Minute), f.at(4*time.Minute)))
	held, err = cs.RenewLease(f.ctx, org.ID, c.ID, "run-1", f.at(5*time.Minute))
	must(t, "RenewLease by the expired run", err)
	if held {
		t.Error("the run whose lease expired still renewed it")
	}

	cursor := "next-cursor"
	held, err = cs.ReleaseLease(f.ctx, org.ID, c.ID, "run-1", &cursor, nil)
	must(t, "ReleaseLease by a former holder", err)
	if held {
		t.Error("a former holder released the lease")
	}
	held, err = cs.ReleaseLease(f.ctx, org.ID, c.ID, "run-3", &cursor, nil)
	must(t, "ReleaseLease", err)
	if !held {
		t.Error("the holder could not release its lease")
	}
	got, err := cs.GetConnector(f.ctx, org.ID, c.ID)
	must(t, "GetConnector", err)
	if got.Cursor != cursor || got.Version != c.Version || got.ReconciledAt != nil {
		t.Errorf("after release: cursor %q, version %d, reconciled at %v; want %q, the version unchanged, never reconciled",
			got.Cursor, got.Version, got.ReconciledAt, cursor)
	}
	// A full run's release marks the connector reconciled.
	must(t, "TakeLease for a full run", cs.TakeLease(f.ctx, org.ID, c.ID, "run-full", f.at(5*time.Minute), f.at(6*time.Minute)))
	reconciled, fullCursor := f.at(5*time.Minute), "full-cursor"
	held, err = cs.ReleaseLease(f.ctx, org.ID, c.ID, "run-full", &fullCursor, &reconciled)
	must(t, "ReleaseLease of a full run", err)
	got, err = cs.GetConnector(f.ctx, org.ID, c.ID)
	must(t, "GetConnector after a full run", err)
	if !held || got.Cursor != fullCursor || got.ReconciledAt == nil || !got.ReconciledAt.Equal(micro(reconciled)) {
		t.Errorf("after a full run's release: held %v, cursor %q, reconciled at %v; want %v", held, got.Cursor, got.ReconciledAt, reconciled)
	}
	holder, err = cs.LeaseHolder(f.ctx, org.ID, c.ID, now)
	must(t, "LeaseHolder after release", err)
	if holder != "" {
		t.Errorf("LeaseHolder after release = %q", holder)
	}
	wantCode(t, "TakeLease(unknown connector)", cs.TakeLease(f.ctx, org.ID, newID(), "run-4", now, until), directory.CodeNotFound, "")

	// Of many runs starting at once, one gets the connector.
	errs := race(t, contenders, func(i int) error {
		return cs.TakeLease(f.ctx, org.ID, c.ID, fmt.Sprintf("racer-%d", i), f.at(time.Hour), f.at(2*time.Hour))
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !directory.IsCode(err, directory.CodeConflict):
			t.Errorf("a racing TakeLease failed with %v, want a conflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing runs took the lease, want 1", won)
	}
}

func testSyncRuns(t *testing.T, f *fixture) {
	org, other := f.org("runs"), f.org("runs-other")
	c := f.connector(org, "Entra", func(c *directory.Connector) { c.Kind = directory.ConnectorKind("entra") })
	rs := f.s.SyncRuns()

	first := f.run(c, directory.TriggerSchedule)
	got, err := rs.GetRun(f.ctx, org.ID, first.ID)
	must(t, "GetRun", err)
	diff(t, "GetRun", first, got)
	_, err = rs.GetRun(f.ctx, other.ID, first.ID)
	wantCode(t, "GetRun through another organization", err, directory.CodeNotFound, "")

	// A running run's progress is saved with it, through its own
	// organization only.
	must(t, "SaveProgress", rs.SaveProgress(f.ctx, org.ID, first.ID, json.RawMessage(`{"phase":"fetching","seen":10}`)))
	must(t, "SaveProgress through another organization",
		rs.SaveProgress(f.ctx, other.ID, first.ID, json.RawMessage(`{"phase":"done","seen":99}`)))
	got, err = rs.GetRun(f.ctx, org.ID, first.ID)
	must(t, "GetRun after SaveProgress", err)
	diff(t, "saved progress", json.RawMessage(`{"seen":10,"phase":"fetching"}`), got.Progress, jsonEqual)

	ended := f.at(time.Minute)
	first.Progress = json.RawMessage(`{"phase":"done","seen":43,"planned":43,"applied":43}`)
	first.Status, first.EndedAt, first.Full = directory.RunHeld, &ended, true
	first.Counts = map[string]int{"create": 3, "suspend": 40}
	first.Errors = json.RawMessage(`[{"op":"conflict","ref":"r9","detail":"userName taken"}]`)
	first.Plan = json.RawMessage(`{"items":[{"op":"suspend","ref":"r1"}],"held":["r1"]}`)
	first.Message = "held at the threshold"
	must(t, "FinishRun", rs.FinishRun(f.ctx, first))
	got, err = rs.GetRun(f.ctx, org.ID, first.ID)
	must(t, "GetRun after finish", err)
	diff(t, "finished run", first, got, jsonEqual)
	wantCode(t, "FinishRun twice", rs.FinishRun(f.ctx, first), directory.CodeConflict, "")
	must(t, "SaveProgress of an ended run", rs.SaveProgress(f.ctx, org.ID, first.ID, json.RawMessage(`{"phase":"fetching"}`)))
	got, err = rs.GetRun(f.ctx, org.ID, first.ID)
	must(t, "GetRun after a late SaveProgress", err)
	diff(t, "progress of an ended run", first.Progress, got.Progress, jsonEqual)

	second := f.run(c, directory.TriggerManual)
	third := f.run(c, directory.TriggerCLI)
	n, err := rs.AbandonRuns(f.ctx, org.ID, c.ID, third.ID, f.at(time.Hour), "abandoned")
	must(t, "AbandonRuns", err)
	if n != 1 {
		t.Errorf("AbandonRuns marked %d runs, want the one other running run", n)
	}
	got, err = rs.GetRun(f.ctx, org.ID, second.ID)
	must(t, "GetRun of an abandoned run", err)
	if got.Status != directory.RunFailed || got.Message != "abandoned" || got.EndedAt == nil {
		t.Errorf("abandoned run = %s %q ended %v", got.Status, got.Message, got.EndedAt)
	}

	page, err := rs.ListRuns(f.ctx, org.ID, c.ID, "", 2)
	must(t, "ListRuns", err)
	if len(page) != 2 || page[0].ID != third.ID || page[1].ID != second.ID {
		t.Fatalf("ListRuns = %v, want the newest two", runIDs(page))
	}
	rest, err := rs.ListRuns(f.ctx, org.ID, c.ID, page[1].ID, 2)
	must(t, "ListRuns(before)", err)
	if len(rest) != 1 || rest[0].ID != first.ID || rest[0].Plan != nil || rest[0].Counts["suspend"] != 40 {
		t.Errorf("ListRuns(before) = %+v; want the first run, with counts and without its plan", rest)
	}
	none, err := rs.ListRuns(f.ctx, other.ID, c.ID, "", 10)
	must(t, "ListRuns through another organization", err)
	if len(none) != 0 {
		t.Errorf("another organization listed %d runs", len(none))
	}

	decided, err := rs.DecideRun(f.ctx, org.ID, first.ID, directory.RunApproved, "admin:ada", f.at(2*time.Hour))
	must(t, "DecideRun", err)
	if decided.Status != directory.RunApproved || decided.DecidedBy != "admin:ada" || decided.DecidedAt == nil ||
		!decided.DecidedAt.Equal(micro(f.at(2*time.Hour))) {
		t.Errorf("decided run = %s by %q at %v", decided.Status, decided.DecidedBy, decided.DecidedAt)
	}
	_, err = rs.DecideRun(f.ctx, org.ID, first.ID, directory.RunRejected, "admin:bob", f.at(3*time.Hour))
	wantCode(t, "DecideRun of a decided run", err, directory.CodeConflict, "")
	_, err = rs.DecideRun(f.ctx, org.ID, third.ID, directory.RunApproved, "admin:bob", f.at(3*time.Hour))
	wantCode(t, "DecideRun of a running run", err, directory.CodeConflict, "")
	_, err = rs.DecideRun(f.ctx, other.ID, first.ID, directory.RunApproved, "admin:bob", f.at(3*time.Hour))
	wantCode(t, "DecideRun through another organization", err, directory.CodeNotFound, "")
}

func runIDs(runs []*directory.SyncRun) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func testSyncLinks(t *testing.T, f *fixture) {
	org := f.org("links")
	c, d := f.connector(org, "AD"), f.connector(org, "LDAP")
	ls := f.s.SyncLinks()
	var users []*directory.User
	var links []*directory.SyncLink
	for i := range 5 {
		u := f.user(org, fmt.Sprintf("u%d@links.example", i), func(u *directory.User) {
			u.Source, u.SourceRef, u.Role = directory.SourceLDAP, fmt.Sprintf("ref-%d", i), directory.RoleOrgViewer
			u.StatusSetBy = directory.AuthorityLDAP
		})
		users = append(users, u)
		links = append(links, &directory.SyncLink{ConnectorID: c.ID, OrgID: org.ID, Kind: directory.LinkUser,
			Ref: u.SourceRef, ObjectID: u.ID, MemberKey: fmt.Sprintf("uid=u%d", i), Hash: "h1"})
	}
	// A link named twice in one call is written in its last form.
	again := *links[0]
	again.Hash = "h2"
	must(t, "PutLinks", ls.PutLinks(f.ctx, append(links, &again)))

	all := f.userLinks(org, c)
	if len(all) != 5 || all[1].Ref != "ref-1" || all[4].Ref != "ref-4" {
		t.Fatalf("ListUserLinks returned %d links, want ref-0 … ref-4 in order", len(all))
	}
	want := *links[0]
	want.Hash, want.Status, want.StatusSetBy, want.Role = "h2", directory.StatusActive, directory.AuthorityLDAP, directory.RoleOrgViewer
	want.Version = users[0].Version // the user's own version, for drift
	diff(t, "first user link", &want, all[0])
	stop := errors.New("stop")
	seen := 0
	err := ls.ListUserLinks(f.ctx, org.ID, c.ID, func(*directory.SyncLink) error { seen++; return stop })
	if !errors.Is(err, stop) || seen != 1 {
		t.Errorf("ListUserLinks went on after fn failed: %d links, error %v", seen, err)
	}

	// ListUserLinkRefs reads the refs alone, of this connector only.
	var refs []string
	must(t, "ListUserLinkRefs", ls.ListUserLinkRefs(f.ctx, org.ID, c.ID, func(ref string) error { refs = append(refs, ref); return nil }))
	sort.Strings(refs)
	if diff := cmp.Diff([]string{"ref-0", "ref-1", "ref-2", "ref-3", "ref-4"}, refs); diff != "" {
		t.Errorf("ListUserLinkRefs (-want +got):\n%s", diff)
	}
	for _, other := range [][2]string{{org.ID, d.ID}, {"other-org", c.ID}} {
		n := 0
		must(t, "ListUserLinkRefs", ls.ListUserLinkRefs(f.ctx, other[0], other[1], func(string) error { n++; return nil }))
		if n != 0 {
			t.Errorf("ListUserLinkRefs of organization %s, connector %s read %d refs, want none", other[0], other[1], n)
		}
	}
	if err := ls.ListUserLinkRefs(f.ctx, org.ID, c.ID, func(string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ListUserLinkRefs did not return fn's error: %v", err)
	}

	// UserLinks reads those named that exist, as ListUserLinks does;
	// another connector's refs or organization find nothing.
	some, err := ls.UserLinks(f.ctx, org.ID, c.ID, []string{"ref-3", "ref-0", "ref-missing"})
	must(t, "UserLinks", err)
	sort.Slice(some, func(i, j int) bool { return some[i].Ref < some[j].Ref })
	if len(some) != 2 || some[1].Ref != "ref-3" {
		t.Fatalf("UserLinks returned %d links, want ref-0 and ref-3", len(some))
	}
	diff(t, "first user link by ref", &want, some[0])
	for name, got := range map[string]func() ([]*directory.SyncLink, error){
		"another connector": func() ([]*directory.SyncLink, error) { return ls.UserLinks(f.ctx, org.ID, d.ID, []string{"ref-0"}) },
		"another organization": func() ([]*directory.SyncLink, error) {
			return ls.UserLinks(f.ctx, "other-org", c.ID, []string{"ref-0"})
		},
		"no refs": func() ([]*directory.SyncLink, error) { return ls.UserLinks(f.ctx, org.ID, c.ID, nil) },
	} {
		if links, err := got(); err != nil || len(links) != 0 {
			t.Errorf("UserLinks through %s = %d links, %v; want none", name, len(links), err)
		}
	}

	// Replacing a link: a new hash and member key.
	links[1].Hash, links[1].MemberKey = "", "uid=renamed"
	must(t, "PutLinks(replace)", ls.PutLinks(f.ctx, links[1:2]))
	if got := f.userLinks(org, c)[1]; got.Hash != "" || got.MemberKey != "uid=renamed" {
		t.Errorf("replaced link = %+v", got)
	}

	// A user is managed by one connector.
	err = ls.PutLinks(f.ctx, []*directory.SyncLink{{ConnectorID: d.ID, OrgID: org.ID, Kind: directory.LinkUser, Ref: "x", ObjectID: users[2].ID}})
	wantCode(t, "PutLinks(a user another connector manages)", err, directory.CodeConflict, "")
	if other := f.userLinks(org, d); len(other) != 0 {
		t.Errorf("another connector lists %d user links", len(other))
	}

	must(t, "DeleteLink", ls.DeleteLink(f.ctx, org.ID, c.ID, directory.LinkUser, "ref-4"))
	if all := f.userLinks(org, c); len(all) != 4 {
		t.Errorf("after DeleteLink: %d links, want 4", len(all))
	}

	kept, gone := f.group(org, "Engineering"), f.group(org, "Gone")
	must(t, "PutLinks(groups)", ls.PutLinks(f.ctx, []*directory.SyncLink{
		{ConnectorID: c.ID, OrgID: org.ID, Kind: directory.LinkGroup, Ref: "g1", ObjectID: kept.ID, MemberKey: "cn=eng", Name: "Engineering"},
		{ConnectorID: c.ID, OrgID: org.ID, Kind: directory.LinkGroup, Ref: "g2", ObjectID: gone.ID, Name: "Gone"},
	}))
	must(t, "DeleteGroup", f.s.Groups().DeleteGroup(f.ctx, org.ID, gone.ID))
	groups, err := ls.ListGroupLinks(f.ctx, org.ID, c.ID)
	must(t, "ListGroupLinks", err)
	diff(t, "group links (a deleted group's left out)", []*directory.SyncLink{
		{ConnectorID: c.ID, OrgID: org.ID, Kind: directory.LinkGroup, Ref: "g1", ObjectID: kept.ID, MemberKey: "cn=eng", Name: "Engineering"},
	}, groups)
	other, err := ls.ListGroupLinks(f.ctx, org.ID, d.ID)
	must(t, "ListGroupLinks of another connector", err)
	if len(other) != 0 {
		t.Errorf("another connector lists %d group links", len(other))
	}
}

// userLinks lists the user links of c.
func (f *fixture) userLinks(org *directory.Org, c *directory.Connector) []*directory.SyncLink {
	f.t.Helper()
	var out []*directory.SyncLink
	must(f.t, "ListUserLinks", f.s.SyncLinks().ListUserLinks(f.ctx, org.ID, c.ID, func(l *directory.SyncLink) error {
		out = append(out, l)
		return nil
	}))
	return out
}

func testSyncBatches(t *testing.T, f *fixture) {
	org, other := f.org("batch"), f.org("batch-other")
	bs := f.s.SyncBatches()
	a := f.user(org, "a@batch.example", func(u *directory.User) {
		u.Emails = []directory.Email{{Value: "a@batch.example", Type: "work", Primary: true}}
	})
	b := f.user(org, "b@batch.example")
	deleted := f.user(org, "gone@batch.example", func(u *directory.User) { u.Status = directory.StatusDeleted })
	foreign := f.user(other, "x@other.example")

	got, err := bs.GetUsers(f.ctx, org.ID, []string{a.ID, b.ID, foreign.ID, newID(), a.ID})
	must(t, "GetUsers", err)
	byID := map[string]*directory.User{}
	for _, u := range got {
		byID[u.ID] = u
	}
	if len(got) != 2 || byID[foreign.ID] != nil {
		t.Fatalf("GetUsers returned %d users (foreign: %v), want a and b", len(got), byID[foreign.ID] != nil)
	}
	diff(t, "GetUsers(a)", a, byID[a.ID])

	// Every field is written, emails included, and versions advance.
	na, nb := byID[a.ID].Clone(), byID[b.ID].Clone()
	na.GivenName, na.Title, na.Role, na.Emails = "Ada", "Analyst", directory.RoleOrgAdmin, []directory.Email{{Value: "ada@batch.example", Type: "home"}}
	na.Enterprise.Department, na.Properties = "R&D", map[string]any{"badge": "7"}
	na.Status, na.StatusSetBy, na.StatusReason, na.StatusChangedAt = directory.StatusSuspended, directory.AuthorityLDAP, "disabled", f.at(time.Minute)
	nb.UserName, nb.Email = "bee@batch.example", "bee@batch.example"
	when := f.at(time.Hour)
	must(t, "UpdateUsers", bs.UpdateUsers(f.ctx, []*directory.User{na, nb}, when))
	if na.Version != a.Version+1 || !na.UpdatedAt.Equal(micro(when)) {
		t.Errorf("UpdateUsers left version %d, updated %v", na.Version, na.UpdatedAt)
	}
	for _, want := range []*directory.User{na, nb} {
		got, err := f.s.Users().GetUser(f.ctx, org.ID, want.ID)
		must(t, "GetUser after UpdateUsers", err)
		diff(t, "updated "+want.UserName, want, got)
	}
	if u, err := f.s.Users().FindUserByUserName(f.ctx, org.ID, "BEE@batch.example"); err != nil || u.ID != b.ID {
		t.Errorf("the renamed user is not found by its new name: %v", err)
	}

	// One stale version fails the batch, and nothing of it is written.
	fresh, stale := na.Clone(), b.Clone()
	fresh.Title, stale.Title = "Lead", "Stale"
	wantStale(t, "UpdateUsers(one stale)", bs.UpdateUsers(f.ctx, []*directory.User{fresh, stale}, when))
	got1, err := f.s.Users().GetUser(f.ctx, org.ID, a.ID)
	must(t, "GetUser", err)
	if got1.Title != "Analyst" {
		t.Errorf("a failed batch wrote title %q", got1.Title)
	}
	clash := na.Clone()
	clash.UserName = strings.ToUpper(nb.UserName)
	wantCode(t, "UpdateUsers(a userName taken in the organization)", bs.UpdateUsers(f.ctx, []*directory.User{clash}, when), directory.CodeConflict, "userName")

	live, err := bs.LiveUserIDs(f.ctx, org.ID, []string{deleted.ID, b.ID, foreign.ID, a.ID, b.ID})
	must(t, "LiveUserIDs", err)
	diff(t, "LiveUserIDs", []string{b.ID, a.ID}, live)

	g := f.group(org, "Team")
	f.addMembers(g, b, a)
	members, err := bs.GroupMemberIDs(f.ctx, org.ID, g.ID)
	must(t, "GroupMemberIDs", err)
	want := []string{a.ID, b.ID}
	if b.ID < a.ID {
		want = []string{b.ID, a.ID}
	}
	diff(t, "GroupMemberIDs", want, members)
	members, err = bs.GroupMemberIDs(f.ctx, other.ID, g.ID)
	must(t, "GroupMemberIDs through another organization", err)
	if len(members) != 0 {
		t.Errorf("another organization sees %d members", len(members))
	}
}
