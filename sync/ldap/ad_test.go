package ldap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// adDirectory is a fake DC with four users (one disabled) and a group of
// seven members that the server hands out three at a time.
type adDirectory struct {
	srv   *ldaptest.FakeAD
	conn  *ldap.Connector
	guids map[string]string // sAMAccountName → objectGUID
}

func adUserDN(name string) string { return "CN=" + name + ",OU=Staff,DC=corp,DC=test" }

func newADDirectory(t *testing.T) *adDirectory {
	t.Helper()
	srv := ldaptest.StartFakeAD(t)
	srv.RangeSize = 3
	d := &adDirectory{srv: srv, guids: map[string]string{}}
	for i, name := range []string{"alice", "bruno", "chen", "dana"} {
		uac := "512" // NORMAL_ACCOUNT
		if name == "dana" {
			uac = "514" // NORMAL_ACCOUNT | ACCOUNTDISABLE
		}
		d.guids[name] = srv.Add(adUserDN(name), map[string][]string{
			"objectClass": {"top", "person", "organizationalPerson", "user"}, "objectCategory": {"person"},
			"sAMAccountName": {name}, "userPrincipalName": {name + "@corp.test"}, "mail": {name + "@corp.test"},
			"givenName": {strings.ToUpper(name[:1]) + name[1:]}, "sn": {"Staff"}, "userAccountControl": {uac},
			"employeeID": {fmt.Sprintf("E%03d", i)},
		})
	}
	srv.Add("CN=svc-roster,CN=Users,DC=corp,DC=test", map[string][]string{"objectClass": {"user"}, "objectCategory": {"person"}})
	var members []string
	for _, n := range []string{"alice", "bruno", "chen", "dana"} {
		members = append(members, adUserDN(n))
	}
	// Three members outside the user base: still listed, the engine ignores
	// keys it does not know.
	for i := range 3 {
		members = append(members, fmt.Sprintf("CN=contractor%d,OU=External,DC=corp,DC=test", i))
	}
	d.guids["All Staff"] = srv.Add("CN=All Staff,OU=Groups,DC=corp,DC=test", map[string][]string{
		"objectClass": {"top", "group"}, "cn": {"All Staff"}, "member": members,
	})
	d.conn = newConnector(t, ldap.Settings{
		URL: srv.URL, AllowInsecure: true, BindDN: srv.BindDN, UserBaseDN: "OU=Staff,DC=corp,DC=test",
		GroupBaseDN: "OU=Groups,DC=corp,DC=test", PageSize: 2,
	}, srv.BindPassword)
	return d
}

func TestActiveDirectoryFullFetch(t *testing.T) {
	d := newADDirectory(t)

	users, groups, res := fetch(t, d.conn, "")

	if len(users) != 4 {
		t.Fatalf("got %d users, want 4", len(users))
	}
	alice := users[d.guids["alice"]]
	want := &engine.UserRecord{MemberKey: strings.ToLower(adUserDN("alice")), Active: true, Attrs: engine.Attrs{
		directory.UserUserName: "alice@corp.test", directory.UserEmail: "alice@corp.test", directory.UserGivenName: "Alice",
		directory.UserFamilyName: "Staff", directory.UserEmployeeNumber: "E000", directory.UserExternalID: "alice",
	}}
	if diff := cmp.Diff(want, alice.User); diff != "" {
		t.Errorf("alice (-want +got):\n%s", diff)
	}
	if users[d.guids["dana"]].User.Active {
		t.Error("dana's ACCOUNTDISABLE bit was not read as suspended")
	}
	g := groups["All Staff"]
	if g.Ref != d.guids["All Staff"] || len(g.Group.Members) != 7 || g.Group.Members[6] != "cn=contractor2,ou=external,dc=corp,dc=test" {
		t.Errorf("group = %+v, want all 7 members through ranged retrieval", g.Group)
	}
	if !res.Full || !strings.Contains(res.Cursor, `"invocationId":"6b3f2c1a-0d4e-4f5a-9b8c-7d6e5f4a3b2c"`) {
		t.Errorf("result = %+v, want a full fetch pinned to the DC's invocationId", res)
	}
}

func TestActiveDirectoryIncrementalByUSN(t *testing.T) {
	d := newADDirectory(t)
	_, _, first := fetch(t, d.conn, "")

	d.srv.Modify(adUserDN("bruno"), map[string][]string{"title": {"Lead"}, "userAccountControl": {"514"}})
	d.srv.Modify("CN=All Staff,OU=Groups,DC=corp,DC=test", map[string][]string{"member": {adUserDN("alice")}})

	users, groups, second := fetch(t, d.conn, first.Cursor)

	if len(users) != 1 {
		t.Fatalf("users = %v, want only bruno", users)
	}
	if b := users[d.guids["bruno"]].User; b.Active || b.Attrs[directory.UserTitle] != "Lead" {
		t.Errorf("bruno = %+v, want a disabled lead", b)
	}
	if len(groups) != 1 || !cmp.Equal(groups["All Staff"].Group.Members, []string{strings.ToLower(adUserDN("alice"))}) {
		t.Errorf("groups = %v, want All Staff down to alice", groups)
	}
	if second.Full {
		t.Error("incremental run reported full")
	}
	if users, groups, _ := fetch(t, d.conn, second.Cursor); len(users)+len(groups) != 0 {
		t.Errorf("a run with no change read %d users and %d groups", len(users), len(groups))
	}
}

func TestActiveDirectoryCursorFromAnotherDCForcesAFullRun(t *testing.T) {
	d := newADDirectory(t)
	_, _, first := fetch(t, d.conn, "")
	d.srv.SetInvocationID("0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd")

	users, _, res := fetch(t, d.conn, first.Cursor)

	if !res.Full || len(users) != 4 {
		t.Errorf("full = %t with %d users, want a full run of 4", res.Full, len(users))
	}
	if !strings.Contains(res.Cursor, "0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd") {
		t.Errorf("cursor %s is not pinned to the new invocationId", res.Cursor)
	}
}

func TestActiveDirectoryIsDetectedFromTheRootDSE(t *testing.T) {
	d := newADDirectory(t)
	users, _, _ := fetch(t, d.conn, "")
	// objectGUID references are only used for Active Directory.
	if _, ok := users[d.guids["chen"]]; !ok {
		t.Errorf("users are not keyed by objectGUID: %v", users)
	}
}

func TestActiveDirectoryIncrementalRunsReadTombstonesAndMoves(t *testing.T) {
	d := newADDirectory(t)
	first := fetchAll(t, d.conn, "")
	if n := d.srv.ShowDeletedSearches(); n != 0 {
		t.Errorf("a full fetch sent %d Show Deleted searches", n)
	}

	d.srv.Delete(adUserDN("chen"))
	d.srv.Move(adUserDN("bruno"), "OU=Leavers,DC=corp,DC=test")
	d.srv.Delete("CN=All Staff,OU=Groups,DC=corp,DC=test")

	second := fetchAll(t, d.conn, first.res.Cursor)

	// Tombstones are returned only to searches with the control, critical
	// and without a value: without it there would be no removals below.
	if d.srv.ShowDeletedSearches() == 0 {
		t.Error("no search carried a critical Show Deleted control without value")
	}
	if diff := cmp.Diff(map[string]engine.RemoveReason{d.guids["chen"]: engine.RemovedDeleted}, second.removed); diff != "" {
		t.Errorf("removals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{d.guids["All Staff"]: true}, second.groupsRemoved); diff != "" {
		t.Errorf("groups removed (-want +got):\n%s", diff)
	}
	if second.present[d.guids["bruno"]] || second.present[d.guids["chen"]] || !second.present[d.guids["alice"]] || len(second.present) != 2 {
		t.Errorf("present = %v, want alice and dana: bruno moved out of scope, chen deleted", second.present)
	}
	if second.res.Full || !second.res.UsersSwept || !second.res.GroupsSwept {
		t.Errorf("result = %+v, want an incremental fetch that swept", second.res)
	}
}

func TestAnAccountThatMayNotReadTombstonesStillSeesRemovals(t *testing.T) {
	d := newADDirectory(t)
	d.srv.DenyDeletedObjects()
	first := fetchAll(t, d.conn, "")

	d.srv.Delete(adUserDN("chen"))
	second := fetchAll(t, d.conn, first.res.Cursor)

	if d.srv.ShowDeletedSearches() == 0 || len(second.removed) != 0 {
		t.Errorf("%d tombstone searches, removals %v; want one refused and none read", d.srv.ShowDeletedSearches(), second.removed)
	}
	if second.present[d.guids["chen"]] || len(second.present) != 3 || !second.res.UsersSwept {
		t.Errorf("present = %v, swept %t; want the three left, swept, so that chen is deprovisioned", second.present, second.res.UsersSwept)
	}
}

// With nested groups, Active Directory answers each group that holds
// groups with the users in it through any chain (the in-chain matching
// rule): a cycle ends, and a group outside the group base DN counts.
func TestActiveDirectoryNestedGroupsUseTheInChainRule(t *testing.T) {
	d := newADDirectory(t)
	groupDN := func(cn string) string { return "CN=" + cn + ",OU=Groups,DC=corp,DC=test" }
	group := func(dn string, members ...string) {
		d.srv.Add(dn, map[string][]string{"objectClass": {"top", "group"}, "cn": {strings.TrimPrefix(strings.Split(dn, ",")[0], "CN=")}, "member": members})
	}
	// Eng and Platform hold each other; Outside sits out of the group base.
	group(groupDN("Eng"), adUserDN("alice"), groupDN("Platform"))
	group(groupDN("Platform"), adUserDN("bruno"), groupDN("Eng"))
	group("CN=Outside,OU=Other,DC=corp,DC=test", adUserDN("chen"))
	group(groupDN("Everyone"), groupDN("Eng"), "CN=Outside,OU=Other,DC=corp,DC=test")
	group(groupDN("Flat"), adUserDN("dana"))
	s := ldap.Settings{
		URL: d.srv.URL, AllowInsecure: true, BindDN: d.srv.BindDN, UserBaseDN: "OU=Staff,DC=corp,DC=test",
		GroupBaseDN: "OU=Groups,DC=corp,DC=test", PageSize: 2, NestedGroups: true,
	}
	_, groups, _ := fetch(t, newConnector(t, s, d.srv.BindPassword), "")
	key := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = strings.ToLower(adUserDN(n))
		}
		return out
	}
	want := map[string][]string{
		"Eng": key("alice", "bruno"), "Platform": key("alice", "bruno"), "Everyone": key("alice", "bruno", "chen"),
		"Flat": key("dana"), "All Staff": key("alice", "bruno", "chen", "dana"),
	}
	got := map[string][]string{}
	for name, e := range groups {
		got[name] = e.Group.Members
		if !e.Group.Complete {
			t.Errorf("%s is not complete", name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective members (-want +got):\n%s", diff)
	}
	if d.srv.InChainTests() == 0 {
		t.Error("the domain controller was never asked for a membership in chain")
	}
}
