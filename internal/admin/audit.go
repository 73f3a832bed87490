package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// auditQuery reads the audit log's filters: actor (id), action (exact, or a
// prefix ending in "."), targetKind, target (id), from and to (RFC 3339,
// to exclusive), limit and cursor.
func auditQuery(r *http.Request) (directory.AuditQuery, error) {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "actor", "action", "targetKind", "target", "from", "to", "limit", "cursor":
		default:
			return directory.AuditQuery{}, directory.FieldErrorf(directory.CodeInvalid, key, "unknown query parameter %q", key)
		}
	}
	aq := directory.AuditQuery{
		ActorID: q.Get("actor"), Action: q.Get("action"), TargetKind: q.Get("targetKind"), TargetID: q.Get("target"),
		After: q.Get("cursor"),
	}
	for name, v := range map[string]string{"actor": aq.ActorID, "action": aq.Action, "targetKind": aq.TargetKind, "target": aq.TargetID} {
		if len(v) > 200 || strings.ContainsAny(v, "%*") {
			return aq, directory.FieldErrorf(directory.CodeInvalid, name, "%s must be an id or name of at most 200 characters", name)
		}
	}
	for name, dst := range map[string]*time.Time{"from": &aq.From, "to": &aq.To} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return aq, directory.FieldErrorf(directory.CodeInvalid, name, "%s must be an RFC 3339 time such as 2026-01-31T00:00:00Z", name)
			}
			*dst = t.UTC()
		}
	}
	if !aq.From.IsZero() && !aq.To.IsZero() && !aq.From.Before(aq.To) {
		return aq, directory.FieldErrorf(directory.CodeInvalid, "to", "to must be after from")
	}
	limit, err := queryInt(r, "limit", directory.DefaultPageSize, 1, directory.MaxPageSize)
	if err != nil {
		return aq, err
	}
	aq.Limit = limit
	return aq, nil
}

type auditPage struct {
	Events []auditView `json:"events"`
	Next   string      `json:"next,omitempty"`
}

func (h *handler) listAudit(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (auditPage, error) {
	q, err := auditQuery(r)
	if err != nil {
		return auditPage{}, err
	}
	// A listing may be seconds behind: a read replica may answer it.
	page, err := h.dir.ListAudit(directory.WithStaleReads(r.Context()), p.orgID(), q)
	if err != nil {
		return auditPage{}, err
	}
	out := auditPage{Events: make([]auditView, 0, len(page.Events)), Next: page.Next}
	for _, e := range page.Events {
		out.Events = append(out.Events, viewAudit(e))
	}
	return out, nil
}
