package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// A membership change whose version bump is held for the commit can lose a
// race with the group's deletion: the deletion takes the group's row and
// deletes its members before the change commits. PostgreSQL keeps no
// foreign key from members to groups, so the change must not commit the
// members it added to a group that is gone.
func TestMemberAddLosingToGroupDeletionKeepsNoMembers(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	s := open(t, url)
	ctx := context.Background()
	now := time.Now()
	org := &directory.Org{ID: "org-1", Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(),
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	user := &directory.User{ID: "user-1", OrgID: org.ID, UserName: "ada@acme.example", Email: "ada@acme.example",
		Role: directory.RoleUser, AuthMethod: directory.AuthSSO, Status: directory.StatusActive,
		Source: directory.SourceSCIM, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Users().CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	group := &directory.Group{ID: "group-1", OrgID: org.ID, DisplayName: "Engineering", Source: directory.SourceSCIM,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Groups().CreateGroup(ctx, group); err != nil {
		t.Fatal(err)
	}

	err := s.InTx(ctx, func(r directory.Repos) error {
		added, err := r.Groups().AddMembers(ctx, org.ID, group.ID, []string{user.ID})
		if err != nil {
			return err
		}
		if len(added) != 1 {
			t.Errorf("added %v, want the user", added)
		}
		// The deletion runs on a connection of its own and commits while
		// this transaction holds its uncommitted member row.
		if err := s.Groups().DeleteGroup(ctx, org.ID, group.ID); err != nil {
			t.Errorf("DeleteGroup: %v", err)
		}
		_, err = r.Groups().TouchGroup(ctx, org.ID, group.ID, time.Now())
		return err
	})
	if !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("the change that lost the race: %v, want not found", err)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var members int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM group_members`).Scan(&members); err != nil {
		t.Fatal(err)
	}
	if members != 0 {
		t.Errorf("%d membership rows of a deleted group are left", members)
	}
}
