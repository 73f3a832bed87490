package entra_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// fixture is a fake tenant with a connector pointed at it.
type fixture struct {
	graph  *entratest.Server
	conn   *entra.Connector
	sleeps []time.Duration
}

func newFixture(t *testing.T, s entra.Settings) *fixture {
	t.Helper()
	f := &fixture{graph: entratest.New()}
	t.Cleanup(f.graph.Close)
	s.TenantID, s.ClientID = f.graph.TenantID, f.graph.ClientID
	s.AuthorityURL, s.GraphURL = f.graph.URL, f.graph.URL
	conn, err := entra.New(s, f.graph.ClientSecret,
		entra.WithHTTPClient(f.graph.Client()),
		entra.WithSleep(func(ctx context.Context, d time.Duration) error {
			f.sleeps = append(f.sleeps, d)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	f.conn = conn
	return f
}

// fetch runs one fetch and returns what it emitted.
func (f *fixture) fetch(t *testing.T, cursor string) ([]engine.Entry, engine.FetchResult) {
	t.Helper()
	var got []engine.Entry
	res, err := f.conn.Fetch(context.Background(), engine.FetchRequest{Cursor: cursor}, func(e engine.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return got, res
}

func user(n int, enabled bool) entratest.User {
	name := []string{"ada", "bob", "cy", "dee", "eve", "fay", "gus"}[n%7]
	return entratest.User{
		ID: entratest.ID(n), UserPrincipalName: name + "@contoso.test", Mail: name + "@contoso.test",
		GivenName: strings.ToUpper(name[:1]) + name[1:], Surname: "Tester", DisplayName: name + " Tester",
		JobTitle: "Engineer", AccountEnabled: enabled,
	}
}

func userEntry(n int, active bool) engine.Entry {
	u := user(n, active)
	return engine.Entry{Kind: engine.EntryUser, Ref: u.ID, User: &engine.UserRecord{Active: active, Attrs: engine.Attrs{
		directory.UserUserName: u.UserPrincipalName, directory.UserEmail: u.Mail, directory.UserGivenName: u.GivenName,
		directory.UserFamilyName: u.Surname, directory.UserDisplayName: u.DisplayName, directory.UserTitle: u.JobTitle,
	}}}
}

func TestFullRoundPagesUsersAndMergesGroupMembersAcrossPages(t *testing.T) {
	f := newFixture(t, entra.Settings{})
	f.graph.PageSize, f.graph.MemberPageSize = 2, 2
	for n := 1; n <= 5; n++ {
		f.graph.PutUser(user(n, n != 3))
	}
	f.graph.PutGroup(entratest.ID(100), "Engineering")
	f.graph.AddMembers(entratest.ID(100), entratest.ID(1), entratest.ID(2), entratest.ID(3), entratest.ID(4), entratest.ID(5))
	f.graph.PutGroup(entratest.ID(101), "Empty")
	f.graph.PutGroup(entratest.ID(102), "Nested parent")
	f.graph.AddMembers(entratest.ID(102), entratest.ID(1), entratest.ID(100))

	got, res := f.fetch(t, "")

	want := []engine.Entry{userEntry(1, true), userEntry(2, true), userEntry(3, false), userEntry(4, true), userEntry(5, true),
		{Kind: engine.EntryGroup, Ref: entratest.ID(100), Group: &engine.GroupRecord{DisplayName: "Engineering", Complete: true,
			Members: []string{entratest.ID(1), entratest.ID(2), entratest.ID(3), entratest.ID(4), entratest.ID(5)}}},
		{Kind: engine.EntryGroup, Ref: entratest.ID(101), Group: &engine.GroupRecord{DisplayName: "Empty", Complete: true}},
		{Kind: engine.EntryGroup, Ref: entratest.ID(102), Group: &engine.GroupRecord{DisplayName: "Nested parent", Complete: true,
			Members: []string{entratest.ID(1)}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if !res.Full || res.Cursor == "" {
		t.Errorf("result = %+v, want a full fetch with a cursor", res)
	}
	reqs := f.graph.Requests()
	if !strings.Contains(reqs[0], "/v1.0/users/delta?$select=") || !strings.Contains(reqs[0], "userPrincipalName") ||
		!strings.Contains(reqs[0], "accountEnabled") {
		t.Errorf("first request %q does not select the mapped properties", reqs[0])
	}
	// 5 users in pages of 2, then 3 groups whose 5+2 members come 2 at a time.
	if n := countPrefix(reqs, "/v1.0/users/delta"); n != 3 {
		t.Errorf("users pages = %d, want 3", n)
	}
	if n := countPrefix(reqs, "/v1.0/groups/delta"); n < 4 {
		t.Errorf("groups pages = %d, want the large group split over several", n)
	}
}

func countPrefix(reqs []string, p string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, p) {
			n++
		}
	}
	return n
}

func TestIncrementalRoundReportsOnlyChanges(t *testing.T) {
	f := newFixture(t, entra.Settings{})
	f.graph.PageSize = 3
	for n := 1; n <= 6; n++ {
		f.graph.PutUser(user(n, true))
	}
	g, gone := entratest.ID(100), entratest.ID(101)
	f.graph.PutGroup(g, "Engineering")
	f.graph.AddMembers(g, entratest.ID(1), entratest.ID(2))
	f.graph.PutGroup(gone, "Old team")
	_, first := f.fetch(t, "")

	f.graph.UpdateUser(entratest.ID(1), func(u *entratest.User) { u.JobTitle = "Manager" })
	f.graph.UpdateUser(entratest.ID(2), func(u *entratest.User) { u.AccountEnabled = false })
	f.graph.DeleteUser(entratest.ID(3), false)
	f.graph.DeleteUser(entratest.ID(4), true)
	f.graph.PutUser(user(7, true))
	f.graph.AddMembers(g, entratest.ID(5))
	f.graph.RemoveMembers(g, entratest.ID(1))
	f.graph.DeleteGroup(gone, true)

	got, res := f.fetch(t, first.Cursor)

	manager := userEntry(1, true)
	manager.User.Attrs[directory.UserTitle] = "Manager"
	want := []engine.Entry{manager, userEntry(2, false),
		{Kind: engine.EntryUserRemoved, Ref: entratest.ID(3), Reason: engine.RemovedChanged},
		{Kind: engine.EntryUserRemoved, Ref: entratest.ID(4), Reason: engine.RemovedDeleted},
		userEntry(7, true),
		{Kind: engine.EntryGroup, Ref: g, Group: &engine.GroupRecord{DisplayName: "Engineering",
			Members: []string{entratest.ID(5)}, Removed: []string{entratest.ID(1)}}},
		{Kind: engine.EntryGroupRemoved, Ref: gone, Reason: engine.RemovedDeleted},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if res.Full {
		t.Error("an incremental round reported itself full")
	}

	again, _ := f.fetch(t, res.Cursor)
	if len(again) != 0 {
		t.Errorf("a round with no change emitted %d entries", len(again))
	}
}

func TestThrottledRequestsAreRetried(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration
	}{
		{"429 waits as long as Retry-After says", http.StatusTooManyRequests, "7", 7 * time.Second},
		{"503 without Retry-After backs off", http.StatusServiceUnavailable, "", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, entra.Settings{Groups: entra.GroupsNone})
			f.graph.PutUser(user(1, true))
			f.graph.Throttle(2, tt.status, tt.retryAfter)

			got, _ := f.fetch(t, "")

			if len(got) != 1 {
				t.Fatalf("got %d entries, want 1", len(got))
			}
			want := []time.Duration{tt.want, tt.want}
			if tt.retryAfter == "" {
				want = []time.Duration{time.Second, 2 * time.Second}
			}
			if diff := cmp.Diff(want, f.sleeps); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestThrottlingBeyondTheRetryBudgetFails(t *testing.T) {
	f := newFixture(t, entra.Settings{MaxRetries: 2})
	f.graph.Throttle(3, http.StatusTooManyRequests, "1")
	_, err := f.conn.Fetch(context.Background(), engine.FetchRequest{}, func(engine.Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("err = %v, want a 429 failure", err)
	}
}

func TestExpiredDeltaTokenRestartsWithAFullRead(t *testing.T) {
	for name, mode := range map[string]entratest.ExpiryMode{
		"410 Gone":          entratest.ExpireGone,
		"syncStateNotFound": entratest.ExpireSyncStateNotFound,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, entra.Settings{})
			f.graph.PutUser(user(1, true))
			f.graph.PutUser(user(2, true))
			f.graph.PutGroup(entratest.ID(100), "Team")
			f.graph.AddMembers(entratest.ID(100), entratest.ID(1))
			_, first := f.fetch(t, "")
			f.graph.ExpireDeltaTokens(mode)

			got, res := f.fetch(t, first.Cursor)

			if !res.Full {
				t.Error("a resync was not reported as full")
			}
			if len(got) != 3 || got[2].Kind != engine.EntryGroup || !got[2].Group.Complete {
				t.Errorf("entries = %+v, want both users and the complete group again", got)
			}
			if _, again := f.fetch(t, res.Cursor); again.Full {
				t.Error("the cursor after a resync does not work")
			}
		})
	}
}

func TestSelectionOfGroups(t *testing.T) {
	t.Run("listed groups are read through an id filter", func(t *testing.T) {
		f := newFixture(t, entra.Settings{GroupIDs: []string{entratest.ID(101)}})
		f.graph.PutGroup(entratest.ID(100), "Skipped")
		f.graph.PutGroup(entratest.ID(101), "Wanted")
		got, _ := f.fetch(t, "")
		if len(got) != 1 || got[0].Ref != entratest.ID(101) {
			t.Errorf("entries = %+v, want only the listed group", got)
		}
	})
	t.Run("none reads no groups at all", func(t *testing.T) {
		f := newFixture(t, entra.Settings{Groups: entra.GroupsNone})
		f.graph.PutGroup(entratest.ID(100), "Skipped")
		f.fetch(t, "")
		if n := countPrefix(f.graph.Requests(), "/v1.0/groups"); n != 0 {
			t.Errorf("%d group requests, want none", n)
		}
	})
}

func TestMappingReadsNestedPropertiesIntoCustomProperties(t *testing.T) {
	f := newFixture(t, entra.Settings{Mapping: engine.Mapping{
		"properties.costCode":  "onPremisesExtensionAttributes.extensionAttribute1",
		directory.UserUserName: "mail",
	}})
	u := user(1, true)
	u.Mail = "ada.work@contoso.test"
	u.Extra = map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute1": "CC-42"}}
	f.graph.PutUser(u)

	got, _ := f.fetch(t, "")

	attrs := got[0].User.Attrs
	if attrs["properties.costCode"] != "CC-42" || attrs[directory.UserUserName] != "ada.work@contoso.test" {
		t.Errorf("attrs = %v", attrs)
	}
	if !strings.Contains(f.graph.Requests()[0], "onPremisesExtensionAttributes") {
		t.Errorf("request %q does not select the extension attributes", f.graph.Requests()[0])
	}
}

func TestWrongClientSecretFailsBeforeReadingAnything(t *testing.T) {
	g := entratest.New()
	defer g.Close()
	conn, err := entra.New(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL},
		"wrong", entra.WithHTTPClient(g.Client()))
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("Check = %v, want invalid_client", err)
	}
	if err := conn.Check(context.Background()); err == nil {
		t.Fatal("Check succeeded with a wrong secret")
	}
	if len(g.Requests()) != 0 {
		t.Errorf("Graph was called without a token: %v", g.Requests())
	}
}

func TestEmitErrorStopsTheFetch(t *testing.T) {
	f := newFixture(t, entra.Settings{})
	f.graph.PutUser(user(1, true))
	f.graph.PutUser(user(2, true))
	stop := errors.New("stop")
	n := 0
	_, err := f.conn.Fetch(context.Background(), engine.FetchRequest{}, func(engine.Entry) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d entries, want stop after 1", err, n)
	}
}

func TestSettingsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		s    entra.Settings
		want string
	}{
		{"tenant and client are required", entra.Settings{}, "tenantId is required; clientId is required"},
		{"graph URL must be http(s)", entra.Settings{TenantID: "t", ClientID: "c", GraphURL: "ftp://x"}, "graphUrl"},
		{"group ids must be object ids", entra.Settings{TenantID: "t", ClientID: "c", GroupIDs: []string{"nope"}}, "not an object id"},
		{"unknown fields are refused", entra.Settings{TenantID: "t", ClientID: "c", Mapping: engine.Mapping{"shoeSize": "x"}}, "unknown field"},
		{"group mode is checked", entra.Settings{TenantID: "t", ClientID: "c", Groups: "some"}, "groups must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := entra.New(tt.s, "secret")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLinksOutsideTheGraphHostAreRefused(t *testing.T) {
	g := entratest.New()
	defer g.Close()
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the token went to another host: %s", r.Header.Get("Authorization"))
	}))
	defer evil.Close()
	// A Graph whose nextLink points elsewhere.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			g.Config.Handler.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value":[],"@odata.nextLink":%q}`, evil.URL+"/v1.0/users/delta?$skiptoken=x")
	}))
	defer front.Close()
	g.URL = front.URL // the token endpoint checks the scope against it
	conn, err := entra.New(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: front.URL, GraphURL: front.URL},
		g.ClientSecret, entra.WithHTTPClient(front.Client()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Fetch(context.Background(), engine.FetchRequest{}, func(engine.Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "refusing link") {
		t.Fatalf("err = %v, want the foreign link refused", err)
	}
}

// The schema the console builds its form from names every setting, and
// nothing else (the mapping is the connector's, not its settings').
func TestSettingsSchemaDescribesEverySetting(t *testing.T) {
	var want []string
	st := reflect.TypeFor[entra.Settings]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name != "mapping" {
			want = append(want, name)
		}
	}
	k := entra.Kind()
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(k.Settings, &schema); err != nil {
		t.Fatal(err)
	}
	var got []string
	for name := range schema.Properties {
		got = append(got, name)
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("schema properties (-settings +schema):\n%s", diff)
	}
	if k.Name != entra.KindName || k.Source != directory.SourceEntra {
		t.Errorf("kind %s of source %s, want entra", k.Name, k.Source)
	}
}

// The catalogue's Entra sources include a nested property (the cost
// center in employeeOrgData) and officeLocation: the default mapping
// selects and reads both as Graph sends them.
func TestDefaultMappingReadsOfficeLocationAndTheCostCenter(t *testing.T) {
	f := newFixture(t, entra.Settings{})
	u := user(1, true)
	u.Extra = map[string]any{
		"officeLocation":  "Building 7",
		"employeeOrgData": map[string]any{"costCenter": "CC-7", "division": "Cloud"},
	}
	f.graph.PutUser(u)

	got, _ := f.fetch(t, "")

	attrs := got[0].User.Attrs
	if attrs[directory.UserOfficeLocation] != "Building 7" || attrs[directory.UserCostCenter] != "CC-7" {
		t.Errorf("attrs = %v", attrs)
	}
	sel := f.graph.Requests()[0]
	for _, want := range []string{"officeLocation", "employeeOrgData"} {
		if !strings.Contains(sel, want) {
			t.Errorf("request %q does not select %s", sel, want)
		}
	}
}

// groupsOf keeps the group entries of a fetch, by ref.
func groupsOf(entries []engine.Entry) map[string]*engine.GroupRecord {
	out := map[string]*engine.GroupRecord{}
	for _, e := range entries {
		if e.Kind == engine.EntryGroup {
			out[e.Ref] = e.Group
		}
	}
	return out
}

// With nestedGroups, a group's members are its users and those of the
// groups inside it, cycles ending; every run reads the groups whole, so
// that a user leaving an inner group leaves the outer one too.
func TestNestedGroupsGiveEffectiveMembers(t *testing.T) {
	f := newFixture(t, entra.Settings{NestedGroups: true})
	f.graph.PageSize, f.graph.MemberPageSize = 2, 2
	for n := 1; n <= 4; n++ {
		f.graph.PutUser(user(n, true))
	}
	outer, inner, loopA, loopB := entratest.ID(100), entratest.ID(101), entratest.ID(102), entratest.ID(103)
	f.graph.PutGroup(outer, "Outer")
	f.graph.PutGroup(inner, "Inner")
	f.graph.PutGroup(loopA, "Loop A")
	f.graph.PutGroup(loopB, "Loop B")
	f.graph.AddMembers(outer, entratest.ID(1), inner)
	f.graph.AddMembers(inner, entratest.ID(2), entratest.ID(3))
	f.graph.AddMembers(loopA, entratest.ID(4), loopB)
	f.graph.AddMembers(loopB, loopA, entratest.ID(1))

	got, res := f.fetch(t, "")
	groups := groupsOf(got)
	want := map[string][]string{
		outer: {entratest.ID(1), entratest.ID(2), entratest.ID(3)},
		inner: {entratest.ID(2), entratest.ID(3)},
		loopA: {entratest.ID(1), entratest.ID(4)},
		loopB: {entratest.ID(1), entratest.ID(4)},
	}
	for id, members := range want {
		if g := groups[id]; g == nil || !g.Complete || !cmp.Equal(members, g.Members) {
			t.Errorf("group %s = %+v, want complete with %v", id, g, members)
		}
	}

	f.graph.RemoveMembers(inner, entratest.ID(3))
	got, res = f.fetch(t, res.Cursor)
	groups = groupsOf(got)
	if g := groups[outer]; g == nil || !g.Complete || !cmp.Equal([]string{entratest.ID(1), entratest.ID(2)}, g.Members) {
		t.Errorf("after a removal from the inner group, outer = %+v, want complete with users 1 and 2", g)
	}
	if len(groups) != 4 || res.Full || !res.GroupsSwept {
		t.Errorf("incremental run: %d groups, result %+v; want all 4 groups read whole and swept", len(groups), res)
	}
}

// Without nestedGroups, a group's nested groups are left out, as before.
func TestGroupsInGroupsAreIgnoredWithoutNestedGroups(t *testing.T) {
	f := newFixture(t, entra.Settings{})
	f.graph.PutUser(user(1, true))
	f.graph.PutUser(user(2, true))
	f.graph.PutGroup(entratest.ID(100), "Outer")
	f.graph.PutGroup(entratest.ID(101), "Inner")
	f.graph.AddMembers(entratest.ID(100), entratest.ID(1), entratest.ID(101))
	f.graph.AddMembers(entratest.ID(101), entratest.ID(2))
	got, res := f.fetch(t, "")
	if g := groupsOf(got)[entratest.ID(100)]; !cmp.Equal([]string{entratest.ID(1)}, g.Members) {
		t.Errorf("outer = %v, want its own user only", g.Members)
	}
	_, res = f.fetch(t, res.Cursor)
	if res.GroupsSwept {
		t.Error("an incremental run without nestedGroups claims to have read every group")
	}
}

// With listed groups, the groups nested in them are not read: Graph's
// transitiveMembers answers each listed group's users, paged.
func TestNestedListedGroupsAskGraphForTransitiveMembers(t *testing.T) {
	outer, inner, deep := entratest.ID(100), entratest.ID(101), entratest.ID(102)
	f := newFixture(t, entra.Settings{NestedGroups: true, Groups: entra.GroupsListed, GroupIDs: []string{outer}})
	f.graph.PageSize = 2
	for n := 1; n <= 4; n++ {
		f.graph.PutUser(user(n, true))
	}
	f.graph.PutGroup(outer, "Outer")
	f.graph.PutGroup(inner, "Inner")
	f.graph.PutGroup(deep, "Deep")
	f.graph.AddMembers(outer, entratest.ID(1), inner)
	f.graph.AddMembers(inner, entratest.ID(2), deep)
	f.graph.AddMembers(deep, entratest.ID(3), entratest.ID(4), outer) // a cycle

	got, res := f.fetch(t, "")
	groups := groupsOf(got)
	want := []string{entratest.ID(1), entratest.ID(2), entratest.ID(3), entratest.ID(4)}
	if len(groups) != 1 || groups[outer] == nil || !cmp.Equal(want, groups[outer].Members) {
		t.Errorf("groups = %v, want Outer alone with users 1 to 4", groups)
	}
	asked := 0
	for _, r := range f.graph.Requests() {
		if strings.HasPrefix(r, "/v1.0/groups/"+outer+"/transitiveMembers/microsoft.graph.user") {
			asked++
		}
	}
	if asked != 2 {
		t.Errorf("transitiveMembers was asked %d times, want 2 pages", asked)
	}

	f.graph.RemoveMembers(deep, entratest.ID(4))
	got, _ = f.fetch(t, res.Cursor)
	if g := groupsOf(got)[outer]; g == nil || !g.Complete || !cmp.Equal(want[:3], g.Members) {
		t.Errorf("after a removal two levels down, outer = %+v", g)
	}
}
