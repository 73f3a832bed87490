package engine

import (
	"context"

	"github.com/roster/roster/internal/directory"
)

// Target is the engine's view of Roster's side: what the connector already
// manages (its links) and the writes a plan turns into. Each Apply call is
// one transaction that writes its audit events with the changes.
type Target interface {
	// UserLinks pages through the users the connector manages.
	UserLinks(ctx context.Context, run RunScope, fn func(UserLink) error) error
	// GroupLinks pages through the groups the connector manages.
	GroupLinks(ctx context.Context, run RunScope, fn func(GroupLink) error) error
	// ApplyUsers applies a batch of user changes in one transaction. A
	// change that breaks a rule (a userName owned by another user, an
	// invalid attribute) is reported in its result and skipped; an error
	// means nothing was applied. The engine calls it concurrently for
	// distinct users (see NewEngine); the other methods are never called
	// while batches are in flight.
	ApplyUsers(ctx context.Context, run RunScope, changes []UserChange) ([]ChangeResult, error)
	// ApplyGroup creates or renames a group and links it, returning its id.
	ApplyGroup(ctx context.Context, run RunScope, g GroupChange) (string, error)
	// GroupMembers lists the ids of a group's members.
	GroupMembers(ctx context.Context, orgID, groupID string) ([]string, error)
	// ChangeMembers adds and removes members of a group.
	ChangeMembers(ctx context.Context, run RunScope, groupID string, add, remove []string) error
	// DeleteGroup removes a group the connector created, and its link.
	DeleteGroup(ctx context.Context, run RunScope, groupID, ref string) error
}

// RunScope says on whose behalf a batch is written.
type RunScope struct {
	OrgID       string
	ConnectorID string
	Source      directory.Source // ldap or entra
	Actor       directory.Actor
	// Fields are the user fields the connector's mapping feeds: an update
	// clears those its record leaves out, and leaves the others alone.
	Fields []directory.Attr
}

// UserLink is what Roster knows of a user the connector manages.
type UserLink struct {
	Ref       string
	UserID    string
	MemberKey string
	Hash      string
	Status    directory.Status
	SetBy     directory.Authority
	Role      directory.Role
}

// GroupLink is what Roster knows of a group the connector manages.
type GroupLink struct {
	Ref       string
	GroupID   string
	MemberKey string
	Name      string
}

// Op is one kind of planned change.
type Op string

// Plan operations. Counts in run history are keyed by them.
const (
	OpCreate       Op = "create"
	OpUpdate       Op = "update"
	OpSuspend      Op = "suspend"
	OpReactivate   Op = "reactivate"
	OpDelete       Op = "delete"
	OpRestore      Op = "restore"
	OpRole         Op = "role"
	OpGroupCreate  Op = "group_create"
	OpGroupUpdate  Op = "group_update"
	OpGroupDelete  Op = "group_delete"
	OpMemberAdd    Op = "member_add"
	OpMemberRemove Op = "member_remove"
	OpConflict     Op = "conflict"
	OpError        Op = "error"
)

// UserChange is one planned change to a user.
type UserChange struct {
	Op  Op
	Ref string
	// UserID is set for existing users.
	UserID string
	// Record is the directory's view, for create and update.
	Record *UserRecord
	Hash   string
	// MemberKey is what group member lists call the user; it is kept
	// with the link through a deprovision.
	MemberKey string
	// Role is the role to set (OpRole), or the role of a new user.
	Role directory.Role
	// Reason is recorded with a status change.
	Reason string
}

// ChangeResult is the outcome of one UserChange.
type ChangeResult struct {
	UserID string
	// Op is what happened: the change's Op, OpConflict when another owner
	// holds the userName, or OpError.
	Op      Op
	Message string
	// Changed is false when the change turned out to change nothing (a
	// status the directory may not lift, say).
	Changed bool
}

// GroupChange creates or renames a group.
type GroupChange struct {
	Ref       string
	GroupID   string // empty to create
	Name      string
	MemberKey string
}
