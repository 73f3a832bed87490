package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// The usage job's daily snapshots come back as a series and as CSV, to the
// roles that may read usage, for their own organization only.
func TestUsageHistory(t *testing.T) {
	e := newEnv(t)
	operator := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	// crm is held through a group by two users, wiki by nobody.
	sales, err := e.svc.CreateGroup(e.ctx, operator, e.acme.ID, &directory.Group{DisplayName: "Sales"}, []string{e.users["user"].ID, e.users["org_viewer"].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateService(e.ctx, operator, e.acme.ID, &directory.OrgService{Key: "crm", Name: "CRM", SeatLimit: ptrTo(5), GroupIDs: []string{sales.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateService(e.ctx, operator, e.acme.ID, &directory.OrgService{Key: "wiki"}); err != nil {
		t.Fatal(err)
	}
	day1 := e.clock.Now()
	if _, err := e.svc.SnapshotUsage(e.ctx, day1); err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodPost, "/api/v1/users/"+e.users["user"].ID+"/suspend", e.tokens["org_admin"], nil).want(t, http.StatusOK)
	day2 := day1.Add(24 * time.Hour)
	if _, err := e.svc.SnapshotUsage(e.ctx, day2); err != nil {
		t.Fatal(err)
	}

	// By default the 30 days up to today (the second snapshot is dated
	// tomorrow).
	r := e.do(http.MethodGet, "/api/v1/org/usage/history", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	var v usageHistoryView
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if v.To != "2026-06-01" || v.From != "2026-05-03" || len(v.Days) != 1 {
		t.Fatalf("default range: %s", r.body)
	}
	r = e.do(http.MethodGet, "/api/v1/org/usage/history?to=2026-06-02", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.Days) != 2 {
		t.Fatalf("two days: %s", r.body)
	}
	first, second := v.Days[0], v.Days[1]
	if first.Day != "2026-06-01" || first.Seats != 4 || first.ByStatus[directory.StatusActive] != 4 ||
		first.ByRole[directory.RoleOrgAdmin] != 1 || first.BySource[directory.SourceLocal] != 4 {
		t.Errorf("first day %+v", first)
	}
	if second.Day != "2026-06-02" || second.Seats != 4 || second.ByStatus[directory.StatusActive] != 3 || second.ByStatus[directory.StatusSuspended] != 1 {
		t.Errorf("second day %+v", second)
	}
	// A suspended user keeps its seat.
	wantServices := []directory.UsageService{{Key: "crm", Name: "CRM", Seats: 2, Limit: ptrTo(5)}, {Key: "wiki", Name: "wiki", Seats: 0}}
	for _, d := range v.Days {
		if diff := cmp.Diff(wantServices, d.Services); diff != "" {
			t.Errorf("%s: services (-want +got):\n%s", d.Day, diff)
		}
	}
	if !strings.Contains(string(r.body), `"services":[{"key":"crm","name":"CRM","seats":2,"seatLimit":5},{"key":"wiki","name":"wiki","seats":0,"seatLimit":null}]`) {
		t.Errorf("services in JSON: %s", r.body)
	}

	r = e.do(http.MethodGet, "/api/v1/org/usage/history?from=2026-06-02&to=2026-06-02", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.Days) != 1 || v.Days[0].Day != "2026-06-02" {
		t.Errorf("one day: %s", r.body)
	}

	r = e.do(http.MethodGet, "/api/v1/org/usage/history/export?from=2026-06-01&to=2026-06-02", e.tokens["org_admin"], nil).want(t, http.StatusOK)
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="acme-usage-2026-06-01-2026-06-02.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	want := strings.Join([]string{
		"day,status,role,source,users,service,seat_limit",
		"2026-06-01,active,billing_admin,local,1,,",
		"2026-06-01,active,org_admin,local,1,,",
		"2026-06-01,active,org_viewer,local,1,,",
		"2026-06-01,active,user,local,1,,",
		"2026-06-01,,,,2,crm,5",
		"2026-06-01,,,,0,wiki,",
		"2026-06-02,active,billing_admin,local,1,,",
		"2026-06-02,active,org_admin,local,1,,",
		"2026-06-02,active,org_viewer,local,1,,",
		"2026-06-02,suspended,user,local,1,,",
		"2026-06-02,,,,2,crm,5",
		"2026-06-02,,,,0,wiki,",
	}, "\n") + "\n"
	if string(r.body) != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", r.body, want)
	}

	// Another organization sees its own usage only.
	r = e.do(http.MethodGet, "/api/v1/org/usage/history?from=2026-06-01&to=2026-06-02", e.tokens["globex_admin"], nil).want(t, http.StatusOK)
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.Days) != 2 || v.Days[0].Seats != 1 || len(v.Days[0].Services) != 0 {
		t.Errorf("globex's usage: %s", r.body)
	}

	// A plain user, a stranger and bad ranges are refused.
	e.users["plain"] = e.createUser(e.acme, "plain@acme.example", directory.RoleUser, testPassword)
	plain := e.token("plain")
	e.do(http.MethodGet, "/api/v1/org/usage/history", plain, nil).want(t, http.StatusForbidden)
	e.do(http.MethodGet, "/api/v1/org/usage/history/export", plain, nil).want(t, http.StatusForbidden)
	e.do(http.MethodGet, "/api/v1/org/usage/history", "", nil).want(t, http.StatusUnauthorized)
	for _, q := range []string{"from=yesterday", "to=2026-13-01", "from=2026-06-02&to=2026-06-01", "from=2020-01-01&to=2026-06-01"} {
		r := e.do(http.MethodGet, "/api/v1/org/usage/history?"+q, e.tokens["org_admin"], nil).want(t, http.StatusBadRequest)
		if !strings.Contains(string(r.body), `"invalid"`) {
			t.Errorf("%s: %s", q, r.body)
		}
		e.do(http.MethodGet, "/api/v1/org/usage/history/export?"+q, e.tokens["org_admin"], nil).want(t, http.StatusBadRequest)
	}
}

func ptrTo[T any](v T) *T { return &v }
