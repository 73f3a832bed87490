package importer

import (
	"context"

	"github.com/roster/roster/internal/directory"
)

// findUser finds the user holding a userName in whichever organization
// has one: tests that know a single organization holds the name.
func findUser(ctx context.Context, svc *directory.Service, userName string) (*directory.User, error) {
	orgs, err := svc.ListOrgs(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		u, err := svc.FindUserByUserName(ctx, o.ID, userName)
		if !directory.IsCode(err, directory.CodeNotFound) {
			return u, err
		}
	}
	return nil, directory.Errorf(directory.CodeNotFound, "user not found")
}
