package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// APIPrefix is where the connector routes live; the admin API mounts the
// handler at APIPrefix+"/connectors" and APIPrefix+"/connectors/".
const APIPrefix = "/api/v1"

// Caller is who an API request acts for, as the admin API authenticated
// it.
type Caller struct {
	OrgID string
	Actor directory.Actor
	Role  directory.Role
}

// CallerFunc returns the caller of a request, or an error (CodeUnauthorized)
// if the request is not authenticated. The admin API provides it: it owns
// authentication.
type CallerFunc func(r *http.Request) (Caller, error)

// API serves an organization's connectors as JSON. Routes, relative to
// APIPrefix (Route.Write marks the org_admin ones; the others are open to
// org_admin and org_viewer, and every route is scoped to the caller's
// organization):
//
//	GET    /connectors                          list               read
//	POST   /connectors                          create (201)       write
//	GET    /connectors/{id}                     one connector      read
//	PATCH  /connectors/{id}                     update             write
//	DELETE /connectors/{id}                     delete (204)       write
//	POST   /connectors/{id}/check               test the directory write
//	POST   /connectors/{id}/run                 run now (202)      write
//	POST   /connectors/{id}/dry-run             plan only (202)    write
//	GET    /connectors/{id}/runs                run history        read
//	GET    /connectors/{id}/runs/{run}          one run, with plan read
//	POST   /connectors/{id}/runs/{run}/approve  apply a held run   write
//	POST   /connectors/{id}/runs/{run}/reject   drop a held run    write
//
// {id} is a connector's id or name. Secrets are write-only: responses name
// the secrets set, never their values. Runs start in the background (the
// Runner's Run must be serving): the 202 response is the run as started,
// and GET …/runs/{run} shows its progress and, for a dry run, its plan.
// PATCH honours If-Match with the connector's version. Errors are
// {"error": {"code", "message", "field"}} with the status of the code, as
// in the rest of the admin API.
type API struct {
	runner  *Runner
	caller  CallerFunc
	logger  *slog.Logger
	routes  []Route
	mux     *http.ServeMux
	maxBody int64
}

// Route is one route of the API, for the admin API's route table and its
// OpenAPI document.
type Route struct {
	Method string
	// Path is relative to APIPrefix, with {id} and {run} wildcards.
	Path string
	// Write routes are for org_admin; the others for org_viewer too.
	Write   bool
	Summary string
	Handler http.HandlerFunc
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// NewAPI returns the connector API.
func NewAPI(runner *Runner, caller CallerFunc, logger *slog.Logger) *API {
	a := &API{runner: runner, caller: caller, logger: logger, mux: http.NewServeMux(), maxBody: maxBody}
	get, post, patch, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	a.routes = []Route{
		{get, "/connectors", false, "List directory connectors", a.handle(false, a.list)},
		{post, "/connectors", true, "Create a directory connector", a.handle(true, a.create)},
		{get, "/connectors/{id}", false, "One directory connector (secrets by name only)", a.handle(false, a.get)},
		{patch, "/connectors/{id}", true, "Change a directory connector", a.handle(true, a.update)},
		{del, "/connectors/{id}", true, "Delete a directory connector (its users stay)", a.handle(true, a.remove)},
		{post, "/connectors/{id}/check", true, "Connect and authenticate to the directory", a.handle(true, a.check)},
		{post, "/connectors/{id}/run", true, "Run a connector now", a.handle(true, a.run(false))},
		{post, "/connectors/{id}/dry-run", true, "Plan a run without applying it", a.handle(true, a.run(true))},
		{get, "/connectors/{id}/runs", false, "A connector's run history, newest first", a.handle(false, a.runs)},
		{get, "/connectors/{id}/runs/{run}", false, "One run, with its plan", a.handle(false, a.oneRun)},
		{post, "/connectors/{id}/runs/{run}/approve", true, "Approve a run held at the safety threshold", a.handle(true, a.approve)},
		{post, "/connectors/{id}/runs/{run}/reject", true, "Reject a run held at the safety threshold", a.handle(true, a.reject)},
	}
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+APIPrefix+rt.Path, rt.Handler)
	}
	return a
}

// Routes lists the API's routes.
func (a *API) Routes() []Route { return a.routes }

// ServeHTTP routes full paths (APIPrefix/connectors…).
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern == "" {
		a.writeError(w, r, directory.Errorf(directory.CodeNotFound, "no such route: %s %s", r.Method, r.URL.Path))
		return
	}
	a.mux.ServeHTTP(w, r)
}

// handle authenticates and authorizes a request, then runs fn and renders
// what it returns: a status and a body, or an error.
func (a *API) handle(write bool, fn func(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.caller(r)
		if err == nil {
			switch {
			case write && !c.Role.CanWriteOrg():
				err = directory.Errorf(directory.CodeForbidden, "only an org_admin may change connectors or run them")
			case !write && !c.Role.CanReadOrg():
				err = directory.Errorf(directory.CodeForbidden, "only an org_admin or org_viewer may read connectors")
			}
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.maxBody)
		status, body, err := fn(w, r, c)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		apijson.Write(w, status, body)
	}
}

func (a *API) list(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	list, err := a.runner.ListConnectors(r.Context(), c.OrgID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"connectors": list}, nil
}

func (a *API) create(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	var in ConnectorInput
	if err := decode(r, &in, false); err != nil {
		return 0, nil, err
	}
	v, err := a.runner.CreateConnector(r.Context(), c.Actor, c.OrgID, in)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", APIPrefix+"/connectors/"+v.ID)
	w.Header().Set("ETag", etag.Of(v.Version))
	return http.StatusCreated, v, nil
}

func (a *API) get(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	v, err := a.runner.GetConnector(r.Context(), c.OrgID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("ETag", etag.Of(v.Version))
	return http.StatusOK, v, nil
}

func (a *API) update(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	id, err := a.connectorID(r, c)
	if err != nil {
		return 0, nil, err
	}
	ifVersion, err := etag.Pinned(r.Header.Get("If-Match"))
	if err != nil {
		return 0, nil, err
	}
	var in ConnectorInput
	if err := decode(r, &in, false); err != nil {
		return 0, nil, err
	}
	v, err := a.runner.UpdateConnector(r.Context(), c.Actor, c.OrgID, id, ifVersion, in)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("ETag", etag.Of(v.Version))
	return http.StatusOK, v, nil
}

func (a *API) remove(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	id, err := a.connectorID(r, c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.runner.DeleteConnector(r.Context(), c.Actor, c.OrgID, id)
}

func (a *API) check(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	id, err := a.connectorID(r, c)
	if err != nil {
		return 0, nil, err
	}
	if err := a.runner.CheckConnector(r.Context(), c.OrgID, id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// runOptions is the optional body of run and dry-run.
type runOptions struct {
	// Full reads the whole directory instead of the changes since the
	// last run.
	Full bool `json:"full"`
}

func (a *API) run(dry bool) func(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	return func(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
		id, err := a.connectorID(r, c)
		if err != nil {
			return 0, nil, err
		}
		var opts runOptions
		if err := decode(r, &opts, true); err != nil {
			return 0, nil, err
		}
		run, err := a.runner.Start(r.Context(), RunRequest{OrgID: c.OrgID, ConnectorID: id, Trigger: directory.TriggerManual,
			DryRun: dry, Full: opts.Full, By: c.Actor})
		if err != nil {
			return 0, nil, err
		}
		w.Header().Set("Location", APIPrefix+"/connectors/"+id+"/runs/"+run.ID)
		return http.StatusAccepted, run, nil
	}
}

func (a *API) runs(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	id, err := a.connectorID(r, c)
	if err != nil {
		return 0, nil, err
	}
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return 0, nil, directory.FieldErrorf(directory.CodeInvalid, "limit", "limit must be a positive number")
		}
	}
	limit = directory.ClampLimit(limit)
	runs, err := a.runner.Runs(r.Context(), c.OrgID, id, r.URL.Query().Get("before"), limit)
	if err != nil {
		return 0, nil, err
	}
	body := map[string]any{"runs": runs}
	if len(runs) == limit {
		body["next"] = runs[len(runs)-1].ID
	}
	return http.StatusOK, body, nil
}

func (a *API) oneRun(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	run, err := a.connectorRun(r, c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, run, nil
}

func (a *API) approve(w http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	held, err := a.connectorRun(r, c)
	if err != nil {
		return 0, nil, err
	}
	run, err := a.runner.Approve(r.Context(), c.Actor, c.OrgID, held.ID)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", APIPrefix+"/connectors/"+held.ConnectorID+"/runs/"+run.ID)
	return http.StatusAccepted, run, nil
}

func (a *API) reject(_ http.ResponseWriter, r *http.Request, c Caller) (int, any, error) {
	held, err := a.connectorRun(r, c)
	if err != nil {
		return 0, nil, err
	}
	run, err := a.runner.Reject(r.Context(), c.Actor, c.OrgID, held.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, run, nil
}

// connectorID resolves the {id} of the path, an id or a name.
func (a *API) connectorID(r *http.Request, c Caller) (string, error) {
	v, err := a.runner.dir.FindConnector(r.Context(), c.OrgID, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	return v.ID, nil
}

// connectorRun reads the {run} of the path, which must be a run of the
// path's connector.
func (a *API) connectorRun(r *http.Request, c Caller) (*Run, error) {
	id, err := a.connectorID(r, c)
	if err != nil {
		return nil, err
	}
	run, err := a.runner.GetRun(r.Context(), c.OrgID, r.PathValue("run"))
	if err != nil {
		return nil, err
	}
	if run.ConnectorID != id {
		return nil, directory.Errorf(directory.CodeNotFound, "sync run not found")
	}
	return run, nil
}

// decode reads a JSON body into v, refusing unknown fields; an optional
// body may be empty.
func decode(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return directory.Errorf(directory.CodeTooLarge, "the request body is larger than %d bytes", tooBig.Limit)
		}
		return directory.Errorf(directory.CodeInvalid, "the request body could not be read")
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return directory.Errorf(directory.CodeInvalid, "the request body is not valid JSON for this route: %v", err)
	}
	return nil
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if apijson.Status(err) >= 500 {
		a.logger.ErrorContext(r.Context(), "connector api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	apijson.WriteError(w, err)
}
