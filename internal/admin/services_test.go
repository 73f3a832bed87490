package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// Services are defined and assigned by an org_admin, read by a viewer,
// their seats seen by a billing admin; a full service refuses an
// assignment naming the service and its limit, and nothing of a bulk
// change is applied.
func TestServices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]

	for _, who := range []string{"org_viewer", "billing_admin", "user"} {
		e.do(http.MethodPost, "/api/v1/services", e.tokens[who], map[string]any{"key": "crm"}).want(t, http.StatusForbidden)
	}
	for _, bad := range []map[string]any{
		{"key": ""}, {"key": "has space"}, {"key": "crm", "seatLimit": -1}, {"key": "crm", "unknown": 1}, {"key": 7},
	} {
		e.do(http.MethodPost, "/api/v1/services", admin, bad).want(t, http.StatusBadRequest)
	}
	r := e.do(http.MethodPost, "/api/v1/services", admin, map[string]any{"key": "CRM", "name": "Customer CRM", "description": "Sales", "seatLimit": 2}).
		want(t, http.StatusCreated)
	crmID := r.str("id")
	if r.str("key") != "crm" || r.json["seatLimit"].(float64) != 2 || r.json["seatsUsed"].(float64) != 0 || r.header.Get("Location") != "/api/v1/services/"+crmID {
		t.Fatalf("created %s (Location %q)", r.body, r.header.Get("Location"))
	}
	e.do(http.MethodPost, "/api/v1/services", admin, map[string]any{"key": "crm"}).want(t, http.StatusConflict)
	e.do(http.MethodPost, "/api/v1/services", admin, map[string]any{"key": "wiki"}).want(t, http.StatusCreated)
	// Another organization's service of the same key is its own.
	other := e.do(http.MethodPost, "/api/v1/services", e.tokens["globex_admin"], map[string]any{"key": "erp"}).want(t, http.StatusCreated).str("id")
	e.do(http.MethodGet, "/api/v1/services/"+other, admin, nil).want(t, http.StatusNotFound)
	e.do(http.MethodPut, "/api/v1/services/"+other, admin, map[string]any{"name": "mine"}).want(t, http.StatusNotFound)
	e.do(http.MethodDelete, "/api/v1/services/"+other, admin, nil).want(t, http.StatusNotFound)

	// Users created with services, singly and in bulk.
	r = e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": "ann@acme.example", "role": "user", "services": []string{"crm", "wiki"}}).
		want(t, http.StatusCreated)
	ann := r.str("user", "id")
	if got := r.json["user"].(map[string]any)["services"]; len(got.([]any)) != 2 {
		t.Fatalf("created user's services: %s", r.body)
	}
	e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": "x@acme.example", "role": "user", "services": []string{"nope"}}).
		want(t, http.StatusBadRequest)
	e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": "x@acme.example", "role": "user", "services": []string{"erp"}}).
		want(t, http.StatusBadRequest)
	r = e.do(http.MethodPost, "/api/v1/users/bulk", admin, map[string]any{"users": []any{
		map[string]any{"userName": "b1@acme.example", "role": "user", "services": []string{"crm"}},
		map[string]any{"userName": "b2@acme.example", "role": "user", "services": []string{"crm"}},
	}}).want(t, http.StatusConflict)
	if msg := r.str("error", "message"); !strings.Contains(msg, `"crm"`) || !strings.Contains(msg, "2 seats") {
		t.Errorf("bulk create past the limit: %s", r.body)
	}
	if found, err := e.svc.FindUsersByUserNames(e.ctx, e.acme.ID, []string{"b1@acme.example", "b2@acme.example"}); err != nil || len(found) != 0 {
		t.Errorf("a refused bulk create left %d users (%v)", len(found), err)
	}
	r = e.do(http.MethodPost, "/api/v1/users/bulk", admin, map[string]any{"users": []any{
		map[string]any{"userName": "b1@acme.example", "role": "user", "services": []string{"crm"}},
		map[string]any{"userName": "b2@acme.example", "role": "user", "services": []string{"wiki"}},
	}}).want(t, http.StatusOK)
	b1 := r.json["results"].([]any)[0].(map[string]any)["id"].(string)
	b2 := r.json["results"].([]any)[1].(map[string]any)["id"].(string)

	// crm is full now: 2 of 2.
	r = e.do(http.MethodPost, "/api/v1/services/assign", admin, map[string]any{"services": []string{"crm"}, "userIds": []string{b2}}).
		want(t, http.StatusConflict)
	if msg := r.str("error", "message"); !strings.Contains(msg, `"crm"`) || !strings.Contains(msg, "2 seats") {
		t.Errorf("assignment past the limit: %s", r.body)
	}
	for _, bad := range []map[string]any{
		{"services": []string{"crm"}, "userIds": []string{}},
		{"services": []string{}, "userIds": []string{b2}},
		{"services": []string{"nope"}, "userIds": []string{b2}},
		{"services": []string{"erp"}, "userIds": []string{b2}},
		{"services": "crm", "userIds": []string{b2}},
	} {
		e.do(http.MethodPost, "/api/v1/services/assign", admin, bad).want(t, http.StatusBadRequest)
	}
	e.do(http.MethodPost, "/api/v1/services/assign", admin, map[string]any{"services": []string{"wiki"}, "userIds": []string{b2, e.users["globex_admin"].ID}}).
		want(t, http.StatusNotFound)
	if u := e.user(b2); directory.HoldsService(u.Entitlements, "crm") || len(u.Entitlements) != 1 {
		t.Errorf("a refused assignment changed %v", u.Entitlements)
	}
	e.do(http.MethodPost, "/api/v1/services/assign", e.tokens["org_viewer"], map[string]any{"services": []string{"wiki"}, "userIds": []string{b1}}).
		want(t, http.StatusForbidden)

	// Raising the limit lets the assignment through; a limit below the
	// seats used is refused.
	e.do(http.MethodPut, "/api/v1/services/"+crmID, admin, map[string]any{"name": "CRM", "seatLimit": 1}).want(t, http.StatusConflict)
	e.do(http.MethodPut, "/api/v1/services/"+crmID, admin, map[string]any{"key": "other", "name": "CRM", "seatLimit": 3}).want(t, http.StatusBadRequest)
	e.do(http.MethodPut, "/api/v1/services/"+crmID, admin, map[string]any{"name": "CRM", "seatLimit": 3}).want(t, http.StatusOK)
	r = e.do(http.MethodPost, "/api/v1/services/assign", admin, map[string]any{"services": []string{"crm", "wiki"}, "userIds": []string{b2, b1}}).
		want(t, http.StatusOK)
	if users := r.json["users"].([]any); len(users) != 2 || len(users[0].(map[string]any)["services"].([]any)) != 2 {
		t.Errorf("assigned %s", r.body)
	}

	// One user's services: read, set exactly, edited with the user.
	r = e.do(http.MethodGet, "/api/v1/users/"+ann, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if len(r.json["services"].([]any)) != 2 {
		t.Errorf("ann's services %s", r.body)
	}
	e.do(http.MethodPut, "/api/v1/users/"+e.users["globex_admin"].ID+"/services", admin, map[string]any{"services": []string{"crm"}}).want(t, http.StatusNotFound)
	e.do(http.MethodPut, "/api/v1/users/"+ann+"/services", e.tokens["org_viewer"], map[string]any{"services": []string{"crm"}}).want(t, http.StatusForbidden)
	r = e.do(http.MethodPut, "/api/v1/users/"+ann+"/services", admin, map[string]any{"services": []string{"wiki"}}).want(t, http.StatusOK)
	if s := r.json["services"].([]any); len(s) != 1 || s[0].(map[string]any)["key"] != "wiki" {
		t.Errorf("after setting ann's services: %s", r.body)
	}
	e.do(http.MethodPut, "/api/v1/services/"+crmID, admin, map[string]any{"name": "CRM", "seatLimit": 2}).want(t, http.StatusOK)
	e.do(http.MethodPatch, "/api/v1/users/"+ann, admin, map[string]any{"services": []string{"crm"}}).want(t, http.StatusConflict)
	r = e.do(http.MethodPatch, "/api/v1/users/"+ann, admin, map[string]any{"services": []string{}}).want(t, http.StatusOK)
	if s, _ := r.json["services"].([]any); len(s) != 0 {
		t.Errorf("after clearing ann's services: %s", r.body)
	}
	e.do(http.MethodPost, "/api/v1/services/unassign", admin, map[string]any{"services": []string{"crm"}, "userIds": []string{b2}}).want(t, http.StatusOK)
	e.do(http.MethodPatch, "/api/v1/users/"+ann, admin, map[string]any{"services": []string{"crm"}}).want(t, http.StatusOK)

	// Seats: listed for readers, in the usage for billing admins.
	r = e.do(http.MethodGet, "/api/v1/services", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	list := r.json["services"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["seatsUsed"].(float64) != 2 || list[1].(map[string]any)["seatLimit"] != nil {
		t.Errorf("services %s", r.body)
	}
	e.do(http.MethodGet, "/api/v1/services", e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
	r = e.do(http.MethodGet, "/api/v1/org/usage", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	seats := r.json["services"].([]any)
	if len(seats) != 2 || seats[0].(map[string]any)["key"] != "crm" || seats[0].(map[string]any)["seatsUsed"].(float64) != 2 || seats[0].(map[string]any)["seatLimit"].(float64) != 2 {
		t.Errorf("usage seats %s", r.body)
	}

	// Members of a mapped group hold the service; another organization's
	// group cannot be mapped.
	group, err := e.svc.CreateGroup(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, &directory.Group{DisplayName: "Wiki"}, []string{ann})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := e.svc.CreateGroup(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.globex.ID, &directory.Group{DisplayName: "Wiki"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wikiID := list[1].(map[string]any)["id"].(string)
	e.do(http.MethodPut, "/api/v1/services/"+wikiID, admin, map[string]any{"name": "Wiki", "groupIds": []string{foreign.ID}}).want(t, http.StatusBadRequest)
	r = e.do(http.MethodPut, "/api/v1/services/"+wikiID, admin, map[string]any{"name": "Wiki", "groupIds": []string{group.ID}}).want(t, http.StatusOK)
	if g := r.json["groupIds"].([]any); len(g) != 1 || g[0] != group.ID {
		t.Errorf("mapped %s", r.body)
	}
	r = e.do(http.MethodGet, "/api/v1/users/"+ann, admin, nil).want(t, http.StatusOK)
	if s := r.json["services"].([]any); len(s) != 2 || s[1] != "wiki" {
		t.Errorf("ann holds crm and, through its group, wiki: %s", r.body)
	}

	// A service held cannot go; one nobody holds can.
	e.do(http.MethodDelete, "/api/v1/services/"+crmID, admin, nil).want(t, http.StatusConflict)
	e.do(http.MethodPost, "/api/v1/services/unassign", admin, map[string]any{"services": []string{"crm"}, "userIds": []string{ann, b1, b2}}).want(t, http.StatusOK)
	e.do(http.MethodDelete, "/api/v1/services/"+crmID, e.tokens["org_viewer"], nil).want(t, http.StatusForbidden)
	e.do(http.MethodDelete, "/api/v1/services/"+crmID, admin, nil).want(t, http.StatusNoContent)
	e.do(http.MethodGet, "/api/v1/services/"+crmID, admin, nil).want(t, http.StatusNotFound)

	r = e.do(http.MethodGet, "/api/v1/audit?targetKind=service", admin, nil).want(t, http.StatusOK)
	actions := map[string]bool{}
	for _, ev := range r.json["events"].([]any) {
		actions[ev.(map[string]any)["action"].(string)] = true
	}
	for _, a := range []string{"service.create", "service.update", "service.delete"} {
		if !actions[a] {
			t.Errorf("no %s event in %v", a, actions)
		}
	}
}
