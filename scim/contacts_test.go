package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// A user shows its email in emails and its phone in phoneNumbers over SCIM
// the same way, whether SCIM, a directory connector, an import or an admin
// created it.
func TestContactsShowTheSameWhateverTheSource(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ctx := context.Background()
		want := `{"emails":[{"value":"%s","type":"work","primary":true}],"phoneNumbers":[{"value":"+1 555 0100","type":"work","primary":true}]}`
		ids := map[string]string{}

		ids["scim"] = e.createUser("scim@acme.example", `,"emails":[{"value":"scim@mail.example","type":"work","primary":true}],
			"phoneNumbers":[{"value":"+1 555 0100","type":"work","primary":true}]`)

		conn, err := e.svc.CreateConnector(ctx, operator, e.org.ID, &directory.Connector{Name: "corp", Kind: "ldap", Deprovision: directory.DeprovisionSuspend})
		if err != nil {
			t.Fatal(err)
		}
		scope := directory.SyncScope{OrgID: e.org.ID, ConnectorID: conn.ID,
			Actor:  directory.Actor{Kind: directory.ActorConnector, ID: conn.ID, Name: "corp", Source: directory.SourceLDAP},
			Fields: []directory.Attr{directory.UserUserName, directory.UserEmail, directory.UserPhone}}
		res, err := e.svc.ApplySyncUsers(ctx, scope, []directory.SyncUserChange{{
			Action: directory.SyncCreate, Ref: "uid=ldap", Active: true,
			Attrs: map[directory.Attr]string{directory.UserUserName: "ldap@acme.example", directory.UserEmail: "ldap@mail.example", directory.UserPhone: "+1 555 0100"},
		}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("ApplySyncUsers: %v %v", err, res)
		}
		ids["ldap"] = res[0].UserID

		imported, err := e.svc.ImportUsers(ctx, operator, e.org.ID, []directory.ImportRow{{
			UserName: "import@acme.example",
			Create:   &directory.User{UserName: "import@acme.example", Email: "import@mail.example", Phone: "+1 555 0100", Source: directory.SourceImport},
		}})
		if err != nil || imported[0].Err != nil {
			t.Fatalf("ImportUsers: %v %v", err, imported)
		}
		ids["import"] = imported[0].User.ID

		admin, err := e.svc.CreateUser(ctx, operator, e.org.ID, &directory.User{UserName: "admin@acme.example", Email: "admin@mail.example", Phone: "+1 555 0100", Source: directory.SourceLocal})
		if err != nil {
			t.Fatal(err)
		}
		ids["admin"] = admin.ID

		for source, id := range ids {
			t.Run("created by "+source, func(t *testing.T) {
				got := e.with(t).must(e.with(t).call("GET", "/Users/"+id, ""), http.StatusOK)
				checkContains(t, got, sprintf(want, source+"@mail.example"))
				for _, list := range []string{"emails", "phoneNumbers"} {
					if n := len(got[list].([]any)); n != 1 {
						t.Errorf("%s has %d entries, want 1", list, n)
					}
				}
				m := e.with(t).must(e.with(t).call("GET", "/Users?filter="+urlQuery(`emails.value eq "`+source+`@mail.example"`), ""), http.StatusOK)
				if m["totalResults"] != float64(1) {
					t.Errorf("filter by emails.value found %v", m["totalResults"])
				}
			})
		}

		// The directory changes the email, then clears the phone: the lists follow.
		res, err = e.svc.ApplySyncUsers(ctx, scope, []directory.SyncUserChange{{
			Action: directory.SyncUpdate, Ref: "uid=ldap", UserID: ids["ldap"], Active: true,
			Attrs: map[directory.Attr]string{directory.UserUserName: "ldap@acme.example", directory.UserEmail: "new@mail.example"},
		}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("ApplySyncUsers: %v %v", err, res)
		}
		got := e.must(e.call("GET", "/Users/"+ids["ldap"], ""), http.StatusOK)
		checkContains(t, got, `{"emails":[{"value":"new@mail.example","type":"work","primary":true}]}`)
		if len(got["emails"].([]any)) != 1 || got["phoneNumbers"] != nil {
			t.Errorf("after the update: emails %v, phoneNumbers %v", got["emails"], got["phoneNumbers"])
		}
	})
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func urlQuery(s string) string { return url.QueryEscape(s) }
