package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// An admin's edit is audited with the catalogue's labels next to the
// changes, as people read them.
func TestAuditChangesCarryLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.tokens["org_admin"]
	u := e.users["user"]
	e.do(http.MethodPatch, "/api/v1/users/"+u.ID, admin, map[string]any{"givenName": "Grace", "title": "Admiral"}).want(t, http.StatusOK)
	r := e.do(http.MethodGet, "/api/v1/audit?target="+u.ID+"&action=user.update", admin, nil).want(t, http.StatusOK)
	events := r.json["events"].([]any)
	if len(events) == 0 {
		t.Fatalf("the edit was not audited: %s", r.body)
	}
	changes := events[0].(map[string]any)["changes"].(map[string]any)
	for name, label := range map[string]string{"name.givenName": "First name", "title": "Job title"} {
		c, ok := changes[name].(map[string]any)
		if !ok || c["label"] != label || c["after"] == nil {
			t.Errorf("change %s: %v, want label %q", name, changes[name], label)
		}
	}
}

// The admin API shows and edits every plain text attribute an admin may
// write: a catalogue attribute the API does not carry fails here.
func TestAdminAPICarriesEveryWritableTextAttribute(t *testing.T) {
	var full directory.User
	for _, a := range directory.UserAttributes() {
		if a.Text != nil {
			*a.Text(&full) = "v-" + string(a.Name)
		}
	}
	view, err := json.Marshal(viewUser(&full, nil))
	if err != nil {
		t.Fatal(err)
	}
	// The patch and the create request read the view's names.
	var patch userPatch
	if err := json.Unmarshal(view, &patch); err != nil {
		t.Fatal(err)
	}
	var patched directory.User
	if err := patch.apply(&patched); err != nil {
		t.Fatal(err)
	}
	var create createUserRequest
	if err := json.Unmarshal(view, &create); err != nil {
		t.Fatal(err)
	}
	for _, a := range directory.UserAttributes() {
		if a.Text == nil || !a.Writers.Has(directory.WriteAdmin) {
			continue
		}
		want := "v-" + string(a.Name)
		if !strings.Contains(string(view), `"`+want+`"`) {
			t.Errorf("the user view does not show %s", a.Name)
		}
		if got := *a.Text(&patched); got != want {
			t.Errorf("an edit does not set %s (got %q)", a.Name, got)
		}
		if got := *a.Text(newUser(&create)); got != want {
			t.Errorf("a create request does not set %s (got %q)", a.Name, got)
		}
	}
}
