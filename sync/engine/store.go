package engine

import (
	"context"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// StoreTarget is the Target of real runs: Roster's store, through the
// directory service, which applies the status rules and writes each change
// with its audit event.
type StoreTarget struct {
	dir *directory.Service
}

var _ Target = (*StoreTarget)(nil)

// NewStoreTarget returns a target writing through dir.
func NewStoreTarget(dir *directory.Service) *StoreTarget { return &StoreTarget{dir: dir} }

// memberChunk bounds the members one ChangeMembers transaction (and its
// audit event) adds or removes, so that a first run over a group of
// 100,000 writes readable events and no giant transaction.
const memberChunk = 1000

// UserLinks implements Target.
func (t *StoreTarget) UserLinks(ctx context.Context, run RunScope, fn func(UserLink) error) error {
	return t.dir.ListSyncUserLinks(ctx, run.OrgID, run.ConnectorID, func(l *directory.SyncLink) error {
		return fn(UserLink{Ref: l.Ref, UserID: l.ObjectID, MemberKey: l.MemberKey, Hash: l.Hash,
			Status: l.Status, SetBy: l.StatusSetBy, Role: l.Role})
	})
}

// GroupLinks implements Target.
func (t *StoreTarget) GroupLinks(ctx context.Context, run RunScope, fn func(GroupLink) error) error {
	links, err := t.dir.ListSyncGroupLinks(ctx, run.OrgID, run.ConnectorID)
	if err != nil {
		return err
	}
	for _, l := range links {
		if err := fn(GroupLink{Ref: l.Ref, GroupID: l.ObjectID, MemberKey: l.MemberKey, Name: l.Name}); err != nil {
			return err
		}
	}
	return nil
}

// ApplyUsers implements Target.
func (t *StoreTarget) ApplyUsers(ctx context.Context, run RunScope, changes []UserChange) ([]ChangeResult, error) {
	in := make([]directory.SyncUserChange, len(changes))
	for i, c := range changes {
		d := directory.SyncUserChange{Action: directory.SyncAction(c.Op), Ref: c.Ref, UserID: c.UserID,
			MemberKey: c.MemberKey, Hash: c.Hash, Role: c.Role, Reason: c.Reason}
		if strings.HasPrefix(d.UserID, "new:") {
			// Created earlier in this batch: the service finds it by ref.
			d.UserID = ""
		}
		if c.Record != nil {
			d.Active = c.Record.Active
			d.Attrs = c.Record.Attrs
		}
		in[i] = d
	}
	results, err := t.dir.ApplySyncUsers(ctx, t.scope(run), in)
	if err != nil {
		return nil, err
	}
	out := make([]ChangeResult, len(results))
	for i, r := range results {
		out[i] = ChangeResult{UserID: r.UserID, Op: Op(r.Action), Changed: r.Changed}
		if r.Err != nil {
			out[i].Op, out[i].Message = failureOp(r.Err), directory.ErrorMessage(r.Err)
		}
	}
	return out, nil
}

// ApplyGroup implements Target.
func (t *StoreTarget) ApplyGroup(ctx context.Context, run RunScope, g GroupChange) (string, error) {
	return t.dir.ApplySyncGroup(ctx, t.scope(run), directory.SyncGroupChange{
		Ref: g.Ref, GroupID: g.GroupID, Name: g.Name, MemberKey: g.MemberKey})
}

// GroupMembers implements Target.
func (t *StoreTarget) GroupMembers(ctx context.Context, orgID, groupID string) ([]string, error) {
	return t.dir.SyncGroupMembers(ctx, orgID, groupID)
}

// ChangeMembers implements Target, memberChunk members per transaction.
func (t *StoreTarget) ChangeMembers(ctx context.Context, run RunScope, groupID string, add, remove []string) error {
	scope := t.scope(run)
	for len(add) > 0 || len(remove) > 0 {
		a, r := add[:min(len(add), memberChunk)], remove[:min(len(remove), memberChunk)]
		add, remove = add[len(a):], remove[len(r):]
		if err := t.dir.ChangeSyncMembers(ctx, scope, groupID, a, r); err != nil {
			return err
		}
	}
	return nil
}

// DeleteGroup implements Target.
func (t *StoreTarget) DeleteGroup(ctx context.Context, run RunScope, groupID, ref string) error {
	return t.dir.DeleteSyncGroup(ctx, t.scope(run), groupID, ref)
}

func (t *StoreTarget) scope(run RunScope) directory.SyncScope {
	return directory.SyncScope{OrgID: run.OrgID, ConnectorID: run.ConnectorID, Actor: run.Actor, Fields: run.Fields}
}
