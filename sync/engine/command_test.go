package engine_test

import (
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
)

func TestSyncRunCommand(t *testing.T) {
	a := newServingEnv(t)
	c := entraConnector(a.env, a.graph, directory.DeprovisionSuspend)
	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := engine.RunCommand(a.ctx, a.runner, args, &out)
		return out.String(), err
	}

	out, err := run("--org", "corp", "--connector", "contoso", "--dry-run")
	if err != nil || !strings.Contains(out, "dry run") || !strings.Contains(out, "succeeded") ||
		!strings.Contains(out, "create") || !strings.Contains(out, "u0@contoso.test") {
		t.Errorf("dry run printed (err %v):\n%s", err, out)
	}
	if users := a.users(); len(users) != 0 {
		t.Errorf("the dry run wrote users: %v", users)
	}

	out, err = run("--org", "corp", "--connector", c.ID)
	if err != nil || !strings.Contains(out, "succeeded") || !strings.Contains(out, "create         5") {
		t.Errorf("run printed (err %v):\n%s", err, out)
	}
	runs, _ := a.runner.Runs(a.ctx, a.org.ID, c.ID, "", 1)
	if len(runs) != 1 || runs[0].Trigger != directory.TriggerCLI || runs[0].StartedBy != "operator:cli" {
		t.Errorf("history = %+v, want a cli run by the operator", runs)
	}

	for _, args := range [][]string{
		{"--org", "corp"},
		{"--org", "nope", "--connector", "contoso"},
		{"--org", "corp", "--connector", "nope"},
		{"--org", "corp", "--connector", "contoso", "extra"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("RunCommand(%q) succeeded", args)
		}
	}
}

func TestSchedulesListEnabledScheduledConnectors(t *testing.T) {
	a := newServingEnv(t)
	scheduled := entraConnector(a.env, a.graph, directory.DeprovisionSuspend)
	if _, err := a.runner.UpdateConnector(a.ctx, a.admin, a.org.ID, scheduled.ID, 0, engine.ConnectorInput{Schedule: ptr("*/20 * * * *")}); err != nil {
		t.Fatal(err)
	}
	settings := mustJSON(t, entra.Settings{TenantID: a.graph.TenantID, ClientID: a.graph.ClientID, AuthorityURL: a.graph.URL, GraphURL: a.graph.URL})
	a.connector(engine.ConnectorInput{Name: ptr("Manual only"), Kind: entra.KindName, Settings: settings,
		Secrets: map[string]string{entra.SecretClientSecret: a.graph.ClientSecret}})
	a.connector(engine.ConnectorInput{Name: ptr("Disabled"), Kind: entra.KindName, Settings: settings, Schedule: ptr("@hourly"),
		Enabled: ptr(false), Secrets: map[string]string{entra.SecretClientSecret: a.graph.ClientSecret}})
	for _, spec := range []string{"@every 5s", "every hour", "61 * * * *"} {
		_, err := a.runner.CreateConnector(a.ctx, a.admin, a.org.ID, engine.ConnectorInput{Name: ptr("Bad " + spec), Kind: entra.KindName,
			Settings: settings, Schedule: ptr(spec), Secrets: map[string]string{entra.SecretClientSecret: "s"}})
		if !directory.IsCode(err, directory.CodeInvalid) {
			t.Errorf("schedule %q: %v, want it refused", spec, err)
		}
	}

	list, err := a.runner.Schedules(a.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != engine.SchedulePrefix+scheduled.ID || list[0].Spec != "*/20 * * * *" {
		t.Fatalf("Schedules = %+v, want the one enabled, scheduled connector", list)
	}
	if err := list[0].Run(a.ctx); err != nil {
		t.Fatal(err)
	}
	runs, _ := a.runner.Runs(a.ctx, a.org.ID, scheduled.ID, "", 1)
	if len(runs) != 1 || runs[0].Trigger != directory.TriggerSchedule || runs[0].Status != directory.RunSucceeded {
		t.Errorf("the scheduled run = %+v", runs)
	}
}
