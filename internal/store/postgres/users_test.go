package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// Concurrent updates of one user, each adding an email: through the
// service that created the user, which updates from its copy while the
// others move the user on (the guarded updates that lose fail their
// commits and run again on the stored user), and through a service with no
// copy, whose updates read and lock the user. Every change must land and
// be audited once.
func TestConcurrentUpdatesAllLand(t *testing.T) {
	s := open(t, pgtest.NewDatabaseURL(t))
	ctx := context.Background()
	svc := directory.NewService(s, time.Now)
	actor := directory.Actor{Kind: directory.ActorToken, ID: "token-1", Name: "Entra", Source: directory.SourceSCIM}
	org, err := svc.CreateOrg(ctx, actor, &directory.Org{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	for name, through := range map[string]func() *directory.Service{
		"from a copy":      func() *directory.Service { return svc },
		"reading the user": func() *directory.Service { return directory.NewService(s, time.Now) },
	} {
		t.Run(name, func(t *testing.T) {
			u, err := svc.CreateUser(ctx, actor, org.ID, &directory.User{UserName: strings.ReplaceAll(name, " ", "-") + "@acme.example"}) // svc remembers it
			if err != nil {
				t.Fatal(err)
			}
			writer := through()
			const writers = 16
			errs := make(chan error, writers)
			for i := range writers {
				go func() {
					_, err := writer.UpdateUser(ctx, actor, org.ID, u.ID, 0, func(u *directory.User) error {
						u.Emails = append(u.Emails, directory.Email{Value: fmt.Sprintf("alias%02d@acme.example", i), Type: "other"})
						return nil
					})
					errs <- err
				}()
			}
			for range writers {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Users().GetUser(ctx, org.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Emails) != writers || got.Version != u.Version+writers {
				t.Errorf("%d emails at version %d, want %d at %d: an update was lost", len(got.Emails), got.Version, writers, u.Version+writers)
			}
			page, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{TargetID: u.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) != 1+writers {
				t.Errorf("%d audit events, want the create and %d updates", len(page.Events), writers)
			}
		})
	}
}
