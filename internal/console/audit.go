package console

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
)

// auditDirectory is what the audit log needs of the directory.
type auditDirectory interface {
	ListAudit(ctx context.Context, orgID string, q directory.AuditQuery) (*directory.AuditPage, error)
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
}

const (
	auditPath       = "/audit"
	auditExportPath = "/audit.csv"
	// auditPageSize is the events the page shows at a time.
	auditPageSize = 50
	// auditExportMax bounds one CSV export; narrow the filters for more.
	auditExportMax = 100_000
)

// auditFilters are the audit log's filters as the form sends them: an id
// or a user's login for the actor, an id for the target, an action or a prefix ending in ".", and dates
// (YYYY-MM-DD, both days included).
type auditFilters struct {
	Actor, Action, TargetKind, Target, From, To, Cursor string
}

// auditQuery reads the filters of the page's query string into the query
// of the same use case as GET /api/v1/audit.
func auditQuery(r *http.Request) (auditFilters, directory.AuditQuery, formErrors) {
	q := r.URL.Query()
	f := auditFilters{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		TargetKind: strings.TrimSpace(q.Get("targetKind")), Target: strings.TrimSpace(q.Get("target")),
		From: q.Get("from"), To: q.Get("to"), Cursor: q.Get("cursor")}
	aq := directory.AuditQuery{ActorID: f.Actor, Action: f.Action, TargetKind: f.TargetKind, TargetID: f.Target, After: f.Cursor}
	errs := formErrors{}
	for name, v := range map[string]string{"actor": f.Actor, "action": f.Action, "targetKind": f.TargetKind, "target": f.Target} {
		if len(v) > 200 || strings.ContainsAny(v, "%*") {
			errs[name] = "enter an id or a name of at most 200 characters"
		}
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if v == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs[name] = "enter a date such as 2026-01-31"
			continue
		}
		if name == "from" {
			aq.From = day
		} else {
			aq.To = day.AddDate(0, 0, 1) // the whole day
		}
	}
	if errs["from"] == "" && errs["to"] == "" && !aq.From.IsZero() && !aq.To.IsZero() && !aq.From.Before(aq.To) {
		errs["to"] = "the last day cannot be before the first"
	}
	return f, aq, errs
}

// query is the filters as a query string, without the cursor.
func (f auditFilters) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "targetKind": f.TargetKind, "target": f.Target, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

type auditData struct {
	Filters auditFilters
	Errors  formErrors
	Events  []auditRow
	// NextURL and ExportURL keep the filters.
	NextURL, ExportURL string
}

// auditRow is an event as the log shows it.
type auditRow struct {
	*directory.AuditEvent
	Changes string
	// ActorURL and TargetURL filter the log on the event's actor or target.
	ActorURL, TargetURL string
}

// actorID resolves an actor filter given as a user's login (it has an
// "@") to the user's id, deleted users included; other values are ids
// already. A login nobody has is an error for the form.
func (c *Console) actorID(ctx context.Context, orgID string, q *directory.AuditQuery, errs formErrors) error {
	if !strings.Contains(q.ActorID, "@") || len(errs) > 0 {
		return nil
	}
	page, err := c.dir.ListUsers(ctx, orgID, directory.UserQuery{
		Filter: directory.Eq(directory.UserUserName, q.ActorID), IncludeDeleted: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Users) == 0 {
		errs["actor"] = "no user signs in as " + q.ActorID
		return nil
	}
	q.ActorID = page.Users[0].ID
	return nil
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, q, errs := auditQuery(r)
	if err := c.actorID(r.Context(), rq.user.OrgID, &q, errs); err != nil {
		return err
	}
	d := auditData{Filters: f, Errors: errs}
	if len(errs) > 0 {
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "audit", d)
	}
	q.Limit = auditPageSize
	page, err := c.dir.ListAudit(r.Context(), rq.user.OrgID, q)
	if err != nil {
		if fe, ferr := formError(err); ferr == nil {
			d.Errors = fe
			return c.render(w, r, rq, http.StatusUnprocessableEntity, "audit", d)
		}
		return err
	}
	base := f.query()
	for _, e := range page.Events {
		row := auditRow{AuditEvent: e, Changes: changesText(e.Changes)}
		if e.ActorID != "" {
			row.ActorURL = auditPath + "?" + url.Values{"actor": {e.ActorID}}.Encode()
		}
		if e.TargetID != "" {
			row.TargetURL = auditPath + "?" + url.Values{"targetKind": {e.TargetKind}, "target": {e.TargetID}}.Encode()
		}
		d.Events = append(d.Events, row)
	}
	if page.Next != "" {
		next := f.query()
		next.Set("cursor", page.Next)
		d.NextURL = auditPath + "?" + next.Encode()
	}
	d.ExportURL = auditExportPath
	if len(base) > 0 {
		d.ExportURL += "?" + base.Encode()
	}
	return c.render(w, r, rq, http.StatusOK, "audit", d)
}

// changesText is an event's changes on one line: "field: before → after".
func changesText(ch map[string]directory.Change) string {
	keys := make([]string, 0, len(ch))
	for k := range ch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", k, changeValue(ch[k].Before), changeValue(ch[k].After)))
	}
	return strings.Join(parts, "; ")
}

func changeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// auditExport streams the events the filters select as CSV, newest
// first, page by page, up to auditExportMax. Cells a spreadsheet would
// run as formulas are neutralized as the user export's are.
func (c *Console) auditExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	_, q, errs := auditQuery(r)
	if err := c.actorID(r.Context(), rq.user.OrgID, &q, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for field, msg := range errs {
			msgs = append(msgs, field+": "+msg)
		}
		sort.Strings(msgs)
		return directory.Errorf(directory.CodeInvalid, "%s", strings.Join(msgs, "; "))
	}
	q.After, q.Limit = "", directory.MaxPageSize
	page, err := c.dir.ListAudit(r.Context(), rq.user.OrgID, q)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+c.cfg.Now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	write := func(rec ...string) {
		for i := range rec {
			rec[i] = importer.Neutralize(rec[i])
		}
		_ = cw.Write(rec) // the client went away: the next write fails too
	}
	write("time", "actor_kind", "actor_id", "actor_name", "action", "target_kind", "target_id", "changes", "request_id")
	for n := 0; ; {
		for _, e := range page.Events {
			write(e.Time.UTC().Format(time.RFC3339), string(e.ActorKind), e.ActorID, e.ActorName, e.Action,
				e.TargetKind, e.TargetID, changesText(e.Changes), e.RequestID)
			n++
		}
		if page.Next == "" || n >= auditExportMax {
			break
		}
		q.After = page.Next
		if page, err = c.dir.ListAudit(r.Context(), rq.user.OrgID, q); err != nil {
			// The header is sent: end the file where it failed, and say so.
			c.logger.ErrorContext(r.Context(), "audit export failed", "error", err)
			break
		}
	}
	cw.Flush()
	return nil
}
