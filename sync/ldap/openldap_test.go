package ldap_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/outbound"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

func startSlapd(t *testing.T) *ldaptest.Slapd {
	t.Helper()
	seed, err := os.ReadFile("testdata/openldap.ldif")
	if err != nil {
		t.Fatal(err)
	}
	return ldaptest.StartSlapd(t, string(seed))
}

func openLDAPSettings(srv *ldaptest.Slapd) ldap.Settings {
	zero := 0
	return ldap.Settings{
		URL: srv.TLSURL, CACert: srv.CACert, BindDN: ldaptest.BindDN,
		UserBaseDN: "ou=people," + ldaptest.BaseDN, GroupBaseDN: "ou=groups," + ldaptest.BaseDN,
		DisabledAttribute: "employeeType", DisabledValues: []string{"disabled"},
		PageSize: 2, ClockSkewSeconds: &zero,
	}
}

func newConnector(t *testing.T, s ldap.Settings, password string) *ldap.Connector {
	t.Helper()
	c, err := ldap.New(s, password, nil, ldap.WithPolicy(ldaptest.Loopback()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fetched is what one fetch emitted, by kind.
type fetched struct {
	users, groups map[string]engine.Entry // groups by name
	// present and removed hold refs: users and groups apart.
	present, groupsPresent map[string]bool
	removed                map[string]engine.RemoveReason
	groupsRemoved          map[string]bool
	res                    engine.FetchResult
}

// fetchAll runs one fetch and returns what it emitted, checking that no
// user (changed, present or removed) comes after a group.
func fetchAll(t *testing.T, c *ldap.Connector, cursor string) fetched {
	t.Helper()
	f := fetched{users: map[string]engine.Entry{}, groups: map[string]engine.Entry{}, present: map[string]bool{},
		groupsPresent: map[string]bool{}, removed: map[string]engine.RemoveReason{}, groupsRemoved: map[string]bool{}}
	sawGroup := false
	res, err := c.Fetch(context.Background(), engine.FetchRequest{Cursor: cursor}, func(e engine.Entry) error {
		switch e.Kind {
		case engine.EntryUser, engine.EntryUserPresent, engine.EntryUserRemoved:
			if sawGroup {
				t.Errorf("%s %s came after a group", e.Kind, e.Ref)
			}
		default:
			sawGroup = true
		}
		switch e.Kind {
		case engine.EntryUser:
			f.users[e.Ref] = e
		case engine.EntryUserPresent:
			f.present[e.Ref] = true
		case engine.EntryUserRemoved:
			f.removed[e.Ref] = e.Reason
		case engine.EntryGroup:
			f.groups[e.Group.DisplayName] = e
		case engine.EntryGroupPresent:
			f.groupsPresent[e.Ref] = true
		case engine.EntryGroupRemoved:
			f.groupsRemoved[e.Ref] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	f.res = res
	return f
}

// fetch runs one fetch and returns the users and groups it read.
func fetch(t *testing.T, c *ldap.Connector, cursor string) (users, groups map[string]engine.Entry, res engine.FetchResult) {
	t.Helper()
	f := fetchAll(t, c, cursor)
	return f.users, f.groups, f.res
}

const (
	adaDN = "uid=ada,ou=people,dc=example,dc=org"
	bobDN = "uid=bob,ou=people,dc=example,dc=org"
	cyDN  = "uid=cy,ou=people,dc=example,dc=org"
	engDN = "cn=engineering,ou=groups,dc=example,dc=org"
)

func TestOpenLDAPFullFetchOverLDAPS(t *testing.T) {
	srv := startSlapd(t)
	c := newConnector(t, openLDAPSettings(srv), ldaptest.BindPassword)

	users, groups, res := fetch(t, c, "")

	wantUsers := map[string]engine.Entry{
		"0a0a0a0a-0000-4000-8000-000000000001": {Kind: engine.EntryUser, Ref: "0a0a0a0a-0000-4000-8000-000000000001",
			User: &engine.UserRecord{MemberKey: adaDN, Active: true, Attrs: engine.Attrs{
				directory.UserUserName: "ada@example.org", directory.UserEmail: "ada@example.org", directory.UserGivenName: "Ada",
				directory.UserFamilyName: "Lovelace", directory.UserDisplayName: "Ada Lovelace", directory.UserTitle: "Analyst",
				directory.UserEmployeeNumber: "1001", directory.UserExternalID: "ada"}}},
		"0a0a0a0a-0000-4000-8000-000000000002": {Kind: engine.EntryUser, Ref: "0a0a0a0a-0000-4000-8000-000000000002",
			User: &engine.UserRecord{MemberKey: bobDN, Active: true, Attrs: engine.Attrs{
				directory.UserUserName: "bob@example.org", directory.UserEmail: "bob@example.org", directory.UserGivenName: "Bob",
				directory.UserFamilyName: "Babbage", directory.UserPhone: "+44 20 7946 0000", directory.UserExternalID: "bob"}}},
		"0a0a0a0a-0000-4000-8000-000000000003": {Kind: engine.EntryUser, Ref: "0a0a0a0a-0000-4000-8000-000000000003",
			User: &engine.UserRecord{MemberKey: cyDN, Active: false, Attrs: engine.Attrs{
				directory.UserUserName: "cy@example.org", directory.UserEmail: "cy@example.org",
				directory.UserFamilyName: "Disabled", directory.UserExternalID: "cy"}}},
	}
	if diff := cmp.Diff(wantUsers, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	wantGroups := map[string][]string{
		"engineering": {adaDN, bobDN}, // the second member was written "UID=Bob, OU=People, …"
		"everyone":    {engDN, cyDN},
		"ops":         {bobDN},
	}
	for name, members := range wantGroups {
		g, ok := groups[name]
		if !ok {
			t.Errorf("group %s missing", name)
			continue
		}
		if diff := cmp.Diff(members, g.Group.Members); diff != "" || !g.Group.Complete || g.Group.MemberKey != "cn="+name+",ou=groups,dc=example,dc=org" {
			t.Errorf("group %s = %+v; members (-want +got):\n%s", name, g.Group, diff)
		}
	}
	if !res.Full || !strings.Contains(res.Cursor, "modifiedSince") {
		t.Errorf("result = %+v, want a full fetch with a modifyTimestamp cursor", res)
	}
}

func TestOpenLDAPConnectionSecurity(t *testing.T) {
	srv := startSlapd(t)
	tests := []struct {
		name    string
		adjust  func(*ldap.Settings)
		pw      string
		wantErr string
	}{
		{"StartTLS with the custom CA connects", func(s *ldap.Settings) { s.URL, s.StartTLS = srv.URL, true }, ldaptest.BindPassword, ""},
		{"ldaps without the custom CA is refused", func(s *ldap.Settings) { s.CACert = "" }, ldaptest.BindPassword, "certificate"},
		{"StartTLS without the custom CA is refused", func(s *ldap.Settings) { s.URL, s.StartTLS, s.CACert = srv.URL, true, "" }, ldaptest.BindPassword, "certificate"},
		{"a wrong password is reported as such", func(s *ldap.Settings) {}, "wrong", "invalid credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openLDAPSettings(srv)
			tt.adjust(&s)
			err := newConnector(t, s, tt.pw).Check(context.Background())
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Check: %v", err)
			}
			if tt.wantErr == "" {
				// Paged searches go through a connection of their own,
				// secured the same way.
				users := 0
				if _, err := newConnector(t, s, tt.pw).Fetch(context.Background(), engine.FetchRequest{Full: true}, func(e engine.Entry) error {
					if e.Kind == engine.EntryUser {
						users++
					}
					return nil
				}); err != nil || users == 0 {
					t.Fatalf("Fetch: %d users, %v", users, err)
				}
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Check = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

// nextSecond waits for the wall clock to enter a new second: modifyTimestamp
// has one-second resolution.
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now) + 10*time.Millisecond)
}

func TestConnectionsFollowTheDestinationPolicy(t *testing.T) {
	srv := startSlapd(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "ldaps://" + closed.Addr().String()
	closed.Close()
	check := func(url string, opts ...ldap.Option) error {
		s := openLDAPSettings(srv)
		s.URL = url
		c, err := ldap.New(s, ldaptest.BindPassword, nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c.Check(context.Background())
	}
	t.Run("by default, a loopback server is refused", func(t *testing.T) {
		if err := check(srv.TLSURL); !errors.Is(err, outbound.ErrDestination) {
			t.Fatalf("Check = %v, want ErrDestination", err)
		}
	})
	t.Run("the refusal is the same whether the port is open or closed", func(t *testing.T) {
		open, shut := check(srv.TLSURL), check(closedURL)
		if open == nil || shut == nil || open.Error() != shut.Error() {
			t.Fatalf("open port: %v; closed port: %v; want one answer", open, shut)
		}
		if strings.Contains(open.Error(), "127.0.0.1") {
			t.Fatalf("the refusal names the address: %v", open)
		}
	})
	t.Run("an allow-listed network is reached", func(t *testing.T) {
		if err := check(srv.TLSURL, ldap.WithPolicy(ldaptest.Loopback())); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an allow-listed host name is reached", func(t *testing.T) {
		p, err := outbound.NewPolicy("localhost")
		if err != nil {
			t.Fatal(err)
		}
		s := openLDAPSettings(srv)
		s.URL = strings.Replace(srv.TLSURL, "127.0.0.1", "localhost", 1)
		c, err := ldap.New(s, ldaptest.BindPassword, nil, ldap.WithPolicy(p))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOpenLDAPIncrementalRunsReadOnlyModifiedEntries(t *testing.T) {
	srv := startSlapd(t)
	c := newConnector(t, openLDAPSettings(srv), ldaptest.BindPassword)
	_, _, first := fetch(t, c, "")

	nextSecond()
	admin := srv.Admin(t)
	mod := ldapv3.NewModifyRequest(bobDN, nil)
	mod.Replace("title", []string{"Director"})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	mod = ldapv3.NewModifyRequest("cn=ops,ou=groups,dc=example,dc=org", nil)
	mod.Add("uniqueMember", []string{adaDN})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	nextSecond()

	users, groups, second := fetch(t, c, first.Cursor)

	if len(users) != 1 || users["0a0a0a0a-0000-4000-8000-000000000002"].User.Attrs[directory.UserTitle] != "Director" {
		t.Errorf("users = %v, want only bob, now a director", users)
	}
	if len(groups) != 1 || !cmp.Equal(groups["ops"].Group.Members, []string{bobDN, adaDN}) {
		t.Errorf("groups = %v, want only ops with its whole membership", groups)
	}
	if second.Full {
		t.Error("incremental run reported full")
	}

	users, groups, _ = fetch(t, c, second.Cursor)
	if len(users)+len(groups) != 0 {
		t.Errorf("a run with no change read %d users and %d groups", len(users), len(groups))
	}
}

func TestOpenLDAPGroupShapes(t *testing.T) {
	srv := startSlapd(t)
	t.Run("nested groups are flattened", func(t *testing.T) {
		s := openLDAPSettings(srv)
		s.NestedGroups = true
		_, groups, _ := fetch(t, newConnector(t, s, ldaptest.BindPassword), "")
		if diff := cmp.Diff([]string{adaDN, bobDN, cyDN}, groups["everyone"].Group.Members); diff != "" {
			t.Errorf("everyone (-want +got):\n%s", diff)
		}
	})
	t.Run("a cycle of nested groups ends", func(t *testing.T) {
		// engineering ∋ everyone ∋ engineering, and ops ∋ everyone.
		admin := srv.Admin(t)
		add := ldapv3.NewModifyRequest(engDN, nil)
		add.Add("member", []string{"cn=everyone,ou=groups,dc=example,dc=org"})
		if err := admin.Modify(add); err != nil {
			t.Fatal(err)
		}
		ops := ldapv3.NewModifyRequest("cn=ops,ou=groups,dc=example,dc=org", nil)
		ops.Add("uniqueMember", []string{"cn=everyone,ou=groups,dc=example,dc=org"})
		if err := admin.Modify(ops); err != nil {
			t.Fatal(err)
		}
		s := openLDAPSettings(srv)
		s.NestedGroups = true
		_, groups, _ := fetch(t, newConnector(t, s, ldaptest.BindPassword), "")
		for _, name := range []string{"engineering", "everyone"} {
			if diff := cmp.Diff([]string{adaDN, bobDN, cyDN}, groups[name].Group.Members); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
		if m := groups["ops"].Group.Members; !slices.Contains(m, adaDN) || !slices.Contains(m, cyDN) {
			t.Errorf("ops = %v, want everyone's members among its own", m)
		}
	})
	t.Run("posixGroup members are matched by uid", func(t *testing.T) {
		s := openLDAPSettings(srv)
		s.GroupFilter, s.MemberAttributes, s.MemberKeyAttribute = "(objectClass=posixGroup)", []string{"memberUid"}, "uid"
		users, groups, _ := fetch(t, newConnector(t, s, ldaptest.BindPassword), "")
		if len(groups) != 1 || !cmp.Equal(groups["posix"].Group.Members, []string{"ada"}) {
			t.Errorf("groups = %v, want posix with ada", groups)
		}
		if k := users["0a0a0a0a-0000-4000-8000-000000000001"].User.MemberKey; k != "ada" {
			t.Errorf("ada's member key = %q, want her uid", k)
		}
	})
}

func TestSettingsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		s    ldap.Settings
		want string
	}{
		{"everything missing", ldap.Settings{}, "is not an ldap:// or ldaps:// URL; bindDn is required; userBaseDn is required"},
		{"plain ldap needs StartTLS", ldap.Settings{URL: "ldap://dc:389", BindDN: "x", UserBaseDN: "y"}, "sends the bind password in clear"},
		{"StartTLS over ldaps", ldap.Settings{URL: "ldaps://dc", StartTLS: true, BindDN: "x", UserBaseDN: "y"}, "already encrypted"},
		{"a CA must be PEM", ldap.Settings{URL: "ldaps://dc", CACert: "nope", BindDN: "x", UserBaseDN: "y"}, "no PEM certificate"},
		{"filters are parenthesized", ldap.Settings{URL: "ldaps://dc", BindDN: "x", UserBaseDN: "y", UserFilter: "uid=*"}, "parenthesized"},
		{"flavors are known", ldap.Settings{URL: "ldaps://dc", BindDN: "x", UserBaseDN: "y", Flavor: "novell"}, "flavor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ldap.New(tt.s, "pw", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestOpenLDAPIncrementalRunsSeeDeletionsAndMovesOutOfScope(t *testing.T) {
	srv := startSlapd(t)
	c := newConnector(t, openLDAPSettings(srv), ldaptest.BindPassword)
	first := fetchAll(t, c, "")

	nextSecond()
	admin := srv.Admin(t)
	if err := admin.Del(ldapv3.NewDelRequest(cyDN, nil)); err != nil {
		t.Fatal(err)
	}
	// bob moves out of the user base: out of scope, as good as gone.
	if err := admin.ModifyDN(ldapv3.NewModifyDNRequest(bobDN, "uid=bob", true, "ou=services,"+ldaptest.BaseDN)); err != nil {
		t.Fatal(err)
	}
	if err := admin.Del(ldapv3.NewDelRequest("cn=ops,ou=groups,dc=example,dc=org", nil)); err != nil {
		t.Fatal(err)
	}
	nextSecond()

	second := fetchAll(t, c, first.res.Cursor)

	if second.res.Full || !second.res.UsersSwept || !second.res.GroupsSwept {
		t.Errorf("result = %+v, want an incremental fetch that swept", second.res)
	}
	if diff := cmp.Diff(map[string]bool{"0a0a0a0a-0000-4000-8000-000000000001": true}, second.present); diff != "" {
		t.Errorf("users present (-want +got):\n%s", diff)
	}
	if len(second.groupsPresent) != 2 || second.groupsPresent["0b0b0b0b-0000-4000-8000-000000000003"] {
		t.Errorf("groups present = %v, want the two left: ops was deleted", second.groupsPresent)
	}
	if len(second.users) != 0 {
		t.Errorf("users read in full = %v, want none (none changed in scope)", second.users)
	}
}

func TestCheckFindsAttributesTheSchemaDoesNotDefine(t *testing.T) {
	srv := startSlapd(t)
	for _, tc := range []struct {
		name    string
		edit    func(*ldap.Settings)
		missing []string // what the error names; none: the check passes
	}{
		{"the default mapping", func(*ldap.Settings) {}, nil},
		{"a mapped alias and an option", func(s *ldap.Settings) {
			s.Mapping = engine.Mapping{directory.UserTitle: "title;lang-en", directory.UserFamilyName: "surname"}
		}, nil},
		{"a typo in the mapping", func(s *ldap.Settings) {
			s.Mapping = engine.Mapping{directory.UserTitle: "titel", directory.UserEmployeeNumber: "employeeNumbr"}
		}, []string{"titel (mapped to title)", "employeeNumbr (mapped to " + string(directory.UserEmployeeNumber) + ")"}},
		{"a typo in the settings", func(s *ldap.Settings) { s.DisabledAttribute = "employeTyp" }, []string{"employeTyp (disabledAttribute)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openLDAPSettings(srv)
			tc.edit(&s)
			err := newConnector(t, s, ldaptest.BindPassword).Check(context.Background())
			if tc.missing == nil {
				if err != nil {
					t.Errorf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check passed")
			}
			for _, m := range tc.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Check: %v; want it to name %s", err, m)
				}
			}
		})
	}
}
