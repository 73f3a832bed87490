package engine_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// graphTenant starts a fake Graph with users u0 … u(n-1) and a group
// "Staff" of the first three.
func graphTenant(t *testing.T, n int) *entratest.Server {
	g := entratest.New()
	t.Cleanup(g.Close)
	g.PageSize = 3
	for i := range n {
		g.PutUser(graphUser(i))
	}
	g.PutGroup(entratest.ID(1000), "Staff")
	g.AddMembers(entratest.ID(1000), entratest.ID(0), entratest.ID(1), entratest.ID(2))
	return g
}

func graphUser(i int) entratest.User {
	return entratest.User{ID: entratest.ID(i), UserPrincipalName: fmt.Sprintf("u%d@contoso.test", i),
		Mail: fmt.Sprintf("u%d@contoso.test", i), GivenName: "User", Surname: fmt.Sprintf("Number%d", i),
		JobTitle: "Engineer", AccountEnabled: true}
}

// entraConnector makes a connector of g with the deprovision policy.
func entraConnector(e *env, g *entratest.Server, policy directory.Deprovision) *engine.ConnectorView {
	settings, _ := json.Marshal(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL})
	return e.connector(strict(engine.ConnectorInput{Name: ptr("Contoso"), Kind: entra.KindName, Settings: settings,
		Secrets: map[string]string{entra.SecretClientSecret: g.ClientSecret}, Deprovision: &policy}))
}

func TestRunnerSyncsEntra(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 10)
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		c := entraConnector(e, g, directory.DeprovisionDelete)
		cursor := func() string {
			stored, err := e.dir.GetConnector(e.ctx, e.org.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return stored.Cursor
		}

		first := e.run(c.ID)
		wantCounts(t, "first run", first, map[string]int{"create": 10, "group_create": 1, "member_add": 3})
		if !first.Full || cursor() == "" {
			t.Fatalf("the first run was not full (%v) or saved no deltaLink", first.Full)
		}
		wantCounts(t, "a delta with no change", e.run(c.ID), nil)

		g.UpdateUser(entratest.ID(1), func(u *entratest.User) { u.JobTitle = "Manager" })
		g.UpdateUser(entratest.ID(2), func(u *entratest.User) { u.AccountEnabled = false })
		g.DeleteUser(entratest.ID(3), false) // recycle bin: it may come back
		g.DeleteUser(entratest.ID(4), true)
		wantCounts(t, "changes", e.run(c.ID), map[string]int{"update": 1, "suspend": 2, "delete": 1})
		for name, want := range map[string]directory.Status{"u2": directory.StatusSuspended, "u3": directory.StatusSuspended, "u4": directory.StatusDeleted} {
			if u := e.user(name + "@contoso.test"); u.Status != want || u.StatusSetBy != directory.AuthorityEntra {
				t.Errorf("%s = %s set by %s, want %s by entra", name, u.Status, u.StatusSetBy, want)
			}
		}
		if diff := cmp.Diff([]string{"u0@contoso.test", "u1@contoso.test", "u2@contoso.test"}, e.members("Staff")); diff != "" {
			t.Errorf("Staff (-want +got):\n%s", diff)
		}

		g.PutUser(graphUser(3))
		g.PutUser(graphUser(4))
		back := e.run(c.ID)
		wantCounts(t, "returns", back, map[string]int{"reactivate": 1, "restore": 1})
		if u := e.user("u4@contoso.test"); u.Status != directory.StatusActive || u.DeletedAt != nil {
			t.Errorf("u4 after its return = %s", u.Status)
		}

		t.Log("deleting three of ten users waits for approval, and keeps the deltaLink")
		for i := 5; i < 8; i++ {
			g.DeleteUser(entratest.ID(i), true)
		}
		saved := cursor()
		dry := e.run(c.ID, func(r *engine.RunRequest) { r.DryRun = true })
		if dry.Status != directory.RunSucceeded || dry.Plan == nil || len(dry.Plan.Held) != 3 {
			t.Errorf("dry run = %s, plan %+v; want it to show 3 deprovisions that a run would hold", dry.Status, dry.Plan)
		}
		held := e.run(c.ID)
		if held.Status != directory.RunHeld || len(held.Plan.Held) != 3 || cursor() != saved {
			t.Fatalf("run = %s, held %v, cursor moved: %v", held.Status, held.Plan, cursor() != saved)
		}
		rejected, err := e.runner.Reject(e.ctx, e.admin, e.org.ID, held.ID)
		if err != nil || rejected.Status != directory.RunRejected {
			t.Fatalf("Reject = %+v, %v", rejected, err)
		}
		if _, err := e.runner.Reject(e.ctx, e.admin, e.org.ID, held.ID); !directory.IsCode(err, directory.CodeConflict) {
			t.Errorf("a second Reject = %v, want a conflict", err)
		}
		again := e.run(c.ID)
		if again.Status != directory.RunHeld || cursor() != saved {
			t.Fatalf("the run after a rejection = %s; want it held again from the same deltaLink", again.Status)
		}
		approved := e.run("", func(r *engine.RunRequest) { r.Trigger, r.Approves = directory.TriggerApproval, again.ID })
		wantCounts(t, "approval", approved, map[string]int{"delete": 3})
		if cursor() == saved {
			t.Error("the applied approval run did not save its deltaLink")
		}
		if u := e.user("u6@contoso.test"); u.Status != directory.StatusDeleted {
			t.Errorf("u6 = %s after the approval", u.Status)
		}
		wantCounts(t, "a delta after the approval", e.run(c.ID), nil)
		if n := e.auditCount(c.ID, "user.delete"); n != 4 {
			t.Errorf("%d user.delete events by the connector, want 4", n)
		}
		if n := e.auditCount(e.admin.ID, "sync.run."); n != 2 {
			t.Errorf("%d approval and rejection events by the admin, want 2", n)
		}
	})
}
