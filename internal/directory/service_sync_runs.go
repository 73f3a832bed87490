package directory

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// StartSyncRun records run as running and gives it the connector's lease
// until `until`: one run per connector at a time, across replicas. Another
// run holding the lease is CodeConflict. Runs left running by a process
// that stopped (their lease expired) are marked failed. When
// run.ApprovalOf names a held run, actor approves it in the same
// transaction; a run that is not held is CodeConflict.
func (s *Service) StartSyncRun(ctx context.Context, actor Actor, run *SyncRun, until time.Time) error {
	if run.ID == "" {
		run.ID = NewID()
	}
	if !run.Trigger.Valid() {
		return FieldErrorf(CodeInvalid, "trigger", "trigger %q is not one of manual, schedule, cli, approval", run.Trigger)
	}
	now := s.Now()
	run.Status, run.StartedAt, run.EndedAt = RunRunning, now, nil
	return s.store.InTx(ctx, func(r Repos) error {
		if err := r.Connectors().TakeLease(ctx, run.OrgID, run.ConnectorID, run.ID, now, until); err != nil {
			return err
		}
		if err := r.SyncRuns().CreateRun(ctx, run); err != nil {
			return err
		}
		if _, err := r.SyncRuns().AbandonRuns(ctx, run.OrgID, run.ConnectorID, run.ID, now,
			"abandoned: the process running it stopped before it ended"); err != nil {
			return err
		}
		if run.ApprovalOf == "" {
			return nil
		}
		held, err := r.SyncRuns().GetRun(ctx, run.OrgID, run.ApprovalOf)
		if err != nil {
			return err
		}
		if held.ConnectorID != run.ConnectorID {
			return Errorf(CodeInvalid, "run %s belongs to another connector", held.ID)
		}
		if _, err := r.SyncRuns().DecideRun(ctx, run.OrgID, held.ID, RunApproved, describeActor(actor), now); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, run.OrgID, "sync.run.approve", "sync_run", held.ID,
			map[string]Change{"status": {Before: RunHeld, After: RunApproved}, "appliedBy": {After: run.ID}})
	})
}

// RenewSyncLease extends a running run's lease and reports false if the run
// lost it (it outlived the lease and another run took the connector).
func (s *Service) RenewSyncLease(ctx context.Context, orgID, connectorID, runID string, until time.Time) (bool, error) {
	return s.store.Connectors().RenewLease(ctx, orgID, connectorID, runID, until)
}

// FinishSyncRun records a run's outcome and frees its connector; cursor,
// when not nil, becomes the connector's cursor in the same transaction,
// and a full run that saves its cursor marks the connector reconciled. A
// run that lost its lease is recorded as failed and its cursor dropped:
// another run has the connector now.
func (s *Service) FinishSyncRun(ctx context.Context, run *SyncRun, cursor *string) error {
	now := s.Now()
	run.EndedAt = &now
	return s.store.InTx(ctx, func(r Repos) error {
		var reconciled *time.Time
		if cursor != nil && run.Full {
			reconciled = &now
		}
		held, err := r.Connectors().ReleaseLease(ctx, run.OrgID, run.ConnectorID, run.ID, cursor, reconciled)
		if err != nil {
			return err
		}
		if !held {
			run.Status = RunFailed
			run.Message = strings.TrimSpace("the run outlived its lease on the connector and another run took it; nothing after that was kept. " + run.Message)
		}
		err = r.SyncRuns().FinishRun(ctx, run)
		if !held && IsCode(err, CodeConflict) {
			// The run that took over marked this one abandoned already.
			return nil
		}
		return err
	})
}

// SaveSyncRunProgress writes how far a running run got (the sync engine's
// progress document), for every replica's API to show; it is not audited:
// the run's start and end are.
func (s *Service) SaveSyncRunProgress(ctx context.Context, orgID, runID string, progress json.RawMessage) error {
	return s.store.SyncRuns().SaveProgress(ctx, orgID, runID, progress)
}

// GetSyncRun returns a run of the organization, with its plan.
func (s *Service) GetSyncRun(ctx context.Context, orgID, id string) (*SyncRun, error) {
	return s.store.SyncRuns().GetRun(ctx, orgID, id)
}

// ListSyncRuns lists a connector's runs newest first, before the run id
// `before` when it is not "" (the last id of the previous page).
func (s *Service) ListSyncRuns(ctx context.Context, orgID, connectorID, before string, limit int) ([]*SyncRun, error) {
	if _, err := s.store.Connectors().GetConnector(ctx, orgID, connectorID); err != nil {
		return nil, err
	}
	return s.store.SyncRuns().ListRuns(ctx, orgID, connectorID, before, ClampLimit(limit))
}

// RejectSyncRun rejects a held run: its deprovisions are dropped, and the
// next run plans them again (and holds them again while they pass the
// threshold).
func (s *Service) RejectSyncRun(ctx context.Context, actor Actor, orgID, id string) (*SyncRun, error) {
	var out *SyncRun
	err := s.store.InTx(ctx, func(r Repos) error {
		var err error
		if out, err = r.SyncRuns().DecideRun(ctx, orgID, id, RunRejected, describeActor(actor), s.Now()); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "sync.run.reject", "sync_run", id,
			map[string]Change{"status": {Before: RunHeld, After: RunRejected}})
	})
	return out, err
}

// ListSyncUserLinks calls fn with each of a connector's user links.
func (s *Service) ListSyncUserLinks(ctx context.Context, orgID, connectorID string, fn func(*SyncLink) error) error {
	return s.store.SyncLinks().ListUserLinks(ctx, orgID, connectorID, fn)
}

// ListSyncUserLinkRefs calls fn with the ref of each of a connector's
// user links.
func (s *Service) ListSyncUserLinkRefs(ctx context.Context, orgID, connectorID string, fn func(ref string) error) error {
	return s.store.SyncLinks().ListUserLinkRefs(ctx, orgID, connectorID, fn)
}

// SyncUserLinks reads the user links of refs, those that exist.
func (s *Service) SyncUserLinks(ctx context.Context, orgID, connectorID string, refs []string) ([]*SyncLink, error) {
	return s.store.SyncLinks().UserLinks(ctx, orgID, connectorID, refs)
}

// ListSyncGroupLinks lists a connector's group links.
func (s *Service) ListSyncGroupLinks(ctx context.Context, orgID, connectorID string) ([]*SyncLink, error) {
	return s.store.SyncLinks().ListGroupLinks(ctx, orgID, connectorID)
}

// SyncGroupMembers lists the user ids of a group's members.
func (s *Service) SyncGroupMembers(ctx context.Context, orgID, groupID string) ([]string, error) {
	return s.store.SyncBatches().GroupMemberIDs(ctx, orgID, groupID)
}
