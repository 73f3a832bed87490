package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// apiEnv serves the connector API over an SQLite Roster, with the runner
// serving background runs. Requests name their role in X-Test-Role.
type apiEnv struct {
	*env
	srv   *httptest.Server
	graph *entratest.Server
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	g := graphTenant(t, 5)
	e := newEnv(t, s, entra.Kind(entra.WithHTTPClient(g.Client())))
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Runner.Run: %v", err)
		}
	})
	caller := func(r *http.Request) (engine.Caller, error) {
		role := directory.Role(r.Header.Get("X-Test-Role"))
		if role == "" {
			return engine.Caller{}, directory.Errorf(directory.CodeUnauthorized, "log in first")
		}
		return engine.Caller{OrgID: e.org.ID, Actor: e.admin, Role: role}, nil
	}
	api := engine.NewAPI(e.runner, caller, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if len(api.Routes()) != 12 {
		t.Errorf("the API has %d routes, want the 12 it documents", len(api.Routes()))
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	// The runner must be serving before the first background run.
	for !e.runnerServing() {
		time.Sleep(time.Millisecond)
	}
	return &apiEnv{env: e, srv: srv, graph: g}
}

// runnerServing reports whether Runner.Run has started, by asking for a
// background run of a connector that does not exist.
func (e *env) runnerServing() bool {
	_, err := e.runner.Start(e.ctx, engine.RunRequest{OrgID: e.org.ID, ConnectorID: "none", Trigger: directory.TriggerManual})
	return directory.IsCode(err, directory.CodeNotFound)
}

// call sends a request as role and decodes the JSON response into out.
func (a *apiEnv) call(role directory.Role, method, path string, body any, out any, header ...string) int {
	a.t.Helper()
	var rd *bytes.Reader
	if s, ok := body.(string); ok {
		rd = bytes.NewReader([]byte(s))
	} else {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	if body == nil {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(a.ctx, method, a.srv.URL+engine.APIPrefix+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("X-Test-Role", string(role))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			a.t.Fatalf("%s %s: decoding the response: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// wait polls a run until it ends.
func (a *apiEnv) wait(connectorID, runID string) *engine.Run {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var run engine.Run
		if code := a.call(directory.RoleOrgViewer, "GET", "/connectors/"+connectorID+"/runs/"+runID, nil, &run); code != 200 {
			a.t.Fatalf("GET run: %d", code)
		}
		if run.Status != directory.RunRunning {
			return &run
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("run %s still running", runID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestConnectorAPI(t *testing.T) {
	a := newAPIEnv(t)
	admin, viewer := directory.RoleOrgAdmin, directory.RoleOrgViewer
	create := map[string]any{
		"name": "Contoso", "kind": "entra", "schedule": "@every 30m",
		"settings": entra.Settings{TenantID: a.graph.TenantID, ClientID: a.graph.ClientID, AuthorityURL: a.graph.URL, GraphURL: a.graph.URL},
		"secrets":  map[string]string{"clientSecret": a.graph.ClientSecret},
	}

	var e apiError
	if code := a.call("", "GET", "/connectors", nil, &e); code != 401 || e.Error.Code != "unauthorized" {
		t.Errorf("anonymous list = %d %+v", code, e)
	}
	if code := a.call(viewer, "POST", "/connectors", create, &e); code != 403 {
		t.Errorf("a viewer created a connector: %d", code)
	}
	bad := map[string]any{"name": "Bad", "kind": "entra", "settings": map[string]any{"tenant": "x"}, "secrets": map[string]string{"clientSecret": "s"}}
	if code := a.call(admin, "POST", "/connectors", bad, &e); code != 400 || e.Error.Field != "settings" || !strings.Contains(e.Error.Message, "tenant") {
		t.Errorf("misspelt settings = %d %+v", code, e)
	}

	var c engine.ConnectorView
	if code := a.call(admin, "POST", "/connectors", create, &c); code != 201 {
		t.Fatalf("create = %d", code)
	}
	raw, _ := json.Marshal(c)
	if strings.Contains(string(raw), a.graph.ClientSecret) || len(c.Secrets) != 1 || c.Secrets[0] != "clientSecret" {
		t.Errorf("the connector as shown = %s; want its secret named, not shown", raw)
	}
	if c.Threshold != 0.2 || c.Deprovision != directory.DeprovisionSuspend || !c.Enabled {
		t.Errorf("defaults = threshold %v, %s, enabled %v", c.Threshold, c.Deprovision, c.Enabled)
	}
	var list struct{ Connectors []engine.ConnectorView }
	if code := a.call(viewer, "GET", "/connectors", nil, &list); code != 200 || len(list.Connectors) != 1 {
		t.Errorf("viewer list = %d, %d connectors", code, len(list.Connectors))
	}

	if code := a.call(admin, "PATCH", "/connectors/"+c.ID, map[string]any{"threshold": 0.5}, &e, "If-Match", `"7"`); code != 412 {
		t.Errorf("a stale If-Match = %d", code)
	}
	if code := a.call(admin, "PATCH", "/connectors/"+c.ID, map[string]any{"schedul": "x"}, &e); code != 400 {
		t.Errorf("an unknown field = %d", code)
	}
	if code := a.call(admin, "PATCH", "/connectors/Contoso", map[string]any{"schedule": "@every 10s"}, &e); code != 400 || e.Error.Field != "schedule" {
		t.Errorf("a schedule under a minute = %d %+v", code, e)
	}
	var updated engine.ConnectorView
	if code := a.call(admin, "PATCH", "/connectors/Contoso", map[string]any{"threshold": 0.5}, &updated, "If-Match", fmt.Sprintf(`"%d"`, c.Version)); code != 200 || updated.Threshold != 0.5 {
		t.Errorf("update by name = %d, threshold %v", code, updated.Threshold)
	}

	var dry engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/dry-run", nil, &dry); code != 202 || dry.Status != directory.RunRunning || !dry.DryRun {
		t.Fatalf("dry run = %d %+v", code, dry)
	}
	if code := a.call(viewer, "POST", "/connectors/"+c.ID+"/run", nil, &e); code != 403 {
		t.Errorf("a viewer ran a connector: %d", code)
	}
	planned := a.wait(c.ID, dry.ID)
	if planned.Status != directory.RunSucceeded || planned.Plan == nil || len(planned.Plan.Items) != 7 || len(a.users()) != 0 {
		t.Errorf("dry run = %s with plan %+v; users %v", planned.Status, planned.Plan, a.users())
	}

	var run engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/run", `{"full": true}`, &run); code != 202 {
		t.Fatalf("run = %d", code)
	}
	if done := a.wait(c.ID, run.ID); done.Status != directory.RunSucceeded || done.Counts["create"] != 5 || done.Plan != nil {
		t.Errorf("run = %s, counts %v", done.Status, done.Counts)
	}

	for i := range 3 {
		a.graph.DeleteUser(entratest.ID(i), true)
	}
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/run", nil, &run); code != 202 {
		t.Fatalf("run = %d", code)
	}
	if held := a.wait(c.ID, run.ID); held.Status != directory.RunHeld || len(held.Plan.Held) != 3 {
		t.Fatalf("run = %s, plan %+v; want 3 deprovisions held (3 of 5 > 50%%)", held.Status, held.Plan)
	}
	if code := a.call(viewer, "POST", "/connectors/"+c.ID+"/runs/"+run.ID+"/approve", nil, &e); code != 403 {
		t.Errorf("a viewer approved: %d", code)
	}
	var approval engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/runs/"+run.ID+"/approve", nil, &approval); code != 202 {
		t.Fatalf("approve = %d", code)
	}
	if done := a.wait(c.ID, approval.ID); done.Status != directory.RunSucceeded || done.Counts["suspend"] != 3 || done.ApprovalOf != run.ID {
		t.Errorf("approval run = %+v", done)
	}
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/runs/"+run.ID+"/reject", nil, &e); code != 409 {
		t.Errorf("rejecting an approved run = %d", code)
	}

	var history struct {
		Runs []engine.Run
		Next string
	}
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs?limit=2", nil, &history); code != 200 || len(history.Runs) != 2 || history.Next == "" {
		t.Fatalf("history = %d, %d runs, next %q", code, len(history.Runs), history.Next)
	}
	if history.Runs[0].ID != approval.ID || history.Runs[0].Plan != nil {
		t.Errorf("history starts with %s (plan %v), want the approval run, without plan", history.Runs[0].ID, history.Runs[0].Plan)
	}
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs?before="+history.Next, nil, &history); code != 200 || len(history.Runs) != 2 {
		t.Errorf("older history = %d, %d runs", code, len(history.Runs))
	}

	if code := a.call(admin, "DELETE", "/connectors/"+c.ID, nil, nil); code != 204 {
		t.Errorf("delete = %d", code)
	}
	if code := a.call(viewer, "GET", "/connectors/"+c.ID, nil, &e); code != 404 || e.Error.Code != "not_found" {
		t.Errorf("get after delete = %d %+v", code, e)
	}
	if code := a.call(viewer, "GET", "/nowhere", nil, &e); code != 404 {
		t.Errorf("an unknown route = %d", code)
	}
}
