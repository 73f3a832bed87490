package admin

import (
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
	"github.com/roster/roster/sync/engine"
)

// connectorRoutes serve an organization's directory connectors and their
// runs, through the sync engine's Runner. {id} is a connector's id or
// name. Secrets are write-only: answers name the secrets set, never their
// values. Runs start in the background (the Runner's Run must be
// serving): the 202 answer is the run as started, and GET …/runs/{run}
// shows its progress and, for a dry run, its plan. PATCH honours If-Match
// with the connector's version. Every route is scoped to the caller's
// organization, so another organization's connector is not found.
func (h *handler) connectorRoutes() []route {
	get, post, patch, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	doc := func(summary string, status int, query ...string) opDoc {
		return opDoc{tag: "connectors", summary: summary, status: status, query: query}
	}
	return []route{
		{get, "/connector-kinds", permRead, false, doc("The kinds of directory a connector can read: settings schema, secrets, default mapping", 0), jsonRoute(h, h.listConnectorKinds)},
		{get, "/connectors", permRead, false, doc("List directory connectors", 0), jsonRoute(h, h.listConnectors)},
		{post, "/connectors", permWrite, false, doc("Create a directory connector", http.StatusCreated), jsonRoute(h, h.createConnector)},
		{get, "/connectors/{id}", permRead, false, doc("One directory connector (secrets by name only)", 0), jsonRoute(h, h.getConnector)},
		{patch, "/connectors/{id}", permWrite, false, doc("Change a directory connector", 0), jsonRoute(h, h.updateConnector)},
		{del, "/connectors/{id}", permWrite, false, doc("Delete a directory connector (its users stay)", http.StatusNoContent), jsonRoute(h, h.deleteConnector)},
		{post, "/connectors/{id}/check", permWrite, false, doc("Connect and authenticate to the directory", 0), jsonRoute(h, h.checkConnector)},
		{post, "/connectors/{id}/run", permWrite, false, doc("Run a connector now", http.StatusAccepted), jsonRoute(h, h.runConnector(false))},
		{post, "/connectors/{id}/dry-run", permWrite, false, doc("Plan a run without applying it", http.StatusAccepted), jsonRoute(h, h.runConnector(true))},
		{get, "/connectors/{id}/runs", permRead, false, doc("A connector's run history, newest first", 0, "limit", "before"), jsonRoute(h, h.listRuns)},
		{get, "/connectors/{id}/runs/{run}", permRead, false, doc("One run, with its plan", 0), jsonRoute(h, h.getRun)},
		{get, "/connectors/{id}/runs/{run}/errors", permRead, false, doc("A page of the errors a run kept (offset, limit)", 0), jsonRoute(h, h.runErrors)},
		{post, "/connectors/{id}/runs/{run}/approve", permWrite, false, doc("Approve a run held at the safety threshold", http.StatusAccepted), jsonRoute(h, h.approveRun)},
		{post, "/connectors/{id}/runs/{run}/reject", permWrite, false, doc("Reject a run held at the safety threshold", 0), jsonRoute(h, h.rejectRun)},
	}
}

type connectorKindList struct {
	Kinds []engine.KindInfo `json:"kinds"`
}

// listConnectorKinds describes the kinds registered with the runner, so
// that a client (the console's connector form, say) builds its form from
// each kind's settings schema rather than knowing the kinds itself.
func (h *handler) listConnectorKinds(_ http.ResponseWriter, _ *http.Request, _ *principal, _ *noBody) (connectorKindList, error) {
	return connectorKindList{Kinds: h.cfg.Sync.Kinds()}, nil
}

type connectorList struct {
	Connectors []*engine.ConnectorView `json:"connectors"`
}

func (h *handler) listConnectors(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (connectorList, error) {
	list, err := h.cfg.Sync.ListConnectors(r.Context(), p.orgID())
	return connectorList{Connectors: list}, err
}

func (h *handler) createConnector(w http.ResponseWriter, r *http.Request, p *principal, in *engine.ConnectorInput) (*engine.ConnectorView, error) {
	v, err := h.cfg.Sync.CreateConnector(r.Context(), p.actor(true), p.orgID(), *in)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Location", Prefix+"/connectors/"+v.ID)
	w.Header().Set("ETag", etag.Of(v.Version))
	return v, nil
}

func (h *handler) getConnector(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (*engine.ConnectorView, error) {
	v, err := h.cfg.Sync.GetConnector(r.Context(), p.orgID(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	w.Header().Set("ETag", etag.Of(v.Version))
	return v, nil
}

func (h *handler) updateConnector(w http.ResponseWriter, r *http.Request, p *principal, in *engine.ConnectorInput) (*engine.ConnectorView, error) {
	id, err := h.connectorID(r, p)
	if err != nil {
		return nil, err
	}
	ifVersion, err := etag.Pinned(r.Header.Get("If-Match"))
	if err != nil {
		return nil, err
	}
	v, err := h.cfg.Sync.UpdateConnector(r.Context(), p.actor(true), p.orgID(), id, ifVersion, *in)
	if err != nil {
		return nil, err
	}
	w.Header().Set("ETag", etag.Of(v.Version))
	return v, nil
}

func (h *handler) deleteConnector(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	id, err := h.connectorID(r, p)
	if err != nil {
		return noBody{}, err
	}
	return noBody{}, h.cfg.Sync.DeleteConnector(r.Context(), p.actor(true), p.orgID(), id)
}

type checkResult struct {
	OK bool `json:"ok"`
}

func (h *handler) checkConnector(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (checkResult, error) {
	id, err := h.connectorID(r, p)
	if err != nil {
		return checkResult{}, err
	}
	if err := h.cfg.Sync.CheckConnector(r.Context(), p.orgID(), id); err != nil {
		return checkResult{}, err
	}
	return checkResult{OK: true}, nil
}

// runOptions is the optional body of run and dry-run.
type runOptions struct {
	Full bool `json:"full" doc:"Read the whole directory instead of the changes since the last run."`
}

func (runOptions) optionalBody() {}

func (h *handler) runConnector(dry bool) func(w http.ResponseWriter, r *http.Request, p *principal, in *runOptions) (*engine.Run, error) {
	return func(w http.ResponseWriter, r *http.Request, p *principal, in *runOptions) (*engine.Run, error) {
		id, err := h.connectorID(r, p)
		if err != nil {
			return nil, err
		}
		run, err := h.cfg.Sync.Start(r.Context(), engine.RunRequest{OrgID: p.orgID(), ConnectorID: id, Trigger: directory.TriggerManual,
			DryRun: dry, Full: in.Full, By: p.actor(true)})
		if err != nil {
			return nil, err
		}
		w.Header().Set("Location", Prefix+"/connectors/"+id+"/runs/"+run.ID)
		return run, nil
	}
}

type runList struct {
	Runs []*engine.Run `json:"runs"`
	// Next is the before of the next page.
	Next string `json:"next,omitempty" doc:"Pass as before for the next page."`
}

func (h *handler) listRuns(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (runList, error) {
	id, err := h.connectorID(r, p)
	if err != nil {
		return runList{}, err
	}
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return runList{}, directory.FieldErrorf(directory.CodeInvalid, "limit", "limit must be a positive number")
		}
	}
	limit = directory.ClampLimit(limit)
	runs, err := h.cfg.Sync.Runs(r.Context(), p.orgID(), id, r.URL.Query().Get("before"), limit)
	if err != nil {
		return runList{}, err
	}
	out := runList{Runs: runs}
	if len(runs) == limit {
		out.Next = runs[len(runs)-1].ID
	}
	return out, nil
}

func (h *handler) getRun(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (*engine.Run, error) {
	return h.connectorRun(r, p)
}

func (h *handler) runErrors(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (*engine.ErrorPage, error) {
	run, err := h.connectorRun(r, p)
	if err != nil {
		return nil, err
	}
	offset, limit := 0, 0
	q := r.URL.Query()
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "offset", "offset must be a number, 0 or more")
		}
	}
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "limit", "limit must be a positive number")
		}
	}
	return h.cfg.Sync.RunErrors(r.Context(), p.orgID(), run.ID, offset, limit)
}

func (h *handler) approveRun(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (*engine.Run, error) {
	held, err := h.connectorRun(r, p)
	if err != nil {
		return nil, err
	}
	run, err := h.cfg.Sync.Approve(r.Context(), p.actor(true), p.orgID(), held.ID)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Location", Prefix+"/connectors/"+held.ConnectorID+"/runs/"+run.ID)
	return run, nil
}

func (h *handler) rejectRun(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (*engine.Run, error) {
	held, err := h.connectorRun(r, p)
	if err != nil {
		return nil, err
	}
	return h.cfg.Sync.Reject(r.Context(), p.actor(true), p.orgID(), held.ID)
}

// connectorID resolves the {id} of the path, an id or a name.
func (h *handler) connectorID(r *http.Request, p *principal) (string, error) {
	c, err := h.dir.FindConnector(r.Context(), p.orgID(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// connectorRun reads the {run} of the path, which must be a run of the
// path's connector.
func (h *handler) connectorRun(r *http.Request, p *principal) (*engine.Run, error) {
	id, err := h.connectorID(r, p)
	if err != nil {
		return nil, err
	}
	run, err := h.cfg.Sync.GetRun(r.Context(), p.orgID(), r.PathValue("run"))
	if err != nil {
		return nil, err
	}
	if run.ConnectorID != id {
		return nil, directory.Errorf(directory.CodeNotFound, "sync run not found")
	}
	return run, nil
}
