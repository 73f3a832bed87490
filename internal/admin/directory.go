package admin

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Directory is what the admin API needs of the directory service, grouped
// by the routes that use it. *directory.Service is one.
type Directory interface {
	UserCases
	SecurityCases
	OrgCases
	ServiceCases
}

// ServiceCases are the organization's services and their assignment.
type ServiceCases interface {
	CreateService(ctx context.Context, actor directory.Actor, orgID string, in *directory.OrgService) (*directory.ServiceSeats, error)
	GetService(ctx context.Context, orgID, id string) (*directory.ServiceSeats, error)
	ListServices(ctx context.Context, orgID string) ([]directory.ServiceSeats, error)
	OrgServices(ctx context.Context, orgID string) ([]*directory.OrgService, error)
	ServicesOfUser(ctx context.Context, u *directory.User) ([]*directory.OrgService, error)
	UpdateService(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.OrgService) error) (*directory.ServiceSeats, error)
	DeleteService(ctx context.Context, actor directory.Actor, orgID, id string) error
	AssignServices(ctx context.Context, actor directory.Actor, orgID string, userIDs, keys []string) ([]*directory.User, error)
	UnassignServices(ctx context.Context, actor directory.Actor, orgID string, userIDs, keys []string) ([]*directory.User, error)
}

var _ Directory = (*directory.Service)(nil)

// UserCases are the use cases of the users routes.
type UserCases interface {
	CreateUser(ctx context.Context, actor directory.Actor, orgID string, in *directory.User) (*directory.User, error)
	CreateUsers(ctx context.Context, actor directory.Actor, orgID string, ins []*directory.User) ([]directory.ImportResult, error)
	GetUser(ctx context.Context, orgID, id string) (*directory.User, error)
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
	UpdateUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.User) error) (*directory.User, error)
	Unlock(ctx context.Context, actor directory.Actor, orgID, id, reason, passwordHash string) (*directory.User, error)
	DeleteUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64) (*directory.User, error)
	RestoreUser(ctx context.Context, actor directory.Actor, orgID, id string) (*directory.User, error)
	DetachUser(ctx context.Context, actor directory.Actor, orgID, id string) (*directory.User, error)
	SetStatus(ctx context.Context, actor directory.Actor, orgID, id string, to directory.Status, reason string) (*directory.User, error)
	CountUsersByStatus(ctx context.Context, orgID string) (map[directory.Status]map[directory.Source]int, error)
	UsageHistory(ctx context.Context, orgID string, from, to time.Time) ([]directory.UsageDay, error)
}

// SecurityCases are second factors, sessions and single sign-on.
type SecurityCases interface {
	GetMFA(ctx context.Context, orgID, userID string) (*directory.MFAState, error)
	GetSMSPhone(ctx context.Context, orgID, userID string) (*directory.SMSPhone, error)
	SetMFARequired(ctx context.Context, actor directory.Actor, orgID, userID string, required bool) (*directory.MFAState, error)
	ResetMFA(ctx context.Context, actor directory.Actor, orgID, userID string) error
	ListSessions(ctx context.Context, orgID, userID string, kind directory.SessionKind) ([]*directory.Session, error)
	EndSession(ctx context.Context, orgID, userID, id string) error
	GetOIDC(ctx context.Context, orgID string) (*directory.OIDCSettings, error)
	PutOIDC(ctx context.Context, actor directory.Actor, in *directory.OIDCSettings) (*directory.OIDCSettings, error)
	DeleteOIDC(ctx context.Context, actor directory.Actor, orgID string) error
}

// OrgCases are the organization, its tokens, audit log, imports and
// connectors.
type OrgCases interface {
	GetOrg(ctx context.Context, id string) (*directory.Org, error)
	GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error)
	FindOrgByDomain(ctx context.Context, domain string) (*directory.Org, error)
	AddDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	RemoveDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	SetPrimaryDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	VerifyDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	UpdateOrg(ctx context.Context, actor directory.Actor, id string, ifVersion int64, mutate func(*directory.Org) error) (*directory.Org, error)
	DefineProperty(ctx context.Context, actor directory.Actor, orgID string, def directory.PropertyDef) (*directory.Org, error)
	RemoveProperty(ctx context.Context, actor directory.Actor, orgID, key string) (*directory.Org, error)
	CreateToken(ctx context.Context, actor directory.Actor, orgID, name string) (string, *directory.Token, error)
	ListTokens(ctx context.Context, orgID string) ([]*directory.Token, error)
	RevokeToken(ctx context.Context, actor directory.Actor, orgID, id string) error
	ListAudit(ctx context.Context, orgID string, q directory.AuditQuery) (*directory.AuditPage, error)
	GetImportRun(ctx context.Context, orgID, id string) (*directory.ImportRun, error)
	FindConnector(ctx context.Context, orgID, idOrName string) (*directory.Connector, error)
}
