package console_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

func TestARunningRunShowsAPercentageBar(t *testing.T) {
	e, g := newConnectorEnv(t)
	c := e.SignIn("org_viewer")
	r := e.SignIn("org_admin").Post("/org/connectors", entraForm(g, nil))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	home := r.Location()
	connectorID := strings.TrimPrefix(home, "/org/connectors/")

	// A run that another replica runs, and whose progress it saved.
	run := &directory.SyncRun{OrgID: e.Acme.ID, ConnectorID: connectorID, Trigger: directory.TriggerSchedule}
	if err := e.Svc.StartSyncRun(e.Ctx, directory.Actor{}, run, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	page := home + "/runs/" + run.ID
	expect(t, "a run with no progress yet", c.Get(page), 200, `<progress id="run-progress" aria-label="The run is reading the directory">`)

	save := func(p engine.RunProgress) {
		t.Helper()
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.SaveSyncRunProgress(e.Ctx, e.Acme.ID, run.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	save(engine.RunProgress{Phase: engine.PhaseFetching, Seen: 1200, Rate: 600})
	expect(t, "fetching", c.Get(page), 200, `aria-label="The run is fetching"`, "Reading the directory:", "1200 objects read")

	pct, eta := 40.0, 12.4
	save(engine.RunProgress{Phase: engine.PhaseApplying, Seen: 5000, Planned: 500, Applied: 200, Rate: 16.1, Percent: &pct, ETASeconds: &eta})
	got := c.Get(page)
	expect(t, "applying", got, 200, `<progress id="run-progress" value="40" max="100"`, "Applying the changes:",
		"500 changes planned", "200 applied (40%)", "about 12s left", `hx-trigger="every 1s"`)

	// Another organization sees no such run.
	if r := e.SignIn("globex_admin").Get(page); r.Status != 404 {
		t.Errorf("another organization's admin opened the run: %d", r.Status)
	}
}
