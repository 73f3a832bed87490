package directory

import (
	"context"
	"time"
)

// ActorKind says what kind of principal made a change.
type ActorKind string

// Actor kinds.
const (
	ActorAdmin     ActorKind = "admin"     // a user with an admin role, through the API
	ActorUser      ActorKind = "user"      // a user acting on itself
	ActorToken     ActorKind = "token"     // a SCIM token
	ActorConnector ActorKind = "connector" // a directory sync connector
	ActorJob       ActorKind = "job"       // a scheduled job
	ActorOperator  ActorKind = "operator"  // the platform operator, through the CLI
	ActorSystem    ActorKind = "system"    // Roster itself (first start, login lockout)
)

// Actor is who makes a change. Every service call that changes something
// takes one, and it is written into the audit event.
type Actor struct {
	Kind ActorKind
	ID   string
	Name string
	// Source is set for connectors (their kind's source: ldap, entra …)
	// and tokens (scim).
	Source Source
	// Authority overrides the authority derived from Kind, for system
	// actors that act as the login flow.
	Authority Authority
	// SessionID is the login session a user acts through, if any: when
	// it changes its own password, that session stays and its others end.
	// It is not audited.
	SessionID string
}

// StatusAuthority is the authority the actor holds over user statuses.
func (a Actor) StatusAuthority() Authority {
	if a.Authority != "" {
		return a.Authority
	}
	switch a.Kind {
	case ActorAdmin, ActorOperator:
		return AuthorityAdmin
	case ActorUser:
		return AuthorityUser
	case ActorToken:
		return AuthoritySCIM
	case ActorConnector:
		// A connector acts under the authority named after its kind's
		// source (ldap, entra …).
		return Authority(a.Source)
	case ActorJob:
		return AuthorityJob
	}
	return Authority(a.Kind)
}

// AuditEvent records one change: who, what, to which object, the changed
// fields before and after, when, and the request that caused it.
type AuditEvent struct {
	ID         string
	OrgID      string
	Time       time.Time
	ActorKind  ActorKind
	ActorID    string
	ActorName  string
	Action     string // e.g. "user.create", "user.status", "group.members.add"
	TargetKind string // "user", "group", "org", "token"
	TargetID   string
	Changes    map[string]Change
	RequestID  string
}

// Change is one field's value before and after a change.
type Change struct {
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
}

// AuditQuery selects audit events of one organization, newest first.
type AuditQuery struct {
	ActorID    string
	Action     string // exact, or a prefix ending in "." ("user.")
	TargetKind string
	TargetID   string
	From, To   time.Time // zero means unbounded; To is exclusive
	After      string    // cursor from a previous page
	Limit      int
}

// AuditPage is one page of audit events.
type AuditPage struct {
	Events []*AuditEvent
	Next   string // cursor of the next page, "" at the end
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id that audit events
// written under it record.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
