package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// A user's services are its entitlements whose value is a service key:
// written by POST, PATCH and PUT, filterable, and refused with a 409 that
// names the service when no seat is left. Other values are plain data.
func TestEntitlementsAreServices(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		if _, err := e.svc.CreateService(t.Context(), operator, e.org.ID, &directory.OrgService{Key: "crm", Name: "CRM", SeatLimit: new(1)}); err != nil {
			t.Fatal(err)
		}
		ada := e.createUser("ada@acme.example", `,"entitlements":[{"value":"CRM"},{"value":"plain-data"}]`)
		bob := e.createUser("bob@acme.example", `,"entitlements":[{"value":"plain-data"}]`)

		full := func(res *response, what string) {
			t.Helper()
			if res.status != http.StatusConflict || !strings.Contains(string(res.body), `\"crm\"`) || strings.Contains(string(res.body), "uniqueness") {
				t.Errorf("%s with crm full: status %d\n%s", what, res.status, res.body)
			}
		}
		full(e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cyd@acme.example","entitlements":[{"value":"crm"}]}`), "POST")
		full(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Add","path":"entitlements","value":[{"value":"crm"}]}`)), "PATCH")
		full(e.call("PUT", "/Users/"+bob, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@acme.example","entitlements":[{"value":"crm"}]}`), "PUT")

		m := e.must(e.call("GET", "/Users?filter="+url.QueryEscape(`entitlements.value eq "crm"`), ""), http.StatusOK)
		if m["totalResults"].(float64) != 1 || m["Resources"].([]any)[0].(map[string]any)["id"] != ada {
			t.Errorf("holders of crm: %v", m)
		}
		// Freeing ada's seat lets bob take it.
		e.must(e.call("PATCH", "/Users/"+ada, patchOp(`{"op":"Remove","path":"entitlements[value eq \"CRM\"]"}`)), http.StatusOK)
		e.must(e.call("PATCH", "/Users/"+bob, patchOp(`{"op":"Add","path":"entitlements","value":[{"value":"crm"}]}`)), http.StatusOK)
		seats, err := e.svc.ListServices(t.Context(), e.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if seats[0].Used != 1 {
			t.Errorf("crm seats used = %d, want 1", seats[0].Used)
		}
		// Plain entitlements are never limited.
		e.must(e.call("PATCH", "/Users/"+ada, patchOp(`{"op":"Add","path":"entitlements","value":[{"value":"other"}]}`)), http.StatusOK)
	})
}

// An organization may map a SCIM group to a service: the group's members
// hold it, and a member added past its seats is refused.
func TestGroupsMappedToServices(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		ada := e.createUser("ada@acme.example")
		bob := e.createUser("bob@acme.example")
		group := e.createGroup("CRM users")
		if _, err := e.svc.CreateService(t.Context(), operator, e.org.ID, &directory.OrgService{Key: "crm", SeatLimit: new(1), GroupIDs: []string{group}}); err != nil {
			t.Fatal(err)
		}
		e.must(e.call("PATCH", "/Groups/"+group, patchOp(`{"op":"Add","path":"members","value":[{"value":"`+ada+`"}]}`)), http.StatusNoContent)
		res := e.call("PATCH", "/Groups/"+group, patchOp(`{"op":"Add","path":"members","value":[{"value":"`+bob+`"}]}`))
		if res.status != http.StatusConflict || !strings.Contains(string(res.body), `\"crm\"`) {
			t.Errorf("a member past the limit: status %d\n%s", res.status, res.body)
		}
		// A PUT that replaces the member list is held to the same limit.
		res = e.call("PUT", "/Groups/"+group, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"CRM users","members":[{"value":"`+ada+`"},{"value":"`+bob+`"}]}`)
		if res.status != http.StatusConflict || !strings.Contains(string(res.body), `\"crm\"`) {
			t.Errorf("a member list past the limit: status %d\n%s", res.status, res.body)
		}
		members, err := e.svc.ListMembers(t.Context(), e.org.ID, group, "", 10)
		if err != nil || len(members.Members) != 1 || members.Members[0].UserID != ada {
			t.Errorf("members after the refused PUT: %+v, %v", members, err)
		}
		u, err := e.svc.GetUser(t.Context(), e.org.ID, ada)
		if err != nil {
			t.Fatal(err)
		}
		held, err := e.svc.ServicesOfUser(t.Context(), u)
		if err != nil || len(held) != 1 || held[0].Key != "crm" {
			t.Errorf("ada's services: %v, %v", held, err)
		}
	})
}
