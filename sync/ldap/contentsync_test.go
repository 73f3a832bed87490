package ldap_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// gone says which of the known refs a fetch reports gone: those it names
// removed, and, when it swept, those it does not name at all.
func gone(known []string, f fetched, groups bool) []string {
	named, removed, swept := map[string]bool{}, f.removed, f.res.UsersSwept
	for ref := range f.users {
		named[ref] = true
	}
	for ref := range f.present {
		named[ref] = true
	}
	if groups {
		named, swept = map[string]bool{}, f.res.GroupsSwept
		for _, g := range f.groups {
			named[g.Ref] = true
		}
		for ref := range f.groupsPresent {
			named[ref] = true
		}
		removed = map[string]engine.RemoveReason{}
		for ref := range f.groupsRemoved {
			removed[ref] = "deleted"
		}
	}
	var out []string
	for _, ref := range known {
		if _, ok := removed[ref]; ok || (swept && !named[ref]) {
			out = append(out, ref)
		}
	}
	sort.Strings(out)
	return out
}

func startSyncprov(t *testing.T) *ldaptest.Slapd {
	t.Helper()
	seed, err := os.ReadFile("testdata/openldap.ldif")
	if err != nil {
		t.Fatal(err)
	}
	return ldaptest.StartSlapdSyncprov(t, string(seed))
}

const (
	adaUUID = "0a0a0a0a-0000-4000-8000-000000000001"
	bobUUID = "0a0a0a0a-0000-4000-8000-000000000002"
	cyUUID  = "0a0a0a0a-0000-4000-8000-000000000003"
)

func TestOpenLDAPContentSyncReadsChangesAndRemovals(t *testing.T) {
	srv := startSyncprov(t)
	c := newConnector(t, openLDAPSettings(srv), ldaptest.BindPassword)

	first := fetchAll(t, c, "")
	if !first.res.Full || len(first.users) != 3 || len(first.groups) != 3 || !strings.Contains(first.res.Cursor, `"contentSync":true`) {
		t.Fatalf("first fetch = full %t, %d users, %d groups, cursor %s; want the whole content by content sync",
			first.res.Full, len(first.users), len(first.groups), first.res.Cursor)
	}
	if u := first.users[bobUUID].User; u == nil || u.Attrs[directory.UserUserName] == "" {
		t.Errorf("bob = %+v, want him mapped by his entryUUID", u)
	}
	knownUsers := []string{adaUUID, bobUUID, cyUUID}
	var knownGroups []string
	for _, g := range first.groups {
		knownGroups = append(knownGroups, g.Ref)
	}

	admin := srv.Admin(t)
	mod := ldapv3.NewModifyRequest(bobDN, nil)
	mod.Replace("title", []string{"Director"})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	if err := admin.Del(ldapv3.NewDelRequest(cyDN, nil)); err != nil {
		t.Fatal(err)
	}
	// ada moves out of the user base: as good as gone.
	if err := admin.ModifyDN(ldapv3.NewModifyDNRequest(adaDN, "uid=ada", true, "ou=services,"+ldaptest.BaseDN)); err != nil {
		t.Fatal(err)
	}
	if err := admin.Del(ldapv3.NewDelRequest("cn=ops,ou=groups,dc=example,dc=org", nil)); err != nil {
		t.Fatal(err)
	}

	second := fetchAll(t, c, first.res.Cursor)

	if second.res.Full {
		t.Error("a fetch from a cookie reported full")
	}
	if len(second.users) != 1 || second.users[bobUUID].User.Attrs[directory.UserTitle] != "Director" {
		t.Errorf("changed users = %v, want only bob, now a director", second.users)
	}
	if diff := cmp.Diff([]string{adaUUID, cyUUID}, gone(knownUsers, second, false)); diff != "" {
		t.Errorf("users gone (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{first.groups["ops"].Ref}, gone(knownGroups, second, true)); diff != "" {
		t.Errorf("groups gone (-want +got):\n%s", diff)
	}

	third := fetchAll(t, c, second.res.Cursor)
	if len(third.users)+len(third.groups) != 0 || len(gone([]string{bobUUID}, third, false)) != 0 {
		t.Errorf("a fetch with no change read %d users and %d groups, gone %v", len(third.users), len(third.groups),
			gone([]string{bobUUID}, third, false))
	}
}

func TestOpenLDAPContentSyncCanBeTurnedOff(t *testing.T) {
	srv := startSyncprov(t)
	s := openLDAPSettings(srv)
	s.NoContentSync = true
	first := fetchAll(t, newConnector(t, s, ldaptest.BindPassword), "")
	if strings.Contains(first.res.Cursor, "contentSync") || !strings.Contains(first.res.Cursor, "modifiedSince") {
		t.Errorf("cursor = %s, want a modifyTimestamp cursor", first.res.Cursor)
	}
}

// A content synchronisation is one request, however many entries it
// brings: it must not end after the connection's timeout, nor lose an
// entry, while the run is slow to take them (writing them to Roster).
func TestOpenLDAPContentSyncOutlastsTheTimeoutWhileTheServerAnswers(t *testing.T) {
	seed, err := os.ReadFile("testdata/openldap.ldif")
	if err != nil {
		t.Fatal(err)
	}
	const extra = 40
	var b strings.Builder
	b.Write(seed)
	for i := range extra {
		fmt.Fprintf(&b, "\ndn: uid=slow%02d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: slow%02d\ncn: Slow %d\nsn: Slow\nmail: slow%02d@example.org\n", i, i, i, i)
	}
	srv := ldaptest.StartSlapdSyncprov(t, b.String())
	s := openLDAPSettings(srv)
	s.TimeoutSeconds = 1
	c := newConnector(t, s, ldaptest.BindPassword)

	users := 0
	start := time.Now()
	_, err = c.Fetch(context.Background(), engine.FetchRequest{}, func(e engine.Entry) error {
		if e.Kind == engine.EntryUser {
			users++
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Fetch after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("the fetch took %v, not long enough to pass the 1 s timeout", took)
	}
	if users != extra+3 {
		t.Errorf("the fetch read %d users, want %d", users, extra+3)
	}
}
