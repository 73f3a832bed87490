package admin

import (
	"net/http"
	"testing"
)

// The role mappings are read by whoever may read the organization, written
// by an org_admin only, validated, audited, and never seen by another
// organization.
func TestRoleMappings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	const path = "/api/v1/org/role-mappings"

	r := e.do(http.MethodGet, path, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if list := r.json["roleMappings"].([]any); len(list) != 0 {
		t.Fatalf("a new organization maps roles: %s", r.body)
	}
	body := map[string]any{"roleMappings": []any{
		map[string]any{"value": "Admin", "role": "org_admin"}, map[string]any{"value": " Auditor ", "role": "org_viewer"},
	}}
	for _, who := range []string{"org_viewer", "billing_admin", "user"} {
		e.do(http.MethodPut, path, e.tokens[who], body).want(t, http.StatusForbidden)
	}
	e.do(http.MethodGet, path, e.tokens["billing_admin"], nil).want(t, http.StatusForbidden)
	e.do(http.MethodGet, path, e.tokens["user"], nil).want(t, http.StatusForbidden)

	r = e.do(http.MethodPut, path, admin, body).want(t, http.StatusOK)
	list := r.json["roleMappings"].([]any)
	if len(list) != 2 || list[1].(map[string]any)["value"] != "Auditor" || list[0].(map[string]any)["role"] != "org_admin" {
		t.Fatalf("role mappings %s", r.body)
	}
	r = e.do(http.MethodGet, path, e.tokens["org_viewer"], nil).want(t, http.StatusOK)
	if len(r.json["roleMappings"].([]any)) != 2 {
		t.Fatalf("the viewer reads %s", r.body)
	}

	// Only known Roster roles, each value once, never empty.
	for _, bad := range []any{
		[]any{map[string]any{"value": "Admin", "role": "superuser"}},
		[]any{map[string]any{"value": "Admin", "role": "org_admin"}, map[string]any{"value": "ADMIN", "role": "user"}},
		[]any{map[string]any{"value": " ", "role": "user"}},
	} {
		e.do(http.MethodPut, path, admin, map[string]any{"roleMappings": bad}).want(t, http.StatusBadRequest)
	}

	// Another organization's admin sees its own (empty) mappings only.
	r = e.do(http.MethodGet, path, e.tokens["globex_admin"], nil).want(t, http.StatusOK)
	if len(r.json["roleMappings"].([]any)) != 0 {
		t.Fatalf("another organization sees the mappings: %s", r.body)
	}

	r = e.do(http.MethodGet, "/api/v1/audit?action=org.update", admin, nil).want(t, http.StatusOK)
	found := false
	for _, ev := range r.json["events"].([]any) {
		if changes, ok := ev.(map[string]any)["changes"].(map[string]any); ok && changes["settings"] != nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("the change of role mappings is not audited: %s", r.body)
	}

	// Clearing them makes roles plain data again.
	r = e.do(http.MethodPut, path, admin, map[string]any{"roleMappings": []any{}}).want(t, http.StatusOK)
	if len(r.json["roleMappings"].([]any)) != 0 {
		t.Fatalf("cleared role mappings %s", r.body)
	}
}
