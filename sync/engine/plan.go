package engine

import (
	"fmt"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Deprovision is what happens to a user that leaves the directory.
type Deprovision = directory.Deprovision

// Deprovision policies.
const (
	DeprovisionSuspend = directory.DeprovisionSuspend
	DeprovisionDelete  = directory.DeprovisionDelete // soft delete, restorable
)

// DefaultThreshold is the share of a connector's users a run may
// deprovision before it waits for an admin.
const DefaultThreshold = directory.DefaultSyncThreshold

// Policy is how a connector's runs treat Roster's users.
type Policy struct {
	Deprovision Deprovision `json:"deprovision"`
	// Threshold is the largest share (0-1] of the connector's users one run
	// may deprovision without approval. 0 means DefaultThreshold.
	Threshold float64 `json:"threshold,omitempty"`
	// GroupThreshold is the largest share of the connector's groups one
	// run may delete, and MemberThreshold the largest share of the
	// memberships it compares one run may remove, without approval. 0
	// means DefaultThreshold.
	GroupThreshold  float64 `json:"groupThreshold,omitempty"`
	MemberThreshold float64 `json:"memberThreshold,omitempty"`
	// ThresholdMin, GroupThresholdMin and MemberThresholdMin are the
	// counts a run must also pass to be held: with a share alone, one
	// change in a small directory would hold it. 0: no minimum.
	ThresholdMin       int `json:"thresholdMin,omitempty"`
	GroupThresholdMin  int `json:"groupThresholdMin,omitempty"`
	MemberThresholdMin int `json:"memberThresholdMin,omitempty"`
	// Roles maps directory groups to Roster roles. A user gets the highest
	// role of the mapped groups it is in, and DefaultRole otherwise. With
	// no rules, the connector leaves roles alone.
	Roles       []RoleRule     `json:"roles,omitempty"`
	DefaultRole directory.Role `json:"defaultRole,omitempty"`
}

// RoleRule gives the members of a group a role. Group names the group by
// its source reference, its DN, or its name (without regard to case).
type RoleRule = directory.RoleRule

// Validate checks the policy.
func (p Policy) Validate() error {
	var problems []string
	switch p.Deprovision {
	case DeprovisionSuspend, DeprovisionDelete:
	default:
		problems = append(problems, fmt.Sprintf("deprovision must be suspend or delete, not %q", p.Deprovision))
	}
	for _, t := range []struct {
		name  string
		share float64
	}{{"threshold", p.Threshold}, {"groupThreshold", p.GroupThreshold}, {"memberThreshold", p.MemberThreshold}} {
		if t.share < 0 || t.share > 1 {
			problems = append(problems, t.name+" must be between 0 and 1")
		}
	}
	if p.ThresholdMin < 0 || p.GroupThresholdMin < 0 || p.MemberThresholdMin < 0 {
		problems = append(problems, "thresholdMin, groupThresholdMin and memberThresholdMin must not be negative")
	}
	for _, r := range p.Roles {
		if strings.TrimSpace(r.Group) == "" || !r.Role.Valid() {
			problems = append(problems, fmt.Sprintf("role rule %q → %q needs a group and a valid role", r.Group, r.Role))
		}
	}
	if p.DefaultRole != "" && !p.DefaultRole.Valid() {
		problems = append(problems, fmt.Sprintf("defaultRole %q is not a role", p.DefaultRole))
	}
	if len(problems) > 0 {
		return fmt.Errorf("policy: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (p Policy) threshold() float64 {
	if p.Threshold == 0 {
		return DefaultThreshold
	}
	return p.Threshold
}

func (p Policy) groupThreshold() float64 {
	if p.GroupThreshold == 0 {
		return DefaultThreshold
	}
	return p.GroupThreshold
}

func (p Policy) memberThreshold() float64 {
	if p.MemberThreshold == 0 {
		return DefaultThreshold
	}
	return p.MemberThreshold
}

func (p Policy) defaultRole() directory.Role {
	if p.DefaultRole == "" {
		return directory.RoleUser
	}
	return p.DefaultRole
}

// roleRank orders roles by what they may do, so that a user in two mapped
// groups gets the stronger role.
func roleRank(r directory.Role) int {
	switch r {
	case directory.RoleOrgAdmin:
		return 4
	case directory.RoleOrgViewer:
		return 3
	case directory.RoleBillingAdmin:
		return 2
	case directory.RoleUser:
		return 1
	}
	return 0
}

// Report is what a run did, or would do (dry run).
type Report struct {
	Full   bool                         `json:"full"`
	Cursor string                       `json:"-"`
	Counts map[directory.SyncAction]int `json:"counts"`
	// Items lists planned changes (dry runs, and changes held for
	// approval), up to MaxPlanItems.
	Items []PlanItem `json:"items,omitempty"`
	// Errors lists entries that could not be applied, up to MaxErrors.
	Errors []PlanItem `json:"errors,omitempty"`
	// Held is set when the run stopped at the safety threshold, applying
	// nothing: Reasons says which thresholds it passed, Pending lists the
	// deprovisions waiting for approval, and Items the plan.
	Held    bool     `json:"held,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Planned counts what a held run would do (its Counts stay empty).
	Planned map[directory.SyncAction]int `json:"planned,omitempty"`
	Pending []directory.SyncUserChange   `json:"pending,omitempty"`
	// Digest is a fingerprint of the whole plan of a run that planned
	// before applying: an approval applies a held plan only if its own
	// plan has the same digest.
	Digest string `json:"digest,omitempty"`
	// Truncated counts items left out of Items.
	Truncated int `json:"truncated,omitempty"`
	// Restored lists the users whose attributes, changed in Roster, an
	// applied run put back (drift), up to MaxPlanItems.
	Restored []PlanItem `json:"restored,omitempty"`
}

// PlanItem is one planned or failed change, as shown to admins.
type PlanItem struct {
	Op       directory.SyncAction `json:"op"`
	Ref      string               `json:"ref"`
	Target   string               `json:"target,omitempty"` // user or group id
	UserName string               `json:"userName,omitempty"`
	// Key is what the directory calls the object besides its ref (an
	// LDAP DN), and Attribute the attribute a failed change stumbled on,
	// when known.
	Key       string `json:"key,omitempty"`
	Attribute string `json:"attribute,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// Caps on what a report carries, so that a 100,000-user dry run stays a
// readable document.
const (
	MaxPlanItems = 1000
	MaxErrors    = 1000
)

func newReport() *Report { return &Report{Counts: map[directory.SyncAction]int{}} }

func (r *Report) count(op directory.SyncAction, n int) {
	if n > 0 {
		r.Counts[op] += n
	}
}

func (r *Report) item(it PlanItem) {
	if len(r.Items) < MaxPlanItems {
		r.Items = append(r.Items, it)
		return
	}
	r.Truncated++
}

func (r *Report) fail(it PlanItem) {
	r.Counts[it.Op]++
	if len(r.Errors) < MaxErrors {
		r.Errors = append(r.Errors, it)
	}
}
