package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// principalKey carries the authenticated caller of a connector route from
// the admin handler to the sync API.
type principalKey struct{}

// connectorRoutes mounts the directory sync API (engine.NewAPI) under
// /api/v1/connectors: the admin handler authenticates each request and
// applies its role rules (org_admin for the API's write routes, org_admin
// and org_viewer for the others), then hands the request to the sync
// handler with the caller it authenticated. The sync API scopes every
// route to the caller's organization, so another organization's connector
// is not found. The routes join the route table, and so the OpenAPI
// document.
func (h *handler) connectorRoutes(runner *engine.Runner) []route {
	api := engine.NewAPI(runner, callerOf, h.logger)
	var out []route
	for _, sr := range api.Routes() {
		p := permRead
		if sr.Write {
			p = permWrite
		}
		next := sr.Handler
		out = append(out, route{
			method: sr.Method, path: sr.Path, perm: p,
			doc: opDoc{tag: "connectors", summary: sr.Summary, status: connectorStatus(sr.Method, sr.Path), query: connectorQuery(sr.Method, sr.Path)},
			fn: func(w http.ResponseWriter, r *http.Request, pr *principal) error {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, pr)))
				return nil
			},
		})
	}
	return out
}

// callerOf is the sync API's CallerFunc: the principal the admin handler
// authenticated, acting as an admin.
func callerOf(r *http.Request) (engine.Caller, error) {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	if p == nil || p.user == nil {
		return engine.Caller{}, directory.Errorf(directory.CodeUnauthorized, "sign in first")
	}
	return engine.Caller{OrgID: p.orgID(), Actor: p.actor(true), Role: p.user.Role}, nil
}

// connectorStatus is the success status of a sync API route, for the
// OpenAPI document.
func connectorStatus(method, path string) int {
	switch {
	case method == http.MethodPost && path == "/connectors":
		return http.StatusCreated
	case method == http.MethodDelete:
		return http.StatusNoContent
	case method == http.MethodPost && (strings.HasSuffix(path, "/run") || strings.HasSuffix(path, "/dry-run") ||
		strings.HasSuffix(path, "/approve")):
		return http.StatusAccepted
	}
	return http.StatusOK
}

// connectorQuery lists a sync API route's query parameters.
func connectorQuery(method, path string) []string {
	if method == http.MethodGet && strings.HasSuffix(path, "/runs") {
		return []string{"limit", "before"}
	}
	return nil
}
