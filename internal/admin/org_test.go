package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestSecurityCentre(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	r := e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{
		"mfaPolicy": "required", "inactivityDays": 30, "passwordPolicy": map[string]any{"minLength": 16, "requireDigit": true},
	}).want(t, http.StatusOK)
	s := r.json["settings"].(map[string]any)
	if s["mfaPolicy"] != "required" || s["inactivityDays"] != 30.0 || s["lockoutThreshold"] != 10.0 || s["passwordPolicy"].(map[string]any)["minLength"] != 16.0 {
		t.Fatalf("settings %s", r.body)
	}
	e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"mfaPolicy": "sometimes"}).want(t, http.StatusBadRequest)
	e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"lockoutThreshold": 0}).want(t, http.StatusBadRequest)
	if got := s["mfaFactors"].([]any); len(got) != 1 || got[0] != "totp" || s["phoneRegion"] != "" {
		t.Fatalf("default factors and region: %s", r.body)
	}
	r = e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"mfaFactors": []string{"totp", "sms", "passkey"}, "phoneRegion": "GB"}).want(t, http.StatusOK)
	s = r.json["settings"].(map[string]any)
	if got := s["mfaFactors"].([]any); len(got) != 3 || got[1] != "sms" || s["phoneRegion"] != "GB" || s["mfaPolicy"] != "required" {
		t.Fatalf("factors and region: %s", r.body)
	}
	for _, bad := range []map[string]any{
		{"mfaFactors": []string{}},
		{"mfaFactors": []string{"email"}},
		{"mfaFactors": []string{"sms", "sms"}},
		{"mfaFactors": "totp"},
		{"phoneRegion": "ZZ"},
	} {
		r := e.do(http.MethodPatch, "/api/v1/org/settings", admin, bad).want(t, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "mfaFactors") && !strings.Contains(string(r.body), "phoneRegion") {
			t.Errorf("%v: the error names no field: %s", bad, r.body)
		}
	}
	r = e.do(http.MethodGet, "/api/v1/org", admin, nil).want(t, http.StatusOK)
	if s := r.json["settings"].(map[string]any); len(s["mfaFactors"].([]any)) != 3 || s["phoneRegion"] != "GB" {
		t.Fatalf("refused changes changed the settings: %s", r.body)
	}
	e.do(http.MethodPatch, "/api/v1/org/settings", e.tokens["org_viewer"], map[string]any{"mfaFactors": []string{"sms"}}).want(t, http.StatusForbidden)

	e.do(http.MethodPut, "/api/v1/org/domains", admin, map[string]any{"domains": []any{
		map[string]any{"name": "acme.example"}, map[string]any{"name": "acme.test"},
	}}).want(t, http.StatusBadRequest) // no primary
	r = e.do(http.MethodPut, "/api/v1/org/domains", admin, map[string]any{"domains": []any{
		map[string]any{"name": "acme.example"}, map[string]any{"name": "ACME.test", "primary": true},
	}}).want(t, http.StatusOK)
	if d := r.json["domains"].([]any); len(d) != 2 || d[1].(map[string]any)["name"] != "acme.test" {
		t.Fatalf("domains %s", r.body)
	}

	r = e.do(http.MethodPost, "/api/v1/org/properties", admin, map[string]any{"key": "floor", "label": "Floor", "type": "number", "required": false}).want(t, http.StatusCreated)
	if r.header.Get("Location") != "/api/v1/org/properties/floor" || len(r.json["userProperties"].([]any)) != 2 {
		t.Fatalf("create property: %v %s", r.header, r.body)
	}
	e.do(http.MethodPost, "/api/v1/org/properties", admin, map[string]any{"key": "Floor", "label": "x", "type": "string"}).want(t, http.StatusConflict)
	e.do(http.MethodPost, "/api/v1/org/properties", admin, map[string]any{"key": "9lives", "type": "string"}).want(t, http.StatusBadRequest)
	e.do(http.MethodPatch, "/api/v1/org/properties/floor", admin, map[string]any{"label": "Office floor"}).want(t, http.StatusOK)
	e.do(http.MethodPatch, "/api/v1/org/properties/floor", admin, map[string]any{"type": "string"}).want(t, http.StatusBadRequest)
	u := e.users["user"]
	e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"properties": map[string]any{"floor": 3, "badge": "B-9"}}).want(t, http.StatusOK)
	e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"properties": map[string]any{"floor": "third"}}).want(t, http.StatusBadRequest)
	e.do(http.MethodDelete, "/api/v1/org/properties/floor", admin, nil).want(t, http.StatusOK)
	r = e.do(http.MethodGet, "/api/v1/users/"+u.ID, admin, nil).want(t, http.StatusOK)
	if props := r.json["properties"].(map[string]any); props["floor"] != nil || props["badge"] != "B-9" {
		t.Fatalf("a removed property is still shown: %s", r.body)
	}
	e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"givenName": "Still editable"}).want(t, http.StatusOK)
	e.do(http.MethodDelete, "/api/v1/org/properties/floor", admin, nil).want(t, http.StatusNotFound)

	r = e.do(http.MethodGet, "/api/v1/audit?action=org.", admin, nil).want(t, http.StatusOK)
	if n := len(r.json["events"].([]any)); n < 6 {
		t.Fatalf("%d org changes audited: %s", n, r.body)
	}
	actor := e.users["org_admin"].ID
	first := e.do(http.MethodGet, "/api/v1/audit?action=org.update&limit=2&actor="+actor, admin, nil).want(t, http.StatusOK)
	second := e.do(http.MethodGet, "/api/v1/audit?action=org.update&limit=2&actor="+actor+"&cursor="+first.str("next"), admin, nil).want(t, http.StatusOK)
	a, b := first.json["events"].([]any), second.json["events"].([]any)
	if len(a) != 2 || len(b) == 0 || a[0].(map[string]any)["id"] == b[0].(map[string]any)["id"] {
		t.Fatalf("audit pages %s / %s", first.body, second.body)
	}
	e.do(http.MethodGet, "/api/v1/audit?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z", admin, nil).want(t, http.StatusBadRequest)
	if r := e.do(http.MethodGet, "/api/v1/audit?to=2026-01-01T00:00:00Z", admin, nil).want(t, http.StatusOK); len(r.json["events"].([]any)) != 0 {
		t.Fatalf("events before they happened: %s", r.body)
	}
}

func TestSCIMTokensAndUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	r := e.do(http.MethodPost, "/api/v1/org/scim-tokens", admin, map[string]string{"name": "Entra"}).want(t, http.StatusCreated)
	secret, id := r.str("token"), r.str("id")
	if !strings.HasPrefix(secret, "rst_") {
		t.Fatalf("token %s", r.body)
	}
	if _, err := e.svc.AuthenticateToken(e.ctx, directory.TokenSCIM, secret); err != nil {
		t.Fatalf("the new token does not open SCIM: %v", err)
	}
	list := e.do(http.MethodGet, "/api/v1/org/scim-tokens", e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if strings.Contains(string(list.body), secret) || !strings.Contains(string(list.body), `"Entra"`) {
		t.Fatalf("list %s", list.body)
	}
	e.do(http.MethodDelete, "/api/v1/org/scim-tokens/"+id, e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
	e.do(http.MethodDelete, "/api/v1/org/scim-tokens/"+id, admin, nil).want(t, http.StatusNoContent)
	if _, err := e.svc.AuthenticateToken(e.ctx, directory.TokenSCIM, secret); err == nil {
		t.Fatal("a revoked token still opens SCIM")
	}
	e.do(http.MethodPost, "/api/v1/org/scim-tokens", admin, map[string]string{"name": ""}).want(t, http.StatusBadRequest)

	e.do(http.MethodPost, "/api/v1/users/"+e.users["user"].ID+"/suspend", admin, nil).want(t, http.StatusOK)
	r = e.do(http.MethodGet, "/api/v1/org/usage", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	var usage usageView
	if err := json.Unmarshal(r.body, &usage); err != nil {
		t.Fatal(err)
	}
	if usage.Seats != 4 || usage.ByStatus[directory.StatusActive] != 3 || usage.ByStatus[directory.StatusSuspended] != 1 ||
		usage.BySource[directory.SourceLocal] != 4 || usage.Matrix[directory.StatusSuspended][directory.SourceLocal] != 1 {
		t.Fatalf("usage %s", r.body)
	}
	// billing_admin reads usage and its own profile, nothing else.
	e.do(http.MethodGet, "/api/v1/me", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	e.do(http.MethodGet, "/api/v1/users", e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
}
