package admin

import (
	"net/http"
	"strings"
	"testing"
)

// A bulk create refuses a row whose password breaks the organization's
// policy, naming the rule, and creates nothing of that row.
func TestBulkCreateHoldsPasswordsToThePolicy(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		admin := e.tokens["org_admin"]
		e.do(http.MethodPatch, "/api/v1/org/settings", admin, map[string]any{"passwordPolicy": map[string]any{"minLength": 14, "requireDigit": true}}).want(t, http.StatusOK)
		r := e.do(http.MethodPost, "/api/v1/users/bulk", admin, map[string]any{"users": []map[string]any{
			{"userName": "weak@acme.example", "role": "user", "passwordMode": "set", "password": "Correct-Horse"},
			{"userName": "strong@acme.example", "role": "user", "passwordMode": "set", "password": "Correct-Horse-42"},
		}}).want(t, http.StatusOK)
		results := r.json["results"].([]any)
		weak, strong := results[0].(map[string]any), results[1].(map[string]any)
		detail, _ := weak["error"].(map[string]any)
		if weak["status"] != "failed" || detail["field"] != "password" || !strings.Contains(detail["message"].(string), "at least 14 characters") ||
			!strings.Contains(detail["message"].(string), "a digit") {
			t.Errorf("the weak row: %v", weak)
		}
		if strong["status"] != "created" {
			t.Errorf("the strong row: %v", strong)
		}
		list := e.do(http.MethodGet, "/api/v1/users?q=weak", admin, nil).want(t, http.StatusOK)
		if strings.Contains(string(list.body), "weak@acme.example") {
			t.Errorf("the refused row was created: %s", list.body)
		}
	})
}
