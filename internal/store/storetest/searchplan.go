package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// SeedSearchOrg stores an organization of n users (and another of n/10
// that shares their names) for tests of the users search's query plans:
// users named Grace00042 Hopper0042, u0000042@search.example. It returns
// the first organization's id. The caller refreshes the planner's
// statistics.
func SeedSearchOrg(tb testing.TB, s directory.Store, n int) string {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var first string
	for k, size := range []int{n, n / 10} {
		org := &directory.Org{
			ID: newID(), Slug: fmt.Sprintf("search-%d", k), Name: "Search",
			Settings: directory.DefaultOrgSettings(), CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if err := s.Orgs().CreateOrg(ctx, org); err != nil {
			tb.Fatalf("CreateOrg: %v", err)
		}
		if k == 0 {
			first = org.ID
		}
		const chunk = 2000
		for start := 0; start < size; start += chunk {
			users := make([]*directory.User, 0, chunk)
			for i := start; i < min(start+chunk, size); i++ {
				name := fmt.Sprintf("u%07d-%d@search.example", i, k)
				users = append(users, &directory.User{
					ID: newID(), OrgID: org.ID, UserName: name, Email: name,
					GivenName: fmt.Sprintf("Grace%05d", i), FamilyName: fmt.Sprintf("Hopper%04d", i%10000),
					Source: directory.SourceLocal, Role: directory.RoleUser, AuthMethod: directory.AuthLocal,
					Status: directory.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1,
				})
			}
			if err := s.InTx(ctx, func(r directory.Repos) error { return r.Bulk().CreateUsers(ctx, users) }); err != nil {
				tb.Fatalf("CreateUsers: %v", err)
			}
		}
	}
	return first
}

// SearchPageQuery is the query that chooses the first page of the users
// list searched for q, as the stores build it for the console (the page's
// ids, newest first), with its arguments.
func SearchPageQuery(tb testing.TB, d sqlbuild.Dialect, orgID, q string) (string, []any) {
	tb.Helper()
	args := sqlbuild.Args{orgID}
	where, err := d.Where(sqlbuild.Users, searchFor(q), &args)
	if err != nil {
		tb.Fatal(err)
	}
	order, err := d.Order(sqlbuild.Users, directory.Sort{Desc: true})
	if err != nil {
		tb.Fatal(err)
	}
	return "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.status <> 'deleted' AND (" + where + ")" +
		" ORDER BY " + order.By() + " LIMIT " + args.Add(directory.ClampLimit(0)+1), args
}
