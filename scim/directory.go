package scim

import (
	"context"

	"github.com/roster/roster/internal/directory"
)

// Directory is what the SCIM endpoint needs of the directory service: the
// use cases of users, groups and tokens an identity provider drives.
// *directory.Service is one.
type Directory interface {
	AuthenticateToken(ctx context.Context, kind directory.TokenKind, plaintext string) (*directory.Token, error)
	GetOrg(ctx context.Context, id string) (*directory.Org, error)

	CreateUser(ctx context.Context, actor directory.Actor, orgID string, in *directory.User) (*directory.User, error)
	GetUser(ctx context.Context, orgID, id string) (*directory.User, error)
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
	UpdateUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.User) error) (*directory.User, error)
	DeleteUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64) (*directory.User, error)

	CreateGroup(ctx context.Context, actor directory.Actor, orgID string, in *directory.Group, members []string) (*directory.Group, error)
	GetGroup(ctx context.Context, orgID, id string) (*directory.Group, error)
	ListGroups(ctx context.Context, orgID string, q directory.GroupQuery) (*directory.GroupPage, error)
	ListMembers(ctx context.Context, orgID, groupID, after string, limit int) (*directory.MemberPage, error)
	GroupsOfUser(ctx context.Context, orgID, userID string) ([]*directory.Group, error)
	UpdateGroup(ctx context.Context, actor directory.Actor, orgID, id string, c directory.GroupChange) (*directory.Group, error)
	DeleteGroup(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64) error
}

var _ Directory = (*directory.Service)(nil)
