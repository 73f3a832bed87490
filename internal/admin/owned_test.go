package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// linkedUser makes an LDAP connector in acme and a user it sourced, as a
// run does, and returns the connector and the user.
func (e *env) linkedUser(title string) (*directory.Connector, *directory.User) {
	e.t.Helper()
	admin := directory.Actor{Kind: directory.ActorUser, ID: e.users["org_admin"].ID}
	c, err := e.svc.CreateConnector(e.ctx, admin, e.acme.ID, &directory.Connector{Name: "Corp LDAP", Kind: "ldap",
		Deprovision: directory.DeprovisionSuspend, Enabled: true, Mapping: map[string]string{"properties.badge": "employeeNumber"}})
	if err != nil {
		e.t.Fatal(err)
	}
	scope := directory.SyncScope{OrgID: e.acme.ID, ConnectorID: c.ID,
		Actor:  directory.Actor{Kind: directory.ActorConnector, ID: c.ID, Name: c.Name, Source: directory.SourceLDAP},
		Fields: directory.ConnectorFields(c)}
	res, err := e.svc.ApplySyncUsers(e.ctx, scope, []directory.SyncUserChange{{Action: directory.SyncCreate, Ref: "uuid-1",
		Active: true, Hash: "h1", Role: directory.RoleUser, Attrs: map[directory.Attr]string{
			directory.UserUserName: "ada@acme.example", directory.UserGivenName: "Ada", directory.UserTitle: title,
			"properties.badge": "B-1"}}})
	if err != nil || res[0].Err != nil {
		e.t.Fatalf("ApplySyncUsers = %+v, %v", res, err)
	}
	return c, e.user(res[0].UserID)
}

func TestAttributesAConnectorOwnsAreRefusedToOtherWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		c, u := e.linkedUser("Engineer")
		admin := e.tokens["org_admin"]
		path := "/api/v1/users/" + u.ID

		t.Log("changing an owned attribute is a conflict naming the connector and the attribute")
		r := e.do(http.MethodPatch, path, admin, map[string]any{"title": "Boss"}).want(t, http.StatusConflict)
		if msg := r.str("error", "message"); !strings.Contains(msg, "title") || !strings.Contains(msg, c.Name) {
			t.Errorf("message = %q, want the attribute and the connector named", msg)
		}
		r = e.do(http.MethodPatch, path, admin, map[string]any{"properties": map[string]any{"badge": "B-2"}}).want(t, http.StatusConflict)
		if msg := r.str("error", "message"); !strings.Contains(msg, "properties.badge") {
			t.Errorf("message = %q, want properties.badge named", msg)
		}
		if got := e.user(u.ID); got.Title != "Engineer" || got.Version != u.Version || got.Properties["badge"] != "B-1" {
			t.Errorf("a refused write changed the user: %+v", got)
		}

		t.Log("resending the same values, and changing what the connector does not map, pass")
		e.do(http.MethodPatch, path, admin, map[string]any{"title": "Engineer", "givenName": "Ada"}).want(t, http.StatusOK)
		e.do(http.MethodPatch, path, admin, map[string]any{"enterprise": map[string]any{"costCenter": "CC-7"}}).want(t, http.StatusOK)
		if got := e.user(u.ID); got.Enterprise.CostCenter != "CC-7" {
			t.Errorf("costCenter = %q, want CC-7", got.Enterprise.CostCenter)
		}

		t.Log("an import row that changes an owned attribute fails alone")
		results, err := e.svc.ImportUsers(e.ctx, directory.Actor{Kind: directory.ActorUser, ID: e.users["org_admin"].ID}, e.acme.ID,
			[]directory.ImportRow{{UserName: "ada@acme.example", Update: func(u *directory.User) error { u.Title = "Imported"; return nil }}})
		if err != nil || results[0].Action != directory.ImportFailed || directory.ErrorCode(results[0].Err) != directory.CodeConflict {
			t.Errorf("import = %+v, %v; want the row failed with a conflict", results, err)
		}

		t.Log("another organization cannot detach the user; a viewer cannot either")
		e.do(http.MethodPost, path+"/detach", e.tokens["globex_admin"], nil).want(t, http.StatusNotFound)
		e.do(http.MethodPost, path+"/detach", e.tokens["org_viewer"], nil).want(t, http.StatusForbidden)
		if got := e.user(u.ID); got.Source != directory.SourceLDAP {
			t.Errorf("a refused detach changed the source to %s", got.Source)
		}

		t.Log("once detached, the user is local and every attribute may change")
		r = e.do(http.MethodPost, path+"/detach", admin, nil).want(t, http.StatusOK)
		if r.str("source") != string(directory.SourceLocal) {
			t.Errorf("detached user's source = %q, want local", r.str("source"))
		}
		e.do(http.MethodPatch, path, admin, map[string]any{"title": "Boss"}).want(t, http.StatusOK)
		e.do(http.MethodPost, path+"/detach", admin, nil).want(t, http.StatusBadRequest)
	})
}
