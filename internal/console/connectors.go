package console

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// Connectors is what the connector pages need of the sync engine: the
// same Runner as the API's /connectors routes.
type Connectors interface {
	Kinds() []engine.KindInfo
	ListConnectors(ctx context.Context, orgID string) ([]*engine.ConnectorView, error)
	GetConnector(ctx context.Context, orgID, idOrName string) (*engine.ConnectorView, error)
	CreateConnector(ctx context.Context, actor directory.Actor, orgID string, in engine.ConnectorInput) (*engine.ConnectorView, error)
	CheckConnector(ctx context.Context, orgID, id string) error
	Start(ctx context.Context, req engine.RunRequest) (*engine.Run, error)
	GetRun(ctx context.Context, orgID, runID string) (*engine.Run, error)
	Runs(ctx context.Context, orgID, connectorID, before string, limit int) ([]*engine.Run, error)
	Approve(ctx context.Context, actor directory.Actor, orgID, runID string) (*engine.Run, error)
	Reject(ctx context.Context, actor directory.Actor, orgID, runID string) (*engine.Run, error)
}

var _ Connectors = (*engine.Runner)(nil)

const connectorsPath = "/org/connectors"

// connectorTable is the connector pages, served when the console has a
// Runner.
func (c *Console) connectorTable() []page {
	get, post := http.MethodGet, http.MethodPost
	read, write := admin.PermRead, admin.PermWrite
	return []page{
		{get, connectorsPath, read, false, c.connectorsPage},
		{get, connectorsPath + "/new", write, false, c.newConnectorPage},
		{post, connectorsPath, write, false, c.createConnector},
		{get, connectorsPath + "/{id}", read, false, c.connectorPage},
		{post, connectorsPath + "/{id}/check", write, false, c.checkConnector},
		{post, connectorsPath + "/{id}/dry-run", write, false, c.startRun(true)},
		{post, connectorsPath + "/{id}/run", write, false, c.startRun(false)},
		{get, connectorsPath + "/{id}/runs/{run}", read, false, c.runPage},
		{post, connectorsPath + "/{id}/runs/{run}/approve", write, false, c.decideRun(true)},
		{post, connectorsPath + "/{id}/runs/{run}/reject", write, false, c.decideRun(false)},
	}
}

type connectorsData struct {
	Connectors []*engine.ConnectorView
	Kinds      []engine.KindInfo
}

func (c *Console) connectorsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	list, err := c.cfg.Sync.ListConnectors(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "connectors", connectorsData{Connectors: list, Kinds: c.cfg.Sync.Kinds()})
}

// newConnectorData is the form of a new connector of one kind.
type newConnectorData struct {
	Kind     engine.KindInfo
	Fields   []schemaField
	Secrets  []string
	Name     string
	Schedule string
	// Deprovision, Threshold (a percentage) and ThresholdMin (a count)
	// are the safety settings.
	Deprovision  string
	Threshold    string
	ThresholdMin string
	Errors       formErrors
}

func (c *Console) kind(name string) (engine.KindInfo, error) {
	for _, k := range c.cfg.Sync.Kinds() {
		if string(k.Name) == name {
			return k, nil
		}
	}
	return engine.KindInfo{}, directory.Errorf(directory.CodeNotFound, "there is no connector kind %q", name)
}

func (c *Console) newConnectorPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	k, err := c.kind(r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	fields, err := schemaFields(k)
	if err != nil {
		return directory.Internal(err)
	}
	return c.render(w, r, rq, http.StatusOK, "connector_new", newConnectorData{Kind: k, Fields: fields, Secrets: k.Secrets,
		Deprovision: string(directory.DeprovisionSuspend), Threshold: strconv.Itoa(int(directory.DefaultSyncThreshold * 100)),
		ThresholdMin: strconv.Itoa(directory.DefaultThresholdMin)})
}

// createConnector stores a connector from the kind's form, through the
// same Runner.CreateConnector as POST /api/v1/connectors.
func (c *Console) createConnector(w http.ResponseWriter, r *http.Request, rq *request) error {
	k, err := c.kind(r.PostFormValue("kind"))
	if err != nil {
		return err
	}
	fields, err := schemaFields(k)
	if err != nil {
		return directory.Internal(err)
	}
	d := newConnectorData{Kind: k, Fields: fields, Secrets: k.Secrets,
		Name: strings.TrimSpace(r.PostFormValue("name")), Schedule: strings.TrimSpace(r.PostFormValue("schedule")),
		Deprovision: r.PostFormValue("deprovision"), Threshold: strings.TrimSpace(r.PostFormValue("threshold")),
		ThresholdMin: strings.TrimSpace(r.PostFormValue("thresholdMin"))}
	settings, ok := readSettings(r, d.Fields)
	pct, err := strconv.ParseFloat(d.Threshold, 64)
	if err != nil {
		d.Errors = formErrors{"threshold": "enter a percentage such as 20"}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "connector_new", d)
	}
	least := directory.DefaultThresholdMin
	if d.ThresholdMin != "" {
		if least, err = strconv.Atoi(d.ThresholdMin); err != nil || least < 0 {
			d.Errors = formErrors{"thresholdMin": "enter a number of users such as 10, or 0"}
			return c.render(w, r, rq, http.StatusUnprocessableEntity, "connector_new", d)
		}
	}
	if !ok {
		d.Errors = formErrors{"": "Some settings need correcting."}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "connector_new", d)
	}
	threshold, deprovision := pct/100, directory.Deprovision(d.Deprovision)
	in := engine.ConnectorInput{Kind: k.Name, Settings: settings, Secrets: map[string]string{},
		Threshold: &threshold, ThresholdMin: &least, Deprovision: &deprovision}
	if d.Name != "" {
		in.Name = &d.Name
	}
	if d.Schedule != "" {
		in.Schedule = &d.Schedule
	}
	for _, s := range k.Secrets {
		in.Secrets[s] = r.PostFormValue("secret." + s)
	}
	v, err := c.cfg.Sync.CreateConnector(r.Context(), rq.actor(), rq.user.OrgID, in)
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		if msg, ok := fe["threshold"]; ok {
			fe["threshold"] = "enter a percentage more than 0 and at most 100 (" + msg + ")"
		}
		d.Errors = fe
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "connector_new", d)
	}
	return c.redirect(w, r, connectorsPath+"/"+v.ID, "Connector "+v.Name+" created. Test it, then try a dry run.")
}

// connectorData is one connector, its last runs, and the result of a
// connection test when one just ran.
type connectorData struct {
	Connector *engine.ConnectorView
	Runs      []*engine.Run
	// Checked is set after a test: "" when the directory answered, else
	// what failed.
	Checked   bool
	CheckFail string
	// Refused says why a run did not start.
	Refused string
	// Nested is set when the connector resolves nested groups (its
	// nestedGroups setting): role rules and services count the users of
	// the groups inside a group.
	Nested bool
}

// connectorRuns is how many runs the connector page lists.
const connectorRuns = 20

func (c *Console) renderConnector(w http.ResponseWriter, r *http.Request, rq *request, status int, d connectorData) error {
	v, err := c.cfg.Sync.GetConnector(r.Context(), rq.user.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	runs, err := c.cfg.Sync.Runs(r.Context(), rq.user.OrgID, v.ID, "", connectorRuns)
	if err != nil {
		return err
	}
	d.Connector, d.Runs = v, runs
	var nested struct {
		NestedGroups bool `json:"nestedGroups"`
	}
	// Settings the kind checked on save; one that does not decode has no
	// nestedGroups.
	_ = json.Unmarshal(v.Settings, &nested)
	d.Nested = nested.NestedGroups
	return c.render(w, r, rq, status, "connector", d)
}

func (c *Console) connectorPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.renderConnector(w, r, rq, http.StatusOK, connectorData{})
}

// checkConnector connects to the directory and authenticates, and shows
// the outcome on the connector's page.
func (c *Console) checkConnector(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := c.cfg.Sync.GetConnector(r.Context(), rq.user.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := connectorData{Checked: true}
	if err := c.cfg.Sync.CheckConnector(r.Context(), rq.user.OrgID, v.ID); err != nil {
		if directory.ErrorCode(err) != directory.CodeInvalid {
			return err
		}
		d.CheckFail = directory.ErrorMessage(err)
		return c.renderConnector(w, r, rq, http.StatusUnprocessableEntity, d)
	}
	return c.renderConnector(w, r, rq, http.StatusOK, d)
}

// startRun starts a run or a dry run in the background and shows it.
func (c *Console) startRun(dry bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		v, err := c.cfg.Sync.GetConnector(r.Context(), rq.user.OrgID, r.PathValue("id"))
		if err != nil {
			return err
		}
		run, err := c.cfg.Sync.Start(r.Context(), engine.RunRequest{OrgID: rq.user.OrgID, ConnectorID: v.ID,
			Trigger: directory.TriggerManual, DryRun: dry, Full: r.PostFormValue("full") == "on", By: rq.actor()})
		if err != nil {
			if directory.ErrorCode(err) == directory.CodeConflict || directory.ErrorCode(err) == directory.CodeInvalid {
				return c.renderConnector(w, r, rq, http.StatusConflict, connectorData{Refused: directory.ErrorMessage(err)})
			}
			return err
		}
		return c.redirect(w, r, connectorsPath+"/"+v.ID+"/runs/"+run.ID, "")
	}
}

// runData is one run: its counts, its plan (dry and held runs), and,
// while it runs, the poll of its progress.
type runData struct {
	Connector *engine.ConnectorView
	Run       *engine.Run
	Counts    []runCount
	Running   bool
	Held      bool
	// Progress is how far the run got (nil for runs recorded before
	// progress was kept), with its percentage once the plan's size is
	// known and its time left while applying.
	Progress *engine.RunProgress
	Percent  string
	ETA      string
}

type runCount struct {
	Op string
	N  int
}

// connectorRun reads the {run} of the path, which must be a run of the
// path's connector in the caller's organization.
func (c *Console) connectorRun(r *http.Request, rq *request) (*engine.ConnectorView, *engine.Run, error) {
	v, err := c.cfg.Sync.GetConnector(r.Context(), rq.user.OrgID, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	run, err := c.cfg.Sync.GetRun(r.Context(), rq.user.OrgID, r.PathValue("run"))
	if err != nil {
		return nil, nil, err
	}
	if run.ConnectorID != v.ID {
		return nil, nil, directory.Errorf(directory.CodeNotFound, "sync run not found")
	}
	return v, run, nil
}

// runPage shows a run. An htmx poll (every second while it runs) asks for
// the run's part of the page only.
func (c *Console) runPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, run, err := c.connectorRun(r, rq)
	if err != nil {
		return err
	}
	d := runData{Connector: v, Run: run, Running: run.Status == directory.RunRunning, Held: run.Status == directory.RunHeld,
		Progress: run.Progress}
	if p := run.Progress; p != nil {
		if p.Percent != nil {
			d.Percent = strconv.FormatFloat(*p.Percent, 'f', 0, 64)
		}
		if p.ETASeconds != nil && d.Running {
			d.ETA = (time.Duration(*p.ETASeconds*float64(time.Second)) + time.Second/2).Truncate(time.Second).String()
		}
	}
	for _, op := range sortedKeys(run.Counts) {
		d.Counts = append(d.Counts, runCount{Op: op, N: run.Counts[op]})
	}
	if r.Header.Get("HX-Request") == "true" {
		return c.renderFragment(w, r, rq, http.StatusOK, "connector_run", "run", d)
	}
	return c.render(w, r, rq, http.StatusOK, "connector_run", d)
}

// decideRun approves a held run (a new run applies its deprovisions) or
// rejects it.
func (c *Console) decideRun(approve bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		v, held, err := c.connectorRun(r, rq)
		if err != nil {
			return err
		}
		if !approve {
			if _, err := c.cfg.Sync.Reject(r.Context(), rq.actor(), rq.user.OrgID, held.ID); err != nil {
				return err
			}
			return c.redirect(w, r, connectorsPath+"/"+v.ID+"/runs/"+held.ID, "Run rejected: the next run plans its deprovisions again.")
		}
		run, err := c.cfg.Sync.Approve(r.Context(), rq.actor(), rq.user.OrgID, held.ID)
		if err != nil {
			return err
		}
		return c.redirect(w, r, connectorsPath+"/"+v.ID+"/runs/"+run.ID, "Run approved: this run applies the held deprovisions.")
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
