package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func (f *fixture) audit(org *directory.Org, at time.Duration, actor, action, kind, target string) *directory.AuditEvent {
	f.t.Helper()
	e := &directory.AuditEvent{
		ID: newID(), OrgID: org.ID, Time: f.at(at),
		ActorKind: directory.ActorAdmin, ActorID: actor, ActorName: "Admin " + actor,
		Action: action, TargetKind: kind, TargetID: target,
	}
	must(f.t, "AppendAudit", f.s.Audit().AppendAudit(f.ctx, e))
	return e
}

func testAudit(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	full := &directory.AuditEvent{
		ID: newID(), OrgID: a.ID, Time: f.base,
		ActorKind: directory.ActorToken, ActorID: "tok-1", ActorName: "Entra",
		Action: "user.update", TargetKind: "user", TargetID: "u-1",
		Changes: map[string]directory.Change{
			"title":   {Before: "Engineer", After: "Manager"},
			"active":  {Before: true, After: false},
			"version": {Before: 1.0, After: 2.0},
			"emails":  {After: []any{map[string]any{"value": "x@example.com"}}},
		},
	}
	ctx := directory.WithRequestID(f.ctx, "req-42")
	must(t, "AppendAudit", f.s.Audit().AppendAudit(ctx, full))
	if full.RequestID != "req-42" || !full.Time.Equal(micro(f.base)) {
		t.Errorf("AppendAudit left RequestID = %q, Time = %v", full.RequestID, full.Time)
	}

	e1 := f.audit(a, time.Minute, "admin-1", "user.create", "user", "u-2")
	e2 := f.audit(a, 2*time.Minute, "admin-2", "user.status", "user", "u-1")
	e3 := f.audit(a, 2*time.Minute, "admin-1", "group.members.add", "group", "g-1")
	e4 := f.audit(a, 3*time.Minute, "admin-2", "users.import", "org", a.ID)
	e5 := f.audit(a, 4*time.Minute, "admin-1", "user", "user", "u-1")
	f.audit(b, time.Minute, "admin-1", "user.create", "user", "u-1")

	// Newest first; equal times newest id first.
	for _, tc := range []struct {
		name string
		q    directory.AuditQuery
		want []*directory.AuditEvent
	}{
		{"everything", directory.AuditQuery{}, []*directory.AuditEvent{e5, e4, e3, e2, e1, full}},
		{"by actor", directory.AuditQuery{ActorID: "admin-1"}, []*directory.AuditEvent{e5, e3, e1}},
		{"by exact action", directory.AuditQuery{Action: "user.status"}, []*directory.AuditEvent{e2}},
		{"by action family", directory.AuditQuery{Action: "user."}, []*directory.AuditEvent{e2, e1, full}},
		{"by target kind", directory.AuditQuery{TargetKind: "group"}, []*directory.AuditEvent{e3}},
		{"by target", directory.AuditQuery{TargetKind: "user", TargetID: "u-1"}, []*directory.AuditEvent{e5, e2, full}},
		{"from, inclusive", directory.AuditQuery{From: f.at(2 * time.Minute)}, []*directory.AuditEvent{e5, e4, e3, e2}},
		{"to, exclusive", directory.AuditQuery{To: f.at(2 * time.Minute)}, []*directory.AuditEvent{e1, full}},
		{"between", directory.AuditQuery{From: f.at(time.Minute), To: f.at(3 * time.Minute), ActorID: "admin-1"}, []*directory.AuditEvent{e3, e1}},
		{"nothing", directory.AuditQuery{ActorID: "nobody"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.s.Audit().ListAudit(f.ctx, a.ID, tc.q)
			must(t, "ListAudit", err)
			diff(t, "events", tc.want, page.Events)
			if page.Next != "" {
				t.Errorf("Next = %q on the only page", page.Next)
			}
		})
	}

	page, err := f.s.Audit().ListAudit(f.ctx, b.ID, directory.AuditQuery{})
	must(t, "ListAudit", err)
	if len(page.Events) != 1 {
		t.Errorf("another organization's audit log holds %d events, want 1", len(page.Events))
	}
	_, err = f.s.Audit().ListAudit(f.ctx, a.ID, directory.AuditQuery{After: "nope"})
	wantCode(t, "ListAudit after a bad cursor", err, directory.CodeInvalid, "cursor")
}

func testAuditPaging(t *testing.T, f *fixture) {
	org := f.org("a")
	var want []*directory.AuditEvent
	for i := range 23 {
		// Times repeat, so that pages must break ties by id.
		want = append(want, f.audit(org, time.Duration(i/3)*time.Second, fmt.Sprintf("admin-%d", i%2), "user.update", "user", "u"))
	}
	// Newest first: reverse time, then reverse id (ids are time-ordered).
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	for _, limit := range []int{1, 5, 23} {
		var got []*directory.AuditEvent
		q := directory.AuditQuery{Limit: limit}
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatal("audit paging does not end")
			}
			page, err := f.s.Audit().ListAudit(f.ctx, org.ID, q)
			must(t, "ListAudit", err)
			if len(page.Events) > limit {
				t.Fatalf("a page of %d holds %d events", limit, len(page.Events))
			}
			got = append(got, page.Events...)
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		diff(t, fmt.Sprintf("events paged %d at a time", limit), want, got)
	}

	// Filters hold across pages.
	var got []*directory.AuditEvent
	q := directory.AuditQuery{Limit: 4, ActorID: "admin-0"}
	for {
		page, err := f.s.Audit().ListAudit(f.ctx, org.ID, q)
		must(t, "ListAudit", err)
		got = append(got, page.Events...)
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	var wantActor []*directory.AuditEvent
	for _, e := range want {
		if e.ActorID == "admin-0" {
			wantActor = append(wantActor, e)
		}
	}
	diff(t, "one actor's events, paged", wantActor, got)
}
