package directory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// writer creates a user in an organization as one of Roster's writers
// does, and returns the error that writer would report.
type writer struct {
	name   string
	create func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error
}

func writers(f *fixture) []writer {
	connector := func(t *testing.T, org *directory.Org, kind directory.ConnectorKind) directory.SyncScope {
		id := directory.NewID()
		c, err := f.svc.CreateConnector(f.ctx, admin, org.ID, &directory.Connector{Name: string(kind) + "-" + id[len(id)-12:], Kind: kind,
			Settings: []byte(`{}`), Deprovision: directory.DeprovisionSuspend, Threshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		return directory.SyncScope{OrgID: org.ID, ConnectorID: c.ID, Fields: []directory.Attr{directory.UserUserName, directory.UserEmail},
			Actor: directory.Actor{Kind: directory.ActorConnector, ID: c.ID, Name: c.Name, Source: directory.Source(kind)}}
	}
	sync := func(kind directory.ConnectorKind) func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
		return func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
			res, err := f.svc.ApplySyncUsers(f.ctx, connector(t, org, kind), []directory.SyncUserChange{{
				Action: directory.SyncCreate, Ref: directory.NewID(), Active: true, Role: directory.RoleUser,
				Attrs: map[directory.Attr]string{directory.UserUserName: userName, directory.UserEmail: email},
			}})
			if err != nil {
				return err
			}
			return res[0].Err
		}
	}
	return []writer{
		{"the admin API", func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
			_, err := f.svc.CreateUser(f.ctx, admin, org.ID, &directory.User{UserName: userName, Email: email})
			return err
		}},
		{"SCIM", func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
			_, err := f.svc.CreateUser(f.ctx, scim, org.ID, &directory.User{UserName: userName, Email: email, Source: directory.SourceSCIM})
			return err
		}},
		{"an import", func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
			// A row breaking a rule fails alone, next to a good row.
			res, err := f.svc.ImportUsers(f.ctx, admin, org.ID, []directory.ImportRow{{UserName: userName,
				Create: &directory.User{UserName: userName, Email: email, Source: directory.SourceImport}},
				{UserName: "good-" + directory.NewID(), Create: &directory.User{UserName: "good-" + directory.NewID()}}})
			if err != nil {
				t.Fatalf("the import failed as a whole: %v", err)
			}
			if res[1].Err != nil {
				t.Fatalf("the good row failed: %v", res[1].Err)
			}
			return res[0].Err
		}},
		{"a rename by the admin API", func(t *testing.T, f *fixture, org *directory.Org, userName, email string) error {
			u, err := f.svc.CreateUser(f.ctx, admin, org.ID, &directory.User{UserName: "placeholder-" + directory.NewID()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.UpdateUser(f.ctx, admin, org.ID, u.ID, 0, func(u *directory.User) error {
				u.UserName, u.Email = userName, email
				return nil
			})
			return err
		}},
		{"LDAP sync", sync("ldap")},
		{"Entra sync", sync("entra")},
	}
}

// TestIdentityRulesForEveryWriter holds every writer of users to the same
// userName, login email and domain rules.
func TestIdentityRulesForEveryWriter(t *testing.T) {
	f := newFixture(t)
	for i, w := range writers(f) {
		n := string(rune('a' + i))
		t.Run(w.name, func(t *testing.T) {
			t.Run("takes a userName that is no email, in both organizations", func(t *testing.T) {
				for _, org := range []*directory.Org{f.org, f.other} {
					if err := w.create(t, f, org, "jdoe-"+n, ""); err != nil {
						t.Fatalf("jdoe-%s in %s: %v", n, org.Slug, err)
					}
				}
			})
			t.Run("refuses a userName taken in the organization, in any case", func(t *testing.T) {
				wantConflict(t, w.create(t, f, f.org, "JDOE-"+strings.ToUpper(n), ""), "userName", "")
			})
			t.Run("refuses a login email taken in the organization", func(t *testing.T) {
				if err := w.create(t, f, f.org, "first-"+n, "shared-"+n+"@acme.com"); err != nil {
					t.Fatal(err)
				}
				wantConflict(t, w.create(t, f, f.org, "second-"+n, "SHARED-"+n+"@acme.com"), "email", "")
			})
			t.Run("refuses a login email on another organization's verified domain", func(t *testing.T) {
				wantConflict(t, w.create(t, f, f.other, "ceo-"+n, "ceo-"+n+"@acme.com"), "email", "acme.com")
				if err := w.create(t, f, f.org, "ceo-"+n, "ceo-"+n+"@acme.com"); err != nil {
					t.Fatalf("the domain's own organization: %v", err)
				}
			})
			t.Run("takes a deleted user's userName for a new user", func(t *testing.T) {
				u, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "left-" + n})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.DeleteUser(f.ctx, admin, f.org.ID, u.ID, 0); err != nil {
					t.Fatal(err)
				}
				if err := w.create(t, f, f.org, "left-"+n, ""); err != nil {
					t.Fatal(err)
				}
				_, err = f.svc.RestoreUser(f.ctx, admin, f.org.ID, u.ID)
				wantConflict(t, err, "userName", "")
				if got, _ := f.svc.GetUser(f.ctx, f.org.ID, u.ID); !got.Deleted() {
					t.Fatalf("a refused restore left the user %s", got.Status)
				}
			})
		})
	}
}

func wantConflict(t *testing.T, err error, field, mention string) {
	t.Helper()
	var e *directory.Error
	if !errors.As(err, &e) || e.Code != directory.CodeConflict || e.Field != field || !strings.Contains(e.Message, mention) {
		t.Fatalf("got %v, want a conflict on %s mentioning %q", err, field, mention)
	}
}
