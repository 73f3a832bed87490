package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// connectorEnv serves the connector routes with an Entra kind over a fake
// Graph tenant of five users, the runner serving background runs.
type connectorEnv struct {
	*env
	graph *entratest.Server
}

func newConnectorEnv(t *testing.T) *connectorEnv {
	t.Helper()
	return newConnectorEnvWith(t, nil, 0)
}

// newConnectorEnvWith is newConnectorEnv with the connector's requests to
// Graph going through wrap (if not nil), and runs saving their progress
// every progressEvery (the default if zero).
func newConnectorEnvWith(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper, progressEvery time.Duration) *connectorEnv {
	t.Helper()
	g := entratest.New()
	t.Cleanup(g.Close)
	g.PageSize = 3
	for i := range 5 {
		g.PutUser(entratest.User{ID: entratest.ID(i), UserPrincipalName: fmt.Sprintf("u%d@contoso.test", i),
			Mail: fmt.Sprintf("u%d@contoso.test", i), GivenName: "User", Surname: fmt.Sprintf("Number%d", i),
			JobTitle: "Engineer", AccountEnabled: true})
	}
	g.PutGroup(entratest.ID(1000), "Staff")
	g.AddMembers(entratest.ID(1000), entratest.ID(0), entratest.ID(1), entratest.ID(2))

	e := newEnv(t, func(c *Config) {
		sealer, err := engine.NewSealer(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		client := g.Client()
		if wrap != nil {
			client.Transport = wrap(client.Transport)
		}
		runner, err := engine.NewRunner(engine.RunnerConfig{
			Directory: serviceOf(c), Sealer: sealer, Logger: c.Logger, ProgressEvery: progressEvery,
			Kinds: []engine.Kind{entra.Kind(entra.WithHTTPClient(client))},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Sync = runner
	})
	runner := e.h.cfg.Sync
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Runner.Run: %v", err)
		}
	})
	// The runner must be serving before the first background run: it is
	// once a background run of an unknown connector is not found.
	for {
		_, err := runner.Start(e.ctx, engine.RunRequest{OrgID: e.acme.ID, ConnectorID: "none", Trigger: directory.TriggerManual})
		if directory.IsCode(err, directory.CodeNotFound) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return &connectorEnv{env: e, graph: g}
}

// call sends a JSON request (body encoded unless a string) with a token of
// role ("" for none) and decodes the JSON answer into out.
func (a *connectorEnv) call(role directory.Role, method, path string, body any, out any, header ...string) int {
	a.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	req := httptest.NewRequest(method, Prefix+path, bytes.NewReader(raw))
	req.RemoteAddr = "192.0.2.1:1234"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[string(role)])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if out != nil && rec.Code != http.StatusNoContent {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			a.t.Fatalf("%s %s: decoding the response: %v", method, path, err)
		}
	}
	return rec.Code
}

// wait polls a run until it ends.
func (a *connectorEnv) wait(connectorID, runID string) *engine.Run {
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

// synced lists the users the directory brought in.
func (a *connectorEnv) synced() []string {
	a.t.Helper()
	page, err := a.svc.ListUsers(a.ctx, a.acme.ID, directory.UserQuery{IncludeDeleted: true, Limit: directory.MaxPageSize})
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for _, u := range page.Users {
		if u.Source == directory.SourceEntra {
			out = append(out, u.UserName+" "+string(u.Status))
		}
	}
	return out
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestConnectorAPI(t *testing.T) {
	t.Parallel()
	a := newConnectorEnv(t)
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
	twice := `{"name":"Twice","kind":"entra","settings":{"tenantId":"a","tenantId":"b"},"secrets":{"clientSecret":"s"}}`
	if code := a.call(admin, "POST", "/connectors", twice, &e); code != 400 || e.Error.Field != "settings.tenantId" {
		t.Errorf("a setting given twice = %d %+v", code, e)
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
	if c.ThresholdMin != 10 || c.GroupThresholdMin != 10 || c.MemberThresholdMin != 100 {
		t.Errorf("defaults = minimum counts %d, %d, %d", c.ThresholdMin, c.GroupThresholdMin, c.MemberThresholdMin)
	}
	if c.GroupThreshold != 0.2 || c.MemberThreshold != 0.2 || c.Reconcile != "@daily" || c.ReconciledAt != nil {
		t.Errorf("defaults = group threshold %v, member threshold %v, reconcile %q (last %v)", c.GroupThreshold, c.MemberThreshold, c.Reconcile, c.ReconciledAt)
	}
	for field, body := range map[string]any{
		"groupThreshold":  map[string]any{"groupThreshold": 1.5},
		"memberThreshold": map[string]any{"memberThreshold": -0.1},
		"reconcile":       map[string]any{"reconcile": "whenever"},
		"thresholdMin":    map[string]any{"thresholdMin": -1},
	} {
		if code := a.call(admin, "PATCH", "/connectors/"+c.ID, body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("PATCH %v = %d %+v, want 400 naming %s", body, code, e, field)
		}
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
	// The directory is small: hold on the share alone.
	if code := a.call(admin, "PATCH", "/connectors/Contoso", map[string]any{"threshold": 0.5, "thresholdMin": 0}, &updated, "If-Match", fmt.Sprintf(`"%d"`, c.Version)); code != 200 || updated.Threshold != 0.5 || updated.ThresholdMin != 0 {
		t.Errorf("update by name = %d, threshold %v, minimum %d", code, updated.Threshold, updated.ThresholdMin)
	}

	var dry engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/dry-run", nil, &dry); code != 202 || dry.Status != directory.RunRunning || !dry.DryRun {
		t.Fatalf("dry run = %d %+v", code, dry)
	}
	var errs engine.ErrorPage
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs/"+dry.ID+"/errors?limit=5", nil, &errs); code != 200 || errs.Total != 0 || errs.Errors == nil {
		t.Errorf("a run's errors = %d %+v", code, errs)
	}
	if code := a.call(admin, "GET", "/connectors/"+c.ID+"/runs/"+dry.ID+"/errors?offset=-1", nil, &e); code != 400 || e.Error.Field != "offset" {
		t.Errorf("a negative offset = %d %+v", code, e)
	}
	if code := a.call(admin, "GET", "/connectors/"+c.ID+"/runs/nope/errors", nil, &e); code != 404 {
		t.Errorf("an unknown run's errors = %d", code)
	}
	if code := a.call(viewer, "POST", "/connectors/"+c.ID+"/run", nil, &e); code != 403 {
		t.Errorf("a viewer ran a connector: %d", code)
	}
	planned := a.wait(c.ID, dry.ID)
	if planned.Status != directory.RunSucceeded || planned.Plan == nil || len(planned.Plan.Items) != 7 || len(a.synced()) != 0 {
		t.Errorf("dry run = %s with plan %+v; users %v", planned.Status, planned.Plan, a.synced())
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
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/runs/"+directory.NewID()+"/approve", nil, &e); code != 404 {
		t.Errorf("approving a run that does not exist = %d", code)
	}

	// The directory moves on before the approval: the held plan is no
	// longer what a run would do, so nothing is applied.
	before := a.synced()
	a.graph.DeleteUser(entratest.ID(3), true)
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/runs/"+run.ID+"/approve", nil, &e); code != 409 ||
		!strings.Contains(e.Error.Message, "changed since it was held") || !strings.Contains(e.Error.Message, "holds the new plan") {
		t.Fatalf("approving a plan the directory moved on from = %d %+v, want 409 saying why", code, e)
	}
	if diff := cmp.Diff(before, a.synced()); diff != "" {
		t.Errorf("a refused approval changed users (-before +after):\n%s", diff)
	}
	var refused struct{ Runs []engine.Run }
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs?limit=1", nil, &refused); code != 200 || len(refused.Runs) != 1 {
		t.Fatalf("history = %d %+v", code, refused)
	}
	renewed := a.wait(c.ID, refused.Runs[0].ID)
	if renewed.Status != directory.RunHeld || renewed.ApprovalOf != run.ID || renewed.Plan == nil || len(renewed.Plan.Held) != 4 ||
		renewed.Plan.Digest == "" || len(renewed.Counts) != 0 || renewed.Plan.Counts["suspend"] != 4 {
		t.Fatalf("the refused approval run = %+v, want it held with the new plan of 4 suspensions", renewed)
	}
	run = *renewed

	var approval engine.Run
	if code := a.call(admin, "POST", "/connectors/"+c.ID+"/runs/"+run.ID+"/approve", nil, &approval); code != 202 {
		t.Fatalf("approve = %d", code)
	}
	if done := a.wait(c.ID, approval.ID); done.Status != directory.RunSucceeded || done.Counts["suspend"] != 4 || done.ApprovalOf != run.ID {
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
	if code := a.call(viewer, "GET", "/connectors/"+c.ID+"/runs?before="+history.Next, nil, &history); code != 200 || len(history.Runs) != 3 {
		t.Errorf("older history = %d, %d runs; want the dry run, the first run and the first held run", code, len(history.Runs))
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
