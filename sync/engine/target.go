package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Target is the engine's view of Roster's side: what the connector already
// manages (its links) and the writes a plan turns into, in the
// directory's own terms. *directory.Service is the Target of real runs: it
// applies the status rules and writes each change with its audit event,
// each call in one transaction.
type Target interface {
	// ListSyncUserLinks calls fn with each user link of the connector,
	// with the linked user's status and role.
	ListSyncUserLinks(ctx context.Context, orgID, connectorID string, fn func(*directory.SyncLink) error) error
	// ListSyncUserLinkRefs calls fn with the ref of each user link of the
	// connector, and nothing else of it.
	ListSyncUserLinkRefs(ctx context.Context, orgID, connectorID string, fn func(ref string) error) error
	// SyncUserLinks reads the user links of refs (those that exist), as
	// ListSyncUserLinks does.
	SyncUserLinks(ctx context.Context, orgID, connectorID string, refs []string) ([]*directory.SyncLink, error)
	// ListSyncGroupLinks lists the connector's group links.
	ListSyncGroupLinks(ctx context.Context, orgID, connectorID string) ([]*directory.SyncLink, error)
	// ApplySyncUsers applies a batch of user changes in one transaction.
	// A change that breaks a rule (a userName owned by another user, an
	// invalid attribute) is reported in its result and skipped; an error
	// means nothing was applied. The engine calls it concurrently for
	// distinct users (see NewEngine); the other methods are never called
	// while batches are in flight.
	ApplySyncUsers(ctx context.Context, scope directory.SyncScope, changes []directory.SyncUserChange) ([]directory.SyncUserResult, error)
	// ApplySyncGroup creates or renames a group and links it, returning
	// its id.
	ApplySyncGroup(ctx context.Context, scope directory.SyncScope, c directory.SyncGroupChange) (string, error)
	// SyncGroupMembers lists the ids of a group's members.
	SyncGroupMembers(ctx context.Context, orgID, groupID string) ([]string, error)
	// ChangeSyncMembers adds and removes members of a group in one
	// transaction.
	ChangeSyncMembers(ctx context.Context, scope directory.SyncScope, groupID string, add, remove []string) error
	// DeleteSyncGroup removes a group the connector created, and its link.
	DeleteSyncGroup(ctx context.Context, scope directory.SyncScope, groupID, ref string) error
	// SyncUserFieldsSet says, for each user among ids, which of fields
	// hold a value, so that a plan knows what its updates would blank.
	SyncUserFieldsSet(ctx context.Context, orgID string, ids []string, fields []directory.Attr) (map[string][]directory.Attr, error)
	// SyncUserDrift says, for updates of users the directory did not
	// change (at most directory.MaxSyncBatch), which of the scope's
	// fields differ in Roster: what someone changed there since, which
	// the update puts back. With settle (real runs), the links of the
	// users found unchanged record the version compared.
	SyncUserDrift(ctx context.Context, scope directory.SyncScope, changes []directory.SyncUserChange, settle bool) (map[string][]directory.Attr, error)
}

var _ Target = (*directory.Service)(nil)

// Directory is what the Runner needs of the directory service: the
// connectors' configuration, their runs and leases, and the Target its
// runs write through. *directory.Service is one.
type Directory interface {
	Target
	Now() time.Time
	GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error)

	CreateConnector(ctx context.Context, actor directory.Actor, orgID string, in *directory.Connector) (*directory.Connector, error)
	GetConnector(ctx context.Context, orgID, id string) (*directory.Connector, error)
	FindConnector(ctx context.Context, orgID, idOrName string) (*directory.Connector, error)
	ListConnectors(ctx context.Context, orgID string) ([]*directory.Connector, error)
	ListScheduledConnectors(ctx context.Context) ([]*directory.Connector, error)
	UpdateConnector(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.Connector) error) (*directory.Connector, error)
	DeleteConnector(ctx context.Context, actor directory.Actor, orgID, id string) error

	StartSyncRun(ctx context.Context, actor directory.Actor, run *directory.SyncRun, until time.Time) error
	RenewSyncLease(ctx context.Context, orgID, connectorID, runID string, until time.Time) (bool, error)
	FinishSyncRun(ctx context.Context, run *directory.SyncRun, cursor *string) error
	SaveSyncRunProgress(ctx context.Context, orgID, runID string, progress json.RawMessage) error
	GetSyncRun(ctx context.Context, orgID, id string) (*directory.SyncRun, error)
	ListSyncRuns(ctx context.Context, orgID, connectorID, before string, limit int) ([]*directory.SyncRun, error)
	RejectSyncRun(ctx context.Context, actor directory.Actor, orgID, id string) (*directory.SyncRun, error)
}

var _ Directory = (*directory.Service)(nil)

// memberChunk bounds the members one ChangeSyncMembers transaction (and
// its audit event) adds or removes, so that a first run over a group of
// 100,000 writes readable events and no giant transaction.
const memberChunk = 1000

// changeMembers changes a group's members, memberChunk per transaction.
func changeMembers(ctx context.Context, target Target, scope directory.SyncScope, groupID string, add, remove []string) error {
	for len(add) > 0 || len(remove) > 0 {
		a, r := add[:min(len(add), memberChunk)], remove[:min(len(remove), memberChunk)]
		add, remove = add[len(a):], remove[len(r):]
		if err := target.ChangeSyncMembers(ctx, scope, groupID, a, r); err != nil {
			return err
		}
	}
	return nil
}

// outcome says what became of a change, as the run counts it, and why it
// failed.
func outcome(res directory.SyncUserResult) (directory.SyncAction, string) {
	switch {
	case res.Action == directory.SyncError:
		return directory.SyncError, directory.ErrorMessage(res.Err)
	case res.Err != nil:
		return failureOp(res.Err), directory.ErrorMessage(res.Err)
	}
	return res.Action, ""
}
