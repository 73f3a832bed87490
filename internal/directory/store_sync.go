package directory

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// ConnectorKind names the kind of directory a connector reads ("ldap",
// "ad", "entra" …). The kinds are the sync engine's: it checks that a
// connector's kind is one it has, and says which Source the kind's users
// get.
type ConnectorKind string

// Valid reports whether k is shaped like a kind's name: lowercase letters,
// digits and dashes, starting with a letter, at most 32 characters.
func (k ConnectorKind) Valid() bool { return isName(string(k)) }

// Deprovision is what happens to a user that leaves its directory.
type Deprovision string

// Deprovision policies.
const (
	DeprovisionSuspend Deprovision = "suspend"
	DeprovisionDelete  Deprovision = "delete" // soft delete, restorable
)

// DefaultSyncThreshold is the share of a connector's users one run may
// deprovision before it waits for an admin.
const DefaultSyncThreshold = 0.2

// DefaultThresholdMin is the number of deprovisioned users, and of deleted
// groups, a run must pass, besides its share, to be held;
// DefaultMemberThresholdMin the number of removed memberships.
const (
	DefaultThresholdMin       = 10
	DefaultMemberThresholdMin = 100
)

// DefaultReconcile is the reconcile schedule of a connector made without
// one: a full read of the directory once a day.
const DefaultReconcile = "@daily"

// Connector is an organization's link to a directory it pulls users and
// groups from. Settings and Secrets are read by the sync engine, which
// knows each kind; the domain keeps them, opaque.
type Connector struct {
	ID    string
	OrgID string
	// Name is unique within the organization, regardless of case.
	Name string
	Kind ConnectorKind
	// Settings hold the kind's configuration as JSON; never secrets.
	Settings json.RawMessage
	// Secrets are sealed (AES-GCM under the configured key); the API never
	// returns them.
	Secrets []byte
	// Schedule is a cron spec; "" runs the connector only on demand.
	Schedule string
	// Mapping overrides the kind's attribute mapping: catalogue attribute
	// (UserAttribute: "name.givenName", or "properties.badge") → the
	// directory attribute feeding it.
	Mapping map[string]string
	// RoleRules give the members of directory groups a role; a user gets
	// the highest role of the groups it is in, DefaultRole otherwise. With
	// no rules the connector leaves roles alone.
	RoleRules   []RoleRule
	DefaultRole Role
	Deprovision Deprovision
	// Threshold is the largest share (0-1] of the connector's users one
	// run may deprovision without approval; GroupThreshold of its groups
	// one run may delete, and MemberThreshold of the memberships a run
	// compares that it may remove.
	Threshold       float64
	GroupThreshold  float64
	MemberThreshold float64
	// ThresholdMin, GroupThresholdMin and MemberThresholdMin are the
	// counts a run's deprovisions, group deletions and membership
	// removals must also pass to hold it: in a small directory one
	// change is a large share. 0 holds on the share alone. Connectors
	// made through the sync engine default to DefaultThresholdMin and
	// DefaultMemberThresholdMin.
	ThresholdMin       int
	GroupThresholdMin  int
	MemberThresholdMin int
	// Reconcile is a cron spec: a scheduled run reads the whole directory
	// (and so finds every deletion and drift) when it has ticked since
	// ReconciledAt, the end of the last full run applied. Only runs write
	// ReconciledAt.
	Reconcile    string
	ReconciledAt *time.Time
	Enabled      bool
	// Cursor is where the next incremental run starts. Only runs write it.
	Cursor    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// RoleRule gives the members of a directory group a role. Group names the
// group by its source reference, its DN or its name (regardless of case).
type RoleRule struct {
	Group string `json:"group"`
	Role  Role   `json:"role"`
}

// Validate checks the connector's own fields; the sync engine checks the
// kind's settings, mapping and schedule.
func (c *Connector) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || len(c.Name) > 100 {
		return FieldErrorf(CodeInvalid, "name", "a connector needs a name of 1-100 characters")
	}
	if err := CheckText("name", c.Name); err != nil {
		return err
	}
	if err := CheckText("schedule", c.Schedule); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return FieldErrorf(CodeInvalid, "kind", "kind %q is not a connector kind's name", c.Kind)
	}
	if c.Deprovision != DeprovisionSuspend && c.Deprovision != DeprovisionDelete {
		return FieldErrorf(CodeInvalid, "deprovision", "deprovision must be suspend or delete, not %q", c.Deprovision)
	}
	for _, t := range []struct {
		name  string
		share float64
	}{{"threshold", c.Threshold}, {"groupThreshold", c.GroupThreshold}, {"memberThreshold", c.MemberThreshold}} {
		if t.share <= 0 || t.share > 1 {
			return FieldErrorf(CodeInvalid, t.name, "%s must be more than 0 and at most 1", t.name)
		}
	}
	for _, t := range []struct {
		name string
		n    int
	}{{"thresholdMin", c.ThresholdMin}, {"groupThresholdMin", c.GroupThresholdMin}, {"memberThresholdMin", c.MemberThresholdMin}} {
		if t.n < 0 || t.n > 1_000_000_000 {
			return FieldErrorf(CodeInvalid, t.name, "%s must be between 0 and 1000000000", t.name)
		}
	}
	if strings.TrimSpace(c.Reconcile) == "" {
		return FieldErrorf(CodeInvalid, "reconcile", "a connector needs a reconcile schedule (a cron spec such as @daily)")
	}
	for _, r := range c.RoleRules {
		if strings.TrimSpace(r.Group) == "" || !r.Role.Valid() {
			return FieldErrorf(CodeInvalid, "roleRules", "role rule %q → %q needs a group and a valid role", r.Group, r.Role)
		}
		if err := CheckText("roleRules", r.Group); err != nil {
			return err
		}
	}
	if c.DefaultRole != "" && !c.DefaultRole.Valid() {
		return FieldErrorf(CodeInvalid, "defaultRole", "defaultRole %q is not a role", c.DefaultRole)
	}
	if len(c.Settings) > 64<<10 || len(c.Mapping) > 100 || len(c.RoleRules) > 100 {
		return Errorf(CodeTooLarge, "connector settings, mapping and role rules are limited to 64 KiB, 100 fields and 100 rules")
	}
	return nil
}

// SyncTrigger says what started a sync run.
type SyncTrigger string

// Sync triggers.
const (
	TriggerManual   SyncTrigger = "manual"   // an admin, through the API
	TriggerSchedule SyncTrigger = "schedule" // the connector's cron schedule
	TriggerCLI      SyncTrigger = "cli"      // an operator: roster sync run
	TriggerApproval SyncTrigger = "approval" // an admin approved a held run
)

// Valid reports whether t is a known trigger.
func (t SyncTrigger) Valid() bool {
	switch t {
	case TriggerManual, TriggerSchedule, TriggerCLI, TriggerApproval:
		return true
	}
	return false
}

// SyncRunStatus is where a sync run stands.
type SyncRunStatus string

// Sync run statuses.
const (
	RunRunning   SyncRunStatus = "running"
	RunSucceeded SyncRunStatus = "succeeded"
	RunFailed    SyncRunStatus = "failed"
	// RunHeld: the run stopped at the safety threshold; its deprovisions
	// wait for an admin, who approves (a new run applies them) or rejects.
	RunHeld     SyncRunStatus = "held"
	RunApproved SyncRunStatus = "approved"
	RunRejected SyncRunStatus = "rejected"
)

// SyncRun is one run of a connector, kept as history.
type SyncRun struct {
	ID          string
	OrgID       string
	ConnectorID string
	Trigger     SyncTrigger
	DryRun      bool
	Status      SyncRunStatus
	// StartedBy describes who started a manual, CLI or approval run.
	StartedBy string
	// ApprovalOf is the held run an approval run applies.
	ApprovalOf string
	StartedAt  time.Time
	EndedAt    *time.Time
	// Full reports that the run read the whole directory.
	Full bool
	// Counts are the changes made (or planned) by action.
	Counts map[string]int
	// Errors and Plan are JSON documents of the sync engine: the changes
	// that failed, and the plan of a dry run or a held run.
	Errors json.RawMessage
	Plan   json.RawMessage
	// Progress is the sync engine's JSON document of how far the run got
	// (phase, objects seen, planned, applied), saved while it runs.
	Progress json.RawMessage
	// Message says why a run failed.
	Message string
	// DecidedBy and DecidedAt record who approved or rejected a held run.
	DecidedBy string
	DecidedAt *time.Time
}

// SyncLinkKind says what a sync link points at.
type SyncLinkKind string

// Link kinds.
const (
	LinkUser  SyncLinkKind = "user"
	LinkGroup SyncLinkKind = "group"
)

// SyncLink ties a directory object, by its source reference, to the Roster
// user or group a connector made of it.
type SyncLink struct {
	ConnectorID string
	OrgID       string
	Kind        SyncLinkKind
	Ref         string
	ObjectID    string
	// MemberKey is what group member lists call the object, when that is
	// not its Ref (an LDAP DN).
	MemberKey string
	// Name is a group's name as last applied.
	Name string
	// Hash digests a user's directory view as last applied ("" after a
	// deprovision, so that the user's return is applied).
	Hash string
	// AppliedVersion is, for a user, its version once the connector last
	// wrote it (or checked it against the directory): a user at another
	// version was written since by someone else.
	AppliedVersion int64

	// Status, StatusSetBy, Role and Version are the linked user's, as
	// ListUserLinks reads them; they are not stored with the link.
	Status      Status
	StatusSetBy Authority
	Role        Role
	Version     int64
}

// Drifted reports whether someone but the connector wrote the linked
// user since the connector last did (links that ListUserLinks read).
func (l *SyncLink) Drifted() bool { return l.Version != 0 && l.AppliedVersion != l.Version }

// SyncRepos gathers the stores of directory sync.
type SyncRepos interface {
	Connectors() ConnectorStore
	SyncRuns() SyncRunStore
	SyncLinks() SyncLinkStore
	SyncBatches() SyncBatchStore
}

// ConnectorStore persists connectors, their cursors and their run leases.
type ConnectorStore interface {
	// CreateConnector inserts c. A name taken in the organization
	// (regardless of case) is CodeConflict with Field "name".
	CreateConnector(ctx context.Context, c *Connector) error
	GetConnector(ctx context.Context, orgID, id string) (*Connector, error)
	// GetConnectorByName finds a connector by name, regardless of case.
	GetConnectorByName(ctx context.Context, orgID, name string) (*Connector, error)
	// ListConnectors lists an organization's connectors by name.
	ListConnectors(ctx context.Context, orgID string) ([]*Connector, error)
	// ListScheduledConnectors lists the enabled connectors with a schedule,
	// across organizations.
	ListScheduledConnectors(ctx context.Context) ([]*Connector, error)
	// UpdateConnector writes c's configuration if c.Version is current
	// (else ErrStale) and advances its version. It leaves the cursor and
	// the lease alone.
	UpdateConnector(ctx context.Context, c *Connector, now time.Time) error
	// DeleteConnector removes the connector with its runs and links; the
	// users and groups it made stay.
	DeleteConnector(ctx context.Context, orgID, id string) error

	// TakeLease gives the connector to run runID until `until`, unless
	// another run holds it past now: then CodeConflict, naming that run.
	TakeLease(ctx context.Context, orgID, id, runID string, now, until time.Time) error
	// RenewLease extends the lease runID holds and reports false if it no
	// longer holds it.
	RenewLease(ctx context.Context, orgID, id, runID string, until time.Time) (bool, error)
	// ReleaseLease frees the connector if runID holds it, storing cursor
	// (when not nil) as the connector's cursor in the same write, and
	// reconciledAt (when not nil: the run read the whole directory) as
	// its ReconciledAt, and reports whether runID held it.
	ReleaseLease(ctx context.Context, orgID, id, runID string, cursor *string, reconciledAt *time.Time) (bool, error)
	// LeaseHolder returns the run holding the connector past now, or "".
	LeaseHolder(ctx context.Context, orgID, id string, now time.Time) (string, error)
}

// SyncRunStore persists run history.
type SyncRunStore interface {
	CreateRun(ctx context.Context, r *SyncRun) error
	// FinishRun writes the outcome of a running run: status, end, counts,
	// errors, plan and message. A run that is not running is
	// CodeConflict.
	FinishRun(ctx context.Context, r *SyncRun) error
	// SaveProgress writes the progress document of a running run; a run
	// that has ended is left as it is (and the call is no error).
	SaveProgress(ctx context.Context, orgID, id string, progress json.RawMessage) error
	// AbandonRuns fails the connector's runs still marked running, other
	// than keepID: runs whose process stopped before finishing.
	AbandonRuns(ctx context.Context, orgID, connectorID, keepID string, at time.Time, message string) (int, error)
	GetRun(ctx context.Context, orgID, id string) (*SyncRun, error)
	// ListRuns lists a connector's runs newest first, those older than the
	// run id `before` when it is not "".
	ListRuns(ctx context.Context, orgID, connectorID, before string, limit int) ([]*SyncRun, error)
	// DecideRun moves a held run to approved or rejected; a run that is
	// not held is CodeConflict.
	DecideRun(ctx context.Context, orgID, id string, to SyncRunStatus, by string, at time.Time) (*SyncRun, error)
}

// SyncLinkStore persists links.
type SyncLinkStore interface {
	// ListUserLinks calls fn with each of a connector's user links, in ref
	// order, with the linked user's status and role; an error of fn stops
	// the listing and is returned. It reads them with one query, which fn
	// must not wait on the store for.
	ListUserLinks(ctx context.Context, orgID, connectorID string, fn func(*SyncLink) error) error
	// ListUserLinkRefs calls fn with the ref of each of a connector's
	// user links, in no particular order, with one query as
	// ListUserLinks.
	ListUserLinkRefs(ctx context.Context, orgID, connectorID string, fn func(ref string) error) error
	// UserLinks reads the user links of refs that exist, as ListUserLinks
	// does, in no particular order.
	UserLinks(ctx context.Context, orgID, connectorID string, refs []string) ([]*SyncLink, error)
	// ListGroupLinks lists a connector's group links whose group exists.
	ListGroupLinks(ctx context.Context, orgID, connectorID string) ([]*SyncLink, error)
	// PutLinks inserts links or replaces them (by connector, kind and
	// ref). An object linked by another connector is CodeConflict.
	PutLinks(ctx context.Context, links []*SyncLink) error
	DeleteLink(ctx context.Context, orgID, connectorID string, kind SyncLinkKind, ref string) error
	// UserLink returns the link of a user of the organization (a user has
	// one at most), or nil if no connector links it.
	UserLink(ctx context.Context, orgID, userID string) (*SyncLink, error)
}

// SyncBatchStore reads and writes many users per statement, so that a sync
// batch of hundreds of changes costs a handful of round trips. (Creating
// users and appending audit events in bulk is BulkUserStore's.)
type SyncBatchStore interface {
	// GetUsers returns the users of the organization among ids, in no
	// particular order; unknown ids are left out.
	GetUsers(ctx context.Context, orgID string, ids []string) ([]*User, error)
	// UpdateUsers writes users as UpdateUser does: every one of them if
	// each one's version is current, else none (ErrStale). A user may be
	// given once.
	UpdateUsers(ctx context.Context, users []*User, now time.Time) error
	// LiveUserIDs returns those of ids that are live (not deleted) users
	// of the organization, in the order given.
	LiveUserIDs(ctx context.Context, orgID string, ids []string) ([]string, error)
	// GroupMemberIDs lists the user ids of a group's members; a group that
	// does not exist has none.
	GroupMemberIDs(ctx context.Context, orgID, groupID string) ([]string, error)
}
