package directory

import (
	"context"
	"time"
)

// Store is what a backend (sqlite, postgres) provides. Its repositories work
// outside a transaction; InTx gives the same repositories bound to one
// transaction, committed when fn returns nil and rolled back otherwise.
// Backends retry fn on serialization failures, so fn must not have side
// effects outside the transaction.
type Store interface {
	Repos
	InTx(ctx context.Context, fn func(Repos) error) error
	// Ping checks that the database answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// Repos gathers the per-aggregate stores.
type Repos interface {
	Orgs() OrgStore
	Users() UserStore
	Groups() GroupStore
	Tokens() TokenStore
	Audit() AuditLog
	Services() ServiceStore
	Sealed() SealedStore
	AuthRepos
	JobRepos
	SyncRepos
}

// OrgStore persists organizations, their domains and settings.
type OrgStore interface {
	// CreateOrg inserts o. A taken slug or domain is CodeConflict.
	CreateOrg(ctx context.Context, o *Org) error
	GetOrg(ctx context.Context, id string) (*Org, error)
	GetOrgBySlug(ctx context.Context, slug string) (*Org, error)
	// FindOrgByDomain finds the organization that has verified an email
	// domain (an unverified domain finds nothing).
	FindOrgByDomain(ctx context.Context, domain string) (*Org, error)
	// CheckLoginDomain refuses a login email domain that an organization
	// other than orgID has verified (CodeConflict, Field "email"). In a
	// transaction, a store may report it from the statement after, or
	// from the commit, as it does a taken userName.
	CheckLoginDomain(ctx context.Context, orgID, domain string) error
	// UpdateOrg writes o if o.Version is current (else ErrStale) and
	// advances o.Version and o.UpdatedAt.
	UpdateOrg(ctx context.Context, o *Org) error
	ListOrgs(ctx context.Context) ([]*Org, error)
	CountOrgs(ctx context.Context) (int, error)
}

// UserStore persists users. Every method is scoped by organization.
type UserStore interface {
	// CreateUser inserts u (with ID, CreatedAt, UpdatedAt and Version=1 set
	// by the caller). A userName held by another user of the organization
	// that is not deleted, regardless of case, is CodeConflict with Field
	// "userName" (a login email likewise, with Field "email"); an
	// organization that
	// does not exist CodeNotFound (in a transaction, a store may report
	// either from the statement after, or from the commit).
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user, soft-deleted or not; another
	// organization's id is CodeNotFound.
	GetUser(ctx context.Context, orgID, id string) (*User, error)
	// GetUserForUpdate is GetUser for a transaction about to update the
	// user: the store holds the user locked until the transaction ends, so
	// an UpdateUser of the version read is never stale (and a store may
	// send it with the commit). Outside a transaction it is GetUser.
	GetUserForUpdate(ctx context.Context, orgID, id string) (*User, error)
	// AssumeUser tells a transaction to take u, read before it began, as
	// the user stored, instead of reading it: an UpdateUser of u's version
	// then writes only if the user is still at that version, and is
	// ErrStale otherwise, from the update or from the commit (a store may
	// send the update with the commit). Outside a transaction it does
	// nothing.
	AssumeUser(u *User)
	// FindUserByUserName finds the organization's user, not deleted, that
	// holds a userName, case-insensitively.
	FindUserByUserName(ctx context.Context, orgID, userName string) (*User, error)
	// FindUserByEmail finds the organization's user, not deleted, whose
	// login email (primary email) is email, case-insensitively.
	FindUserByEmail(ctx context.Context, orgID, email string) (*User, error)
	// FindUserBySourceRef finds the user a directory knows by ref.
	FindUserBySourceRef(ctx context.Context, orgID string, source Source, ref string) (*User, error)
	// UpdateUser writes every field of u if u.Version is still current
	// (else ErrStale), then sets u.Version to the new version and
	// u.UpdatedAt to the time given. A userName clash is CodeConflict
	// (reported as CreateUser's is).
	UpdateUser(ctx context.Context, u *User, now time.Time) error
	ListUsers(ctx context.Context, orgID string, q UserQuery) (*UserPage, error)
	// CountUsersByStatus counts the organization's users per status and
	// source (for seat usage).
	CountUsersByStatus(ctx context.Context, orgID string) (map[Status]map[Source]int, error)
}

// GroupStore persists groups and memberships. Membership changes cost time
// proportional to the change, never to the size of the group.
type GroupStore interface {
	// CreateGroup inserts g. A displayName taken in the organization
	// (regardless of case) is CodeConflict.
	CreateGroup(ctx context.Context, g *Group) error
	// GetGroup reads one group, with SeatLimited set.
	GetGroup(ctx context.Context, orgID, id string) (*Group, error)
	// UpdateGroup writes g if g.Version is current (else ErrStale).
	UpdateGroup(ctx context.Context, g *Group, now time.Time) error
	// DeleteGroup removes the group and its memberships.
	DeleteGroup(ctx context.Context, orgID, id string) error
	ListGroups(ctx context.Context, orgID string, q GroupQuery) (*GroupPage, error)
	// AddMembers adds users (ignoring those already members) and returns
	// the ids actually added. Ids that are not users of the organization
	// are CodeInvalid and nothing is added.
	AddMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error)
	// RemoveMembers removes users and returns the ids actually removed.
	RemoveMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error)
	// ReplaceMembers makes userIDs the group's live members and returns
	// the ids added and removed, working out the difference in the store
	// (set against set), not by reading the members. Ids that are not
	// live users of the organization are CodeInvalid and nothing changes.
	// Soft-deleted users' memberships stay, as for RemoveMembers.
	ReplaceMembers(ctx context.Context, orgID, groupID string, userIDs []string) (added, removed []string, err error)
	// ListMembers pages through a group's members in user id order. A
	// soft-deleted user is left out; its membership is kept for a restore.
	ListMembers(ctx context.Context, orgID, groupID, after string, limit int) (*MemberPage, error)
	// GroupsOfUser lists the groups a user belongs to.
	GroupsOfUser(ctx context.Context, orgID, userID string) ([]*Group, error)
	// TouchGroup advances the group's version and UpdatedAt after a
	// membership change, without a version check. In a transaction, a
	// store may send it with the commit: the group returned is then filled
	// in when the transaction has committed.
	TouchGroup(ctx context.Context, orgID, id string, now time.Time) (*Group, error)
	// TouchGroupsOfUsers advances, in one statement, the version (by
	// one) and UpdatedAt of every group of the organization that any of
	// the users belongs to: deleting or restoring a user changes the
	// members those groups show. It must not make concurrent calls for
	// users of one group wait for each other.
	TouchGroupsOfUsers(ctx context.Context, orgID string, userIDs []string, now time.Time) error
}

// TokenStore persists bearer tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t *Token) error
	// GetToken finds a token by id across organizations (authentication).
	GetToken(ctx context.Context, id string) (*Token, error)
	ListTokens(ctx context.Context, orgID string) ([]*Token, error)
	// RevokeToken marks the token revoked; another organization's id is
	// CodeNotFound.
	RevokeToken(ctx context.Context, orgID, id string, at time.Time) error
	// TouchToken records the time a token was last used.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// AuditLog appends and reads audit events.
type AuditLog interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, orgID string, q AuditQuery) (*AuditPage, error)
}
