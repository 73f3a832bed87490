package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/outbound"
)

// ConnectorInput is what an admin sets on a connector. On create, absent
// fields take their defaults (enabled, suspend, thresholds 0.2, reconcile
// @daily); on update, absent fields stay as they are.
type ConnectorInput struct {
	Name *string                 `json:"name,omitempty"`
	Kind directory.ConnectorKind `json:"kind,omitempty"`
	// Settings are the kind's settings (ldap.Settings, entra.Settings) as
	// JSON; an update replaces them whole.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Secrets sets the named secrets ("bindPassword", "clientSecret"); on
	// create every secret of the kind is required. They are sealed at once
	// and never shown again.
	Secrets  map[string]string `json:"secrets,omitempty"`
	Schedule *string           `json:"schedule,omitempty"`
	// Mapping overrides the kind's attribute mapping: Roster field →
	// directory attribute. An update replaces it whole.
	Mapping     map[string]string      `json:"mapping,omitempty"`
	RoleRules   *[]directory.RoleRule  `json:"roleRules,omitempty" doc:"A directory group (its name, DN or id) gives its members a role; the highest wins. With the connector setting nestedGroups, members of the groups nested in a rule's group count too."`
	DefaultRole *directory.Role        `json:"defaultRole,omitempty"`
	Deprovision *directory.Deprovision `json:"deprovision,omitempty"`
	// Threshold is the largest share of the connector's users one run may
	// deprovision, GroupThreshold of its groups one run may delete, and
	// MemberThreshold of the memberships a run compares that it may
	// remove, before the run waits for an admin's approval.
	Threshold       *float64 `json:"threshold,omitempty"`
	GroupThreshold  *float64 `json:"groupThreshold,omitempty"`
	MemberThreshold *float64 `json:"memberThreshold,omitempty"`
	// ThresholdMin, GroupThresholdMin and MemberThresholdMin are the
	// counts of deprovisions, group deletions and membership removals a
	// run must also pass to be held (default 10, 10 and 100; 0 holds on
	// the share alone).
	ThresholdMin       *int `json:"thresholdMin,omitempty"`
	GroupThresholdMin  *int `json:"groupThresholdMin,omitempty"`
	MemberThresholdMin *int `json:"memberThresholdMin,omitempty"`
	// Reconcile is a cron spec: the first scheduled run after each of its
	// ticks reads the whole directory, even when incremental runs work.
	Reconcile *string `json:"reconcile,omitempty"`
	Enabled   *bool   `json:"enabled,omitempty"`
}

// ConnectorView is a connector as the API shows it: its secrets by name
// only.
type ConnectorView struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name"`
	Kind            directory.ConnectorKind `json:"kind"`
	Settings        json.RawMessage         `json:"settings"`
	Secrets         []string                `json:"secrets"`
	Schedule        string                  `json:"schedule"`
	Mapping         map[string]string       `json:"mapping"`
	RoleRules       []directory.RoleRule    `json:"roleRules" doc:"A directory group (its name, DN or id) gives its members a role; the highest wins. With the connector setting nestedGroups, members of the groups nested in a rule's group count too."`
	DefaultRole     directory.Role          `json:"defaultRole,omitempty"`
	Deprovision     directory.Deprovision   `json:"deprovision"`
	Threshold       float64                 `json:"threshold"`
	GroupThreshold  float64                 `json:"groupThreshold"`
	MemberThreshold float64                 `json:"memberThreshold"`
	// The counts a run must also pass to be held.
	ThresholdMin       int    `json:"thresholdMin"`
	GroupThresholdMin  int    `json:"groupThresholdMin"`
	MemberThresholdMin int    `json:"memberThresholdMin"`
	Reconcile          string `json:"reconcile"`
	// ReconciledAt is when the last full run applied ended.
	ReconciledAt *time.Time `json:"reconciledAt,omitempty"`
	Enabled      bool       `json:"enabled"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int64      `json:"version"`
}

// CreateConnector checks and stores a new connector, its secrets sealed.
func (r *Runner) CreateConnector(ctx context.Context, actor directory.Actor, orgID string, in ConnectorInput) (*ConnectorView, error) {
	k, err := r.kinds.get(in.Kind)
	if err != nil {
		return nil, err
	}
	c := &directory.Connector{ID: directory.NewID(), Kind: in.Kind, Enabled: true,
		Deprovision: directory.DeprovisionSuspend, Threshold: directory.DefaultSyncThreshold,
		GroupThreshold: directory.DefaultSyncThreshold, MemberThreshold: directory.DefaultSyncThreshold,
		ThresholdMin: directory.DefaultThresholdMin, GroupThresholdMin: directory.DefaultThresholdMin,
		MemberThresholdMin: directory.DefaultMemberThresholdMin, Reconcile: directory.DefaultReconcile}
	in.apply(c)
	if in.Name == nil {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "name", "a connector needs a name")
	}
	for _, name := range k.Secrets {
		if in.Secrets[name] == "" {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "secrets", "a %s connector needs the secret %q", k.Name, name)
		}
	}
	if err := r.check(k, c, in.Secrets); err != nil {
		return nil, err
	}
	if c.Secrets, err = r.sealSecrets(c.ID, in.Secrets); err != nil {
		return nil, err
	}
	stored, err := r.dir.CreateConnector(ctx, actor, orgID, c)
	if err != nil {
		return nil, err
	}
	return r.view(stored), nil
}

// UpdateConnector changes a connector. ifVersion pins the version the
// caller read (0: any). Secrets named in the input replace the stored
// ones; the others stay.
func (r *Runner) UpdateConnector(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, in ConnectorInput) (*ConnectorView, error) {
	if in.Kind != "" {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "kind", "a connector's kind cannot change; make a new connector")
	}
	c, err := r.dir.UpdateConnector(ctx, actor, orgID, id, ifVersion, func(c *directory.Connector) error {
		k, err := r.kinds.get(c.Kind)
		if err != nil {
			return err
		}
		secrets, err := r.openSecrets(c)
		if err != nil {
			return err
		}
		in.apply(c)
		changed := false
		for name, v := range in.Secrets {
			if secrets[name] != v {
				secrets[name], changed = v, true
			}
		}
		if err := r.check(k, c, secrets); err != nil {
			return err
		}
		if changed {
			c.Secrets, err = r.sealSecrets(c.ID, secrets)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.view(c), nil
}

// DeleteConnector removes a connector, its runs and links; its users and
// groups stay.
func (r *Runner) DeleteConnector(ctx context.Context, actor directory.Actor, orgID, id string) error {
	return r.dir.DeleteConnector(ctx, actor, orgID, id)
}

// GetConnector returns a connector by id or name.
func (r *Runner) GetConnector(ctx context.Context, orgID, idOrName string) (*ConnectorView, error) {
	c, err := r.dir.FindConnector(ctx, orgID, idOrName)
	if err != nil {
		return nil, err
	}
	return r.view(c), nil
}

// ListConnectors lists the organization's connectors.
func (r *Runner) ListConnectors(ctx context.Context, orgID string) ([]*ConnectorView, error) {
	list, err := r.dir.ListConnectors(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]*ConnectorView, 0, len(list))
	for _, c := range list {
		out = append(out, r.view(c))
	}
	return out, nil
}

// CheckConnector connects to the connector's directory and authenticates,
// to test its configuration; the error says what failed.
func (r *Runner) CheckConnector(ctx context.Context, orgID, id string) error {
	c, err := r.dir.GetConnector(ctx, orgID, id)
	if err != nil {
		return err
	}
	_, conn, err := r.build(c)
	if err != nil {
		return err
	}
	if err := conn.Check(ctx); err != nil {
		if errors.Is(err, outbound.ErrDestination) {
			// One answer, whatever the address and whatever listens
			// there: the check must not map internal networks.
			return directory.Errorf(directory.CodeInvalid, "%v", outbound.ErrDestination)
		}
		return directory.Errorf(directory.CodeInvalid, "the directory did not answer as expected: %v", err)
	}
	return nil
}

// Schedule is a connector's scheduled run, for the jobs scheduler: Name
// is unique per connector, Spec is its cron spec.
type Schedule struct {
	Name string
	Spec string
	Run  func(ctx context.Context) error
}

// SchedulePrefix starts the names of the connectors' schedules.
const SchedulePrefix = "sync:"

// Schedules lists the scheduled runs of the enabled connectors of every
// organization. Connectors change at run time: the caller reconciles its
// scheduler with this list now and then (every minute, say), adding,
// replacing and removing the jobs named SchedulePrefix+id.
func (r *Runner) Schedules(ctx context.Context) ([]Schedule, error) {
	list, err := r.dir.ListScheduledConnectors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Schedule, 0, len(list))
	for _, c := range list {
		orgID, id := c.OrgID, c.ID
		out = append(out, Schedule{Name: SchedulePrefix + id, Spec: c.Schedule, Run: func(ctx context.Context) error {
			_, err := r.RunConnector(ctx, orgID, id, string(directory.TriggerSchedule), false)
			return err
		}})
	}
	return out, nil
}

// apply copies the fields set in the input onto c.
func (in ConnectorInput) apply(c *directory.Connector) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Settings != nil {
		c.Settings = in.Settings
	}
	if in.Schedule != nil {
		c.Schedule = strings.TrimSpace(*in.Schedule)
	}
	if in.Mapping != nil {
		c.Mapping = in.Mapping
	}
	if in.RoleRules != nil {
		c.RoleRules = *in.RoleRules
	}
	if in.DefaultRole != nil {
		c.DefaultRole = *in.DefaultRole
	}
	if in.Deprovision != nil {
		c.Deprovision = *in.Deprovision
	}
	if in.Threshold != nil {
		c.Threshold = *in.Threshold
	}
	if in.GroupThreshold != nil {
		c.GroupThreshold = *in.GroupThreshold
	}
	if in.MemberThreshold != nil {
		c.MemberThreshold = *in.MemberThreshold
	}
	if in.ThresholdMin != nil {
		c.ThresholdMin = *in.ThresholdMin
	}
	if in.GroupThresholdMin != nil {
		c.GroupThresholdMin = *in.GroupThresholdMin
	}
	if in.MemberThresholdMin != nil {
		c.MemberThresholdMin = *in.MemberThresholdMin
	}
	if in.Reconcile != nil {
		c.Reconcile = strings.TrimSpace(*in.Reconcile)
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
}

// check validates what only the sync engine knows: the kind's settings,
// the mapping, the secrets' names and the schedule.
func (r *Runner) check(k *Kind, c *directory.Connector, secrets map[string]string) error {
	for name := range secrets {
		if !slices.Contains(k.Secrets, name) {
			return directory.FieldErrorf(directory.CodeInvalid, "secrets", "a %s connector has no secret %q (it has %s)",
				k.Name, name, strings.Join(k.Secrets, ", "))
		}
	}
	if _, err := k.New(c.Settings, mappingOf(c), secrets); err != nil {
		return directory.FieldErrorf(directory.CodeInvalid, "settings", "%v", err)
	}
	if c.Schedule != "" {
		if err := checkSchedule(c.Schedule); err != nil {
			return directory.FieldErrorf(directory.CodeInvalid, "schedule", "%v", err)
		}
	}
	if err := checkSchedule(c.Reconcile); err != nil {
		return directory.FieldErrorf(directory.CodeInvalid, "reconcile", "reconcile: %v", err)
	}
	return nil
}

// minInterval is the shortest "@every" schedule, as the scheduler takes.
const minInterval = time.Minute

// checkSchedule accepts what the jobs scheduler does: a five-field cron
// spec (optionally with CRON_TZ=), a descriptor, or "@every" of at least
// a minute.
func checkSchedule(spec string) error {
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < minInterval {
			return fmt.Errorf("schedule %q: @every needs a duration of at least a minute", spec)
		}
		return nil
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("schedule %q: %w", spec, err)
	}
	return nil
}

// sealSecrets seals secrets for the connector id.
func (r *Runner) sealSecrets(connectorID string, secrets map[string]string) ([]byte, error) {
	plain, err := json.Marshal(secrets)
	if err != nil {
		return nil, directory.Internal(err)
	}
	sealed, err := r.sealer.Seal(connectorID, plain)
	if err != nil {
		return nil, directory.Internal(err)
	}
	return sealed, nil
}

// openSecrets opens a connector's sealed secrets. A connector sealed under
// another key cannot run until its secrets are set again.
func (r *Runner) openSecrets(c *directory.Connector) (map[string]string, error) {
	secrets := map[string]string{}
	if len(c.Secrets) == 0 {
		return secrets, nil
	}
	plain, err := r.sealer.Open(c.ID, c.Secrets)
	if errors.Is(err, ErrSealed) {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "secrets",
			"the secrets of connector %s do not open with the configured encryption key; set them again", c.Name)
	}
	if err != nil {
		return nil, directory.Internal(err)
	}
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, directory.Internal(fmt.Errorf("sync: decoding the secrets of connector %s: %w", c.ID, err))
	}
	return secrets, nil
}

// view shows a connector without its secrets' values.
func (r *Runner) view(c *directory.Connector) *ConnectorView {
	names := []string{}
	if secrets, err := r.openSecrets(c); err == nil {
		for name := range secrets {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	settings := c.Settings
	if len(settings) == 0 {
		settings = json.RawMessage("{}")
	}
	mapping := c.Mapping
	if mapping == nil {
		mapping = map[string]string{}
	}
	rules := c.RoleRules
	if rules == nil {
		rules = []directory.RoleRule{}
	}
	return &ConnectorView{
		ID: c.ID, Name: c.Name, Kind: c.Kind, Settings: settings, Secrets: names, Schedule: c.Schedule,
		Mapping: mapping, RoleRules: rules, DefaultRole: c.DefaultRole, Deprovision: c.Deprovision,
		Threshold: c.Threshold, GroupThreshold: c.GroupThreshold, MemberThreshold: c.MemberThreshold,
		ThresholdMin: c.ThresholdMin, GroupThresholdMin: c.GroupThresholdMin, MemberThresholdMin: c.MemberThresholdMin,
		Reconcile: c.Reconcile, ReconciledAt: c.ReconciledAt, Enabled: c.Enabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
}

// reconcileDue reports whether the connector's reconcile schedule has
// ticked since its last full run applied (or it never had one): its next
// scheduled run then reads the whole directory. A schedule that does not
// parse (it was checked when saved) asks for a full read.
func reconcileDue(c *directory.Connector, now time.Time) bool {
	if c.ReconciledAt == nil {
		return true
	}
	spec := c.Reconcile
	if spec == "" {
		spec = directory.DefaultReconcile
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return true
	}
	return !sched.Next(*c.ReconciledAt).After(now)
}
