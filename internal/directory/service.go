package directory

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Service carries out Roster's use cases. Each change runs in one store
// transaction together with its audit event, so that the log never misses a
// change nor records one that did not happen.
type Service struct {
	store Store
	now   func() time.Time
	// users remembers users recently read or written (see userCache).
	users *userCache
	// resolver answers DNS verification of domains (see UseResolver).
	resolver TXTResolver
	// stats refreshes the planner statistics after bulk writes.
	stats statistics
}

// NewService returns a service over store. now is the clock (time.Now in
// production; tests pass a fixed one).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, now: now, users: newUserCache(userCacheSize)}
	s.UseAnalyzeAfter(DefaultAnalyzeAfter)
	return s
}

// Now returns the service clock's current time, in UTC, truncated to the
// microsecond that both stores keep.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewID returns a new time-ordered identifier (UUIDv7), so that listing by id
// is listing by creation.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// maxStaleRetries bounds the read-modify-write retries of an update that
// did not pin a version and lost a race.
const maxStaleRetries = 8

// retryStale runs fn again while it fails with ErrStale and the caller did
// not pin a version (a pinned version that is stale is the caller's
// precondition failing, reported as such).
func retryStale(pinned bool, fn func() error) error {
	var err error
	for range maxStaleRetries {
		err = fn()
		if pinned || !errors.Is(err, ErrStale) {
			return err
		}
	}
	return err
}

func (s *Service) audit(ctx context.Context, r Repos, actor Actor, orgID, action, targetKind, targetID string, changes map[string]Change) error {
	return r.Audit().AppendAudit(ctx, &AuditEvent{
		ID:         NewID(),
		OrgID:      orgID,
		Time:       s.Now(),
		ActorKind:  actor.Kind,
		ActorID:    actor.ID,
		ActorName:  actor.Name,
		Action:     action,
		TargetKind: targetKind,
		TargetID:   targetID,
		Changes:    changes,
		RequestID:  RequestID(ctx),
	})
}

// ListAudit reads an organization's audit log.
func (s *Service) ListAudit(ctx context.Context, orgID string, q AuditQuery) (*AuditPage, error) {
	q.Limit = ClampLimit(q.Limit)
	return s.store.Audit().ListAudit(ctx, orgID, q)
}
