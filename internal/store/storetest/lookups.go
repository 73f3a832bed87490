package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// LookupCases are equality filters SCIM clients send, each with the start
// of its statement (up to the filter's condition) and the index it must
// use on both stores.
var LookupCases = []struct {
	Name  string
	Table sqlbuild.Table
	Query string
	Expr  directory.Expr
	Index string
}{
	{"emails.value eq", sqlbuild.Users, "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.status <> 'deleted' AND ",
		directory.Has{Attr: directory.UserEmails, Where: directory.Eq(directory.EmailValue, "ada@example.com")}, "user_emails_value_idx"},
	{"groups displayName eq", sqlbuild.Groups, "SELECT g.id FROM groups g WHERE g.org_id = $1 AND ",
		directory.Eq(directory.GroupDisplayName, "Engineering"), "groups_display_name_key"},
	{"groups externalId eq", sqlbuild.Groups, "SELECT g.id FROM groups g WHERE g.org_id = $1 AND ",
		directory.Eq(directory.GroupExternalID, "g-42"), "groups_org_external_id_idx"},
}

// SeedLookupOrg stores an organization of n users whose lookup attributes
// (names, display name, externalId, employee number, cost center, email,
// manager) are all distinct, and of n/10 groups, so that the planner's
// statistics (refreshed by the caller) rank each lookup's own index first.
func SeedLookupOrg(tb testing.TB, s directory.Store, n int) string {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	org := &directory.Org{
		ID: newID(), Slug: "lookups", Name: "Lookups",
		Settings: directory.DefaultOrgSettings(), CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		tb.Fatalf("CreateOrg: %v", err)
	}
	users := make([]*directory.User, 0, n)
	for i := range n {
		name := fmt.Sprintf("u%06d@lookups.example", i)
		u := &directory.User{
			ID: newID(), OrgID: org.ID, UserName: name, Email: name, ExternalID: fmt.Sprintf("ext-%d", i),
			GivenName: fmt.Sprintf("Given%06d", i), FamilyName: fmt.Sprintf("Family%06d", i), DisplayName: fmt.Sprintf("Display %06d", i),
			Source: directory.SourceLocal, Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
			Status: directory.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		u.Emails = []directory.Email{{Value: name, Type: "work", Primary: true}}
		u.Enterprise.EmployeeNumber = fmt.Sprintf("E%06d", i)
		u.Enterprise.CostCenter = fmt.Sprintf("CC%06d", i)
		if i > 0 {
			u.Enterprise.ManagerID = users[i-1].ID
		}
		users = append(users, u)
	}
	if err := s.InTx(ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(ctx, users) }); err != nil {
		tb.Fatalf("CreateUsers: %v", err)
	}
	err := s.InTx(ctx, func(r directory.Repos) error {
		for i := range n / 10 {
			g := &directory.Group{
				ID: newID(), OrgID: org.ID, DisplayName: fmt.Sprintf("Group %05d", i), ExternalID: fmt.Sprintf("g-%d", i),
				Source: directory.SourceLocal, CreatedAt: now, UpdatedAt: now, Version: 1,
			}
			if err := r.Groups().CreateGroup(ctx, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("CreateGroup: %v", err)
	}
	return org.ID
}
