package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

func TestUsageCountsSeatsByStatusRoleAndSource(t *testing.T) {
	e := consoletest.New(t)
	pending := e.CreateUser(e.Acme, "new@acme.example", directory.RoleUser, "") // pending, no password
	gone := e.CreateUser(e.Acme, "gone@acme.example", directory.RoleUser, consoletest.Password)
	if _, err := e.Svc.DeleteUser(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.Acme.ID, gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	for role, status := range map[string]int{"org_admin": 200, "org_viewer": 200, "billing_admin": 200, "user": 403} {
		if r := e.SignIn(role).Get("/usage"); r.Status != status {
			t.Errorf("usage as %s: %d, want %d", role, r.Status, status)
		}
	}
	r := e.SignIn("billing_admin").Get("/usage")
	// acme: four users of the roles, the pending one, one deleted.
	expect(t, "usage", r, http.StatusOK, "Seats in use: <strong>5</strong>", "1 deleted", "<svg", `aria-label="By role"`)
	cell := func(label string) string {
		m := regexp.MustCompile(`<tr><td>`+regexp.QuoteMeta(label)+`</td><td>(\d+)</td></tr>`).FindAllStringSubmatch(r.Body, -1)
		if len(m) != 1 {
			t.Fatalf("%d rows for %s", len(m), label)
		}
		return m[0][1]
	}
	for label, want := range map[string]string{"active": "4", "pending": "1", "locked": "0", "User": "2",
		"Organization Admin": "1", "Billing Admin": "1", "local": "5", "scim": "0"} {
		if got := cell(label); got != want {
			t.Errorf("%s: %s, want %s", label, got, want)
		}
	}
	if pending.Status != directory.StatusPending {
		t.Fatalf("the passwordless user is %s", pending.Status)
	}
	// The billing admin's nav holds usage and its own things only.
	for _, other := range []string{`href="/users"`, `href="/org"`, `href="/audit"`} {
		if strings.Contains(r.Body, other) {
			t.Errorf("the billing admin's page links to %s", other)
		}
	}
	if !strings.Contains(r.Body, `href="/usage" aria-current="page"`) {
		t.Error("the nav does not mark usage")
	}
	g := e.SignIn("globex_admin").Get("/usage")
	expect(t, "globex", g, 200, "Seats in use: <strong>1</strong>")
}
