package importer

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// Scope is who makes a request and in which organization: the admin API's
// authentication, handed to the handlers.
type Scope struct {
	OrgID string
	Actor directory.Actor
}

// Handlers serve bulk import and export for the admin API. Each is a
// func(w, r) error: the admin API wraps it, renders a returned error from
// its directory code (invalid → 400, too_large → 413, not_found → 404 …)
// and checks roles before calling it. Suggested routes and roles:
//
//	GET  /api/v1/users/import/template?format=csv|xlsx        Template  org_admin, org_viewer
//	POST /api/v1/users/import/preview?mode=…                  Preview   org_admin
//	POST /api/v1/users/import?mode=…&invite=true              Commit    org_admin
//	GET  /api/v1/users/import/{id}                            Run       org_admin, org_viewer
//	GET  /api/v1/users/import/{id}/report?format=csv|xlsx     Report    org_admin, org_viewer
//	GET  /api/v1/users/export?format=…&status=…&role=…        Export    org_admin, org_viewer
//
// Uploads are the request body, either raw (Content-Type text/csv or the
// XLSX media type; ?filename= names it) or the "file" field of a
// multipart/form-data form. mode is create (the default), update or
// upsert.
type Handlers struct {
	im    *Importer
	scope func(*http.Request) (Scope, error)
}

// NewHandlers returns the handlers. scope authenticates a request.
func NewHandlers(im *Importer, scope func(*http.Request) (Scope, error)) *Handlers {
	return &Handlers{im: im, scope: scope}
}

// Template serves the organization's import template. ?format=csv (the
// default) or xlsx.
func (h *Handlers) Template(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	org, err := h.im.dir.GetOrg(r.Context(), sc.OrgID)
	if err != nil {
		return err
	}
	attachment(w, format, org.Slug+"-users-template")
	return WriteTemplate(w, format, org)
}

// Preview checks an uploaded file and answers 200 with its Summary (the
// problems by row and column, and what a commit would do); it writes
// nothing. A file that cannot be read at all is an error.
func (h *Handlers) Preview(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	mode, err := modeParam(r)
	if err != nil {
		return err
	}
	f, _, err := h.upload(w, r)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := h.im.Preview(r.Context(), sc.OrgID, f, mode)
	if err != nil {
		return err
	}
	apijson.Write(w, http.StatusOK, sum)
	return nil
}

// Commit imports an uploaded file (?mode=, ?invite=true to email created
// users their invitation). It answers 200 with {"id": run id, "summary":
// …} once written (the report is then at the run's report URL), or 422
// with {"summary": …} when the file has problems and nothing was written.
func (h *Handlers) Commit(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	mode, err := modeParam(r)
	if err != nil {
		return err
	}
	invite, err := boolParam(r, "invite")
	if err != nil {
		return err
	}
	f, name, err := h.upload(w, r)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, id, err := h.im.CommitRecorded(r.Context(), sc.Actor, sc.OrgID, name, f, CommitOptions{Mode: mode, Invite: invite})
	if err != nil {
		return err
	}
	if !sum.Committed {
		apijson.Write(w, http.StatusUnprocessableEntity, map[string]any{"summary": sum})
		return nil
	}
	apijson.Write(w, http.StatusOK, map[string]any{"id": id, "summary": sum})
	return nil
}

// Run answers a recorded import: {"id", "fileName", "mode", "actor",
// "startedAt", "finishedAt", "summary"}. The route names the run {id}.
func (h *Handlers) Run(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	run, sum, err := h.im.RunSummary(r.Context(), sc.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	apijson.Write(w, http.StatusOK, map[string]any{
		"id": run.ID, "fileName": run.FileName, "mode": run.Mode,
		"actor":     map[string]string{"kind": string(run.ActorKind), "id": run.ActorID, "name": run.ActorName},
		"startedAt": run.StartedAt, "finishedAt": run.FinishedAt, "summary": sum,
	})
	return nil
}

// Report downloads a recorded import's per-row report (?format=csv or
// xlsx). The route names the run {id}.
func (h *Handlers) Report(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	run, err := h.im.dir.GetImportRun(r.Context(), sc.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	attachment(w, format, "import-"+run.ID+"-report")
	return WriteReport(w, run, format)
}

// Export streams the organization's users as CSV or XLSX (?format=). The
// filters, all optional: status (comma-separated; "deleted" includes soft-
// deleted users), role, source, and q, a text every row must contain in
// its userName, email or displayName. An error once the file has started
// can only cut the download short.
func (h *Handlers) Export(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.scope(r)
	if err != nil {
		return err
	}
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	q, err := ExportQuery(r.URL.Query().Get("status"), r.URL.Query().Get("role"), r.URL.Query().Get("source"), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	org, err := h.im.dir.GetOrg(r.Context(), sc.OrgID)
	if err != nil {
		return err
	}
	attachment(w, format, org.Slug+"-users")
	_, err = Export(r.Context(), h.im.dir, org, q, format, w)
	return err
}

// ExportQuery builds the query of an export from its filters (see
// Handlers.Export); "" leaves a filter out.
func ExportQuery(statuses, role, source, text string) (directory.UserQuery, error) {
	var q directory.UserQuery
	var and directory.And
	if statuses != "" {
		var or directory.Or
		for _, s := range strings.Split(statuses, ",") {
			st := directory.Status(strings.TrimSpace(s))
			if !st.Valid() {
				return q, directory.FieldErrorf(directory.CodeInvalid, "status", "status %q is not valid", s)
			}
			q.IncludeDeleted = q.IncludeDeleted || st == directory.StatusDeleted
			or = append(or, directory.Eq(directory.UserStatus, string(st)))
		}
		and = append(and, or)
	}
	if role != "" {
		if !directory.Role(role).Valid() {
			return q, directory.FieldErrorf(directory.CodeInvalid, "role", "role %q is not valid", role)
		}
		and = append(and, directory.Eq(directory.UserRole, role))
	}
	if source != "" {
		if !directory.Source(source).Valid() {
			return q, directory.FieldErrorf(directory.CodeInvalid, "source", "source %q is not valid", source)
		}
		and = append(and, directory.Eq(directory.UserSource, source))
	}
	if text = strings.TrimSpace(text); text != "" {
		if len(text) > 200 {
			return q, directory.FieldErrorf(directory.CodeInvalid, "q", "q is longer than 200 characters")
		}
		and = append(and, directory.Or{
			directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: text},
			directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: text},
			directory.Compare{Attr: directory.UserDisplayName, Op: directory.OpCo, Value: text},
		})
	}
	if len(and) > 0 {
		q.Filter = and
	}
	return q, nil
}

// upload spools the request's file and returns it with the name the
// client gave it.
func (h *Handlers) upload(w http.ResponseWriter, r *http.Request) (*File, string, error) {
	// Room for a multipart envelope around the largest file.
	r.Body = http.MaxBytesReader(w, r.Body, h.im.cfg.Limits.MaxFileBytes+64<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		name := r.URL.Query().Get("filename")
		if name == "" && ct == XLSX.ContentType() {
			name = "upload.xlsx"
		}
		f, err := h.im.Spool(r.Body, name)
		return f, name, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", directory.Errorf(directory.CodeInvalid, "the form cannot be read: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, "", tooLarge("the upload is larger than %s", byteSize(tooBig.Limit))
			}
			return nil, "", directory.FieldErrorf(directory.CodeInvalid, "file", "the form has no file field")
		}
		if part.FormName() == "file" {
			f, err := h.im.Spool(part, part.FileName())
			part.Close()
			return f, part.FileName(), err
		}
		part.Close()
	}
}

func formatParam(r *http.Request) (Format, error) {
	s := r.URL.Query().Get("format")
	if s == "" {
		return CSV, nil
	}
	return ParseFormat(s)
}

func modeParam(r *http.Request) (Mode, error) {
	s := r.URL.Query().Get("mode")
	if s == "" {
		return ModeCreate, nil
	}
	return ParseMode(s)
}

func boolParam(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, directory.FieldErrorf(directory.CodeInvalid, name, "%s must be true or false", name)
	}
	return b, nil
}

// attachment sets the headers of a file download; base is made of slugs
// and fixed words, so it needs no quoting beyond the quotes.
func attachment(w http.ResponseWriter, format Format, base string) {
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, base, format))
	w.Header().Set("X-Content-Type-Options", "nosniff")
}
