package storetest

import (
	"errors"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func testTransactions(t *testing.T, f *fixture) {
	org := f.org("acme")

	committed := f.newUser(org, "committed@acme.example")
	err := f.s.InTx(f.ctx, func(r directory.Repos) error {
		if err := r.Users().CreateUser(f.ctx, committed); err != nil {
			return err
		}
		// The transaction reads its own writes.
		if _, err := r.Users().GetUser(f.ctx, org.ID, committed.ID); err != nil {
			return err
		}
		return r.Audit().AppendAudit(f.ctx, &directory.AuditEvent{
			OrgID: org.ID, Time: f.base, ActorKind: directory.ActorSystem, Action: "user.create",
			TargetKind: "user", TargetID: committed.ID,
		})
	})
	must(t, "InTx", err)
	got, err := f.s.Users().GetUser(f.ctx, org.ID, committed.ID)
	must(t, "GetUser after commit", err)
	diff(t, "committed user", committed, got)
	page, err := f.s.Audit().ListAudit(f.ctx, org.ID, directory.AuditQuery{TargetID: committed.ID})
	must(t, "ListAudit after commit", err)
	if len(page.Events) != 1 {
		t.Errorf("the committed audit event is missing")
	}

	boom := errors.New("boom")
	rolledBack := f.newUser(org, "rolled.back@acme.example")
	g := f.group(org, "Team")
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		if err := r.Users().CreateUser(f.ctx, rolledBack); err != nil {
			return err
		}
		if _, err := r.Groups().AddMembers(f.ctx, org.ID, g.ID, []string{rolledBack.ID, committed.ID}); err != nil {
			return err
		}
		if _, err := r.Groups().TouchGroup(f.ctx, org.ID, g.ID, f.base); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the error of fn", err)
	}
	_, err = f.s.Users().GetUser(f.ctx, org.ID, rolledBack.ID)
	wantCode(t, "GetUser after rollback", err, directory.CodeNotFound, "")
	members, err := f.s.Groups().ListMembers(f.ctx, org.ID, g.ID, "", 10)
	must(t, "ListMembers after rollback", err)
	if len(members.Members) != 0 {
		t.Errorf("rolled-back members remain: %v", members.Members)
	}
	after, err := f.s.Groups().GetGroup(f.ctx, org.ID, g.ID)
	must(t, "GetGroup after rollback", err)
	diff(t, "group after rollback", g, after)

	// A domain error inside a transaction comes out as it went in.
	err = f.s.InTx(f.ctx, func(r directory.Repos) error {
		return r.Users().CreateUser(f.ctx, f.newUser(org, "COMMITTED@acme.example"))
	})
	wantCode(t, "InTx with a conflict", err, directory.CodeConflict, "userName")
}
