package directory

import (
	"context"
	"time"
)

// JobRepos gathers the stores of bulk and scheduled work: many users
// written at once by an import, the inactivity pass, the scheduler's
// ledger, and the record of committed imports.
type JobRepos interface {
	Bulk() BulkUserStore
	Jobs() JobStore
	ImportRuns() ImportRunStore
}

// BulkUserStore reads and writes many users with a few statements, so that
// an import of 100,000 rows is not 100,000 round trips.
type BulkUserStore interface {
	// FindUsersByUserNames looks userNames up in an organization,
	// regardless of case, among its users deleted or not (a deleted user
	// does not hold its userName, but an import or a directory may want to
	// know it); names not found are left out.
	FindUsersByUserNames(ctx context.Context, orgID string, userNames []string) ([]*User, error)
	// CreateUsers inserts users as CreateUser does. A userName taken, by
	// a stored user or another of users, is CodeConflict with Field
	// "userName"; the statement then fails as a whole, so run it in a
	// transaction.
	CreateUsers(ctx context.Context, users []*User) error
	// AppendAuditEvents appends events as AppendAudit does.
	AppendAuditEvents(ctx context.Context, events []*AuditEvent) error
}

// InactivityMark is one inactivity pass over the users of one status in
// an organization.
type InactivityMark struct {
	OrgID string
	// From is the status of the users marked: StatusActive ("" too), or
	// StatusPending, whose users are marked only when they hold no live
	// invitation: no LinkPasswordSet link unused and expiring after Now.
	From Status
	// Before: a user whose last activity (its last login, else when it
	// became active, else its creation) is earlier is marked.
	Before time.Time
	// Now is the time the pass runs as of, which tells live invitations
	// from expired ones (zero: At).
	Now time.Time
	// At stamps the status change and the users' UpdatedAt.
	At      time.Time
	Reason  string
	SetBy   Authority
	SetByID string
	// Event is the audit event written for each user marked; its ID,
	// TargetKind and TargetID are set per user.
	Event AuditEvent
}

// JobStore serves the scheduled jobs.
type JobStore interface {
	// MarkInactive marks inactive, in one statement, every user m
	// selects, writes its audit event, and returns how many it marked.
	// A From other than active or pending is CodeInvalid.
	MarkInactive(ctx context.Context, m InactivityMark) (int, error)
	// ClaimInactivityWarnings records as warned at `at`, and returns the
	// ids of, the organization's active users whose last activity is in
	// [from, until) and who were not warned about that activity yet.
	ClaimInactivityWarnings(ctx context.Context, orgID string, from, until, at time.Time) ([]string, error)
	// ReleaseInactivityWarning forgets a user's warning, so that it is
	// claimed again.
	ReleaseInactivityWarning(ctx context.Context, orgID, userID string) error
	// ClaimJobTick records that runner starts job's run for tick, unless a
	// run for that tick or a later one was claimed already (false).
	ClaimJobTick(ctx context.Context, job string, tick time.Time, runner string, at time.Time) (bool, error)
	// ReclaimJobTick hands runner the run claimed for tick when that run
	// never finished: its claimant is gone. The caller must hold the job's
	// lock, which the claimant held for as long as it lived.
	ReclaimJobTick(ctx context.Context, job string, tick time.Time, runner string, at time.Time) (bool, error)
	// SnapshotUsage writes the usage of every organization for day
	// (YYYY-MM-DD), replacing that of an earlier snapshot of that day: the
	// counts of users by status, role and source, and each service's
	// seats. The counts are kept on write; the snapshot folds in the
	// writes since the previous one, unless recount asks (or the store
	// finds it due) to count every user again.
	SnapshotUsage(ctx context.Context, day string, recount bool) (UsageSnapshot, error)
	// UsageSeries reads the organization's usage counts from day from to
	// day to, both included, ordered by day.
	UsageSeries(ctx context.Context, orgID, from, to string) ([]UsageRow, error)
	// UsageServiceSeries reads the organization's seats per service from
	// day from to day to, both included, ordered by day and key.
	UsageServiceSeries(ctx context.Context, orgID, from, to string) ([]UsageServiceRow, error)
	// FinishJobTick records the end of the run claimed for tick.
	FinishJobTick(ctx context.Context, job string, tick, at time.Time, errText string) error
	// BeatReplica records that replica id is alive at `at`, forgets the
	// replicas not seen since staleBefore, and counts the live ones (id
	// included).
	BeatReplica(ctx context.Context, id string, at, staleBefore time.Time) (int, error)
	// LeaveReplica forgets replica id, which is shutting down.
	LeaveReplica(ctx context.Context, id string) error
}

// ImportRun is a committed bulk import, kept for its report.
type ImportRun struct {
	ID        string
	OrgID     string
	ActorKind ActorKind
	ActorID   string
	ActorName string
	FileName  string
	Mode      string
	StartedAt time.Time
	// FinishedAt is when the commit ended.
	FinishedAt time.Time
	// Status is ImportRunning while the commit runs, ImportCommitted once
	// it applied the whole file, ImportAbandoned when it applied nothing.
	Status ImportRunStatus
	// Summary is the importer's summary as JSON (which a store may
	// reformat); Report its per-row report, a gzip-compressed CSV, kept
	// byte for byte.
	Summary []byte
	Report  []byte
}

// ImportRunStatus says whether an import applied its file: all of it or
// nothing, never part.
type ImportRunStatus string

// Import run statuses.
const (
	ImportRunning   ImportRunStatus = "running"
	ImportCommitted ImportRunStatus = "committed"
	// ImportAbandoned is a commit that failed, or that a process left
	// running when it died: nothing of its file was applied.
	ImportAbandoned ImportRunStatus = "failed"
)

// ImportRunStore keeps imports and their reports.
type ImportRunStore interface {
	CreateImportRun(ctx context.Context, run *ImportRun) error
	// UpdateImportRun sets the status, end, summary and report of the
	// organization's run id, if its status is from; it reports whether
	// it did. In a transaction, the run stays locked until it ends.
	UpdateImportRun(ctx context.Context, run *ImportRun, from ImportRunStatus) (bool, error)
	// AbandonImportRuns marks failed the organization's running runs that
	// no transaction holds, and returns how many. A store that cannot tell
	// waits for the transactions that hold them.
	AbandonImportRuns(ctx context.Context, orgID string, at time.Time) (int, error)
	// GetImportRun returns a run of the organization; another
	// organization's id is CodeNotFound.
	GetImportRun(ctx context.Context, orgID, id string) (*ImportRun, error)
	// DeleteImportRunsBefore removes the organization's runs that started
	// before t and returns how many.
	DeleteImportRunsBefore(ctx context.Context, orgID string, t time.Time) (int, error)
}
