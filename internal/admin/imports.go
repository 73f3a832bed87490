package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/mail"
)

// The upload routes of the import API: their bodies are files, bounded by
// the importer's limits rather than MaxBodyBytes (see UploadBodyLimits).
const (
	importPreviewPath = "/users/import/preview"
	importCommitPath  = "/users/import"
)

// importRoutes serve bulk import and export through the importer's use
// cases. Uploads are the request body, either raw (Content-Type text/csv
// or the XLSX media type; ?filename= names it) or the "file" field of a
// multipart/form-data form; mode is create (the default), update or
// upsert; format is csv (the default) or xlsx. Every route is scoped to
// the caller's organization, so another organization's import run is not
// found.
func (h *handler) importRoutes() []route {
	get, post := http.MethodGet, http.MethodPost
	upload := "The file is the body (text/csv, or the XLSX media type with ?filename=) or the file field of a multipart form, " +
		"up to " + byteCount(h.cfg.Importer.Limits().MaxFileBytes) + "."
	return []route{
		{get, "/users/import/template", permRead, false,
			opDoc{tag: "users", summary: "Download the import template (CSV or XLSX)", query: []string{"format"}},
			downloadRoute(h, h.importTemplate)},
		{post, importPreviewPath, permWrite, false,
			opDoc{tag: "users", summary: "Check an import file and say what a commit would do; writes nothing. " + upload,
				query: []string{"mode", "filename"}},
			uploadRoute(h, h.importPreview)},
		{post, importCommitPath, permWrite, false,
			opDoc{tag: "users", summary: "Import users from a file; 422 with the problems when it has any, and nothing is written. " + upload,
				query: []string{"mode", "invite", "filename"}, unprocessable: reflect.TypeFor[importRefused]()},
			uploadRoute(h, h.importCommit)},
		{get, "/users/import/{id}", permRead, false,
			opDoc{tag: "users", summary: "A recorded import and its summary"},
			jsonRoute(h, h.importRun)},
		{get, "/users/import/{id}/report", permRead, false,
			opDoc{tag: "users", summary: "Download the per-row report of a recorded import (CSV or XLSX)", query: []string{"format"}},
			downloadRoute(h, h.importReport)},
		{get, "/users/export", permRead, false,
			opDoc{tag: "users", summary: "Download the organization's users (CSV or XLSX)", query: []string{"format", "status", "role", "source", "q"}},
			downloadRoute(h, h.exportUsers)},
	}
}

// uploadRoute binds a handler of an uploaded file, which answers JSON.
func uploadRoute[Resp any](h *handler, fn func(w http.ResponseWriter, r *http.Request, p *principal, f *importer.File, name string) (Resp, error)) binding {
	return binding{in: fileBodyType, out: reflect.TypeFor[Resp](), serve: func(w http.ResponseWriter, r *http.Request, p *principal, status int) error {
		f, name, err := h.upload(w, r)
		if err != nil {
			return err
		}
		defer f.Close()
		resp, err := fn(w, r, p, f, name)
		if err != nil {
			return err
		}
		apijson.Write(w, status, resp)
		return nil
	}}
}

// downloadRoute binds a handler that writes a file. It sees to errors that
// come once the response has begun (a download cut short): those can only
// abort the connection, or the client would take a truncated file,
// followed by a JSON error, for a whole one.
func downloadRoute(h *handler, fn handlerFunc) binding {
	return binding{in: noBodyType, out: fileBodyType, serve: func(w http.ResponseWriter, r *http.Request, p *principal, _ int) error {
		tw := &trackingWriter{ResponseWriter: w}
		err := fn(tw, r, p)
		if err == nil {
			return nil
		}
		if tw.started {
			h.logger.ErrorContext(r.Context(), "admin api response cut short", "method", r.Method, "path", r.URL.Path, "error", err)
			panic(http.ErrAbortHandler)
		}
		// The download's headers are set before its first byte; the error
		// is not the file.
		w.Header().Del("Content-Disposition")
		return err
	}}
}

// importTemplate serves the organization's import template.
func (h *handler) importTemplate(w http.ResponseWriter, r *http.Request, p *principal) error {
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return err
	}
	attachment(w, format, org.Slug+"-users-template")
	return importer.WriteTemplate(w, format, org)
}

// importPreview checks an uploaded file and answers its summary (the
// problems by row and column, and what a commit would do); it writes
// nothing. A file that cannot be read at all is an error.
func (h *handler) importPreview(_ http.ResponseWriter, r *http.Request, p *principal, f *importer.File, _ string) (*importer.Summary, error) {
	mode, err := modeParam(r)
	if err != nil {
		return nil, err
	}
	return h.cfg.Importer.Preview(r.Context(), p.orgID(), f, mode)
}

type importCommitted struct {
	ID      string            `json:"id"`
	Summary *importer.Summary `json:"summary"`
}

type importRefused struct {
	Summary *importer.Summary `json:"summary"`
}

// importCommit imports an uploaded file (?invite=true emails created users
// their invitation): the run id and summary once written (the report is
// then at the run's report URL), or 422 with the summary when the file
// has problems and nothing was written.
func (h *handler) importCommit(w http.ResponseWriter, r *http.Request, p *principal, f *importer.File, name string) (importCommitted, error) {
	mode, err := modeParam(r)
	if err != nil {
		return importCommitted{}, err
	}
	invite, err := boolParam(r, "invite")
	if err != nil {
		return importCommitted{}, err
	}
	sum, id, err := h.cfg.Importer.CommitRecorded(r.Context(), p.actor(true), p.orgID(), name, f, importer.CommitOptions{Mode: mode, Invite: invite})
	if err != nil {
		return importCommitted{}, err
	}
	if !sum.Committed {
		apijson.Write(w, http.StatusUnprocessableEntity, importRefused{Summary: sum})
		return importCommitted{}, errAnswered
	}
	return importCommitted{ID: id, Summary: sum}, nil
}

type importRunView struct {
	ID         string            `json:"id"`
	FileName   string            `json:"fileName"`
	Mode       string            `json:"mode"`
	Status     string            `json:"status"`
	Actor      importActor       `json:"actor"`
	StartedAt  time.Time         `json:"startedAt"`
	FinishedAt time.Time         `json:"finishedAt"`
	Summary    *importer.Summary `json:"summary"`
}

type importActor struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// importRun answers a recorded import.
func (h *handler) importRun(_ http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (importRunView, error) {
	run, sum, err := h.cfg.Importer.RunSummary(r.Context(), p.orgID(), r.PathValue("id"))
	if err != nil {
		return importRunView{}, err
	}
	return importRunView{
		ID: run.ID, FileName: run.FileName, Mode: run.Mode, Status: string(run.Status),
		Actor:     importActor{Kind: string(run.ActorKind), ID: run.ActorID, Name: run.ActorName},
		StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Summary: sum,
	}, nil
}

// importReport downloads a recorded import's per-row report.
func (h *handler) importReport(w http.ResponseWriter, r *http.Request, p *principal) error {
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	run, err := h.dir.GetImportRun(r.Context(), p.orgID(), r.PathValue("id"))
	if err != nil {
		return err
	}
	attachment(w, format, "import-"+run.ID+"-report")
	return importer.WriteReport(w, run, format)
}

// exportUsers streams the organization's users as CSV or XLSX, filtered
// by status, role, source and q (see importer.ExportQuery). An error once
// the file has started can only cut the download short.
func (h *handler) exportUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	format, err := formatParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	uq, err := importer.ExportQuery(q.Get("status"), q.Get("role"), q.Get("source"), q.Get("q"))
	if err != nil {
		return err
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return err
	}
	attachment(w, format, org.Slug+"-users")
	// The export's pages may be seconds behind: a read replica may serve
	// them (the organization and its services still come from the primary).
	_, err = importer.Export(directory.WithStaleReads(r.Context()), h.dir, org, uq, format, w)
	return err
}

// upload spools the request's file and returns it with the name the
// client gave it.
func (h *handler) upload(w http.ResponseWriter, r *http.Request) (*importer.File, string, error) {
	im := h.cfg.Importer
	// Room for a multipart envelope around the largest file.
	r.Body = http.MaxBytesReader(w, r.Body, im.Limits().MaxFileBytes+64<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		name := r.URL.Query().Get("filename")
		if name == "" && ct == importer.XLSX.ContentType() {
			name = "upload.xlsx"
		}
		f, err := im.Spool(r.Body, name)
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
				return nil, "", directory.Errorf(directory.CodeTooLarge, "the upload is larger than %s", byteCount(tooBig.Limit))
			}
			return nil, "", directory.FieldErrorf(directory.CodeInvalid, "file", "the form has no file field")
		}
		if part.FormName() == "file" {
			f, err := im.Spool(part, part.FileName())
			part.Close()
			return f, part.FileName(), err
		}
		part.Close()
	}
}

func formatParam(r *http.Request) (importer.Format, error) {
	s := r.URL.Query().Get("format")
	if s == "" {
		return importer.CSV, nil
	}
	return importer.ParseFormat(s)
}

func modeParam(r *http.Request) (importer.Mode, error) {
	s := r.URL.Query().Get("mode")
	if s == "" {
		return importer.ModeCreate, nil
	}
	return importer.ParseMode(s)
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
func attachment(w http.ResponseWriter, format importer.Format, base string) {
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, base, format))
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// UploadBodyLimits are the request body limits of the import API's upload
// routes, as ServeMux patterns under Prefix (see server.Config.BodyLimits):
// the importer's file limit with room for a multipart envelope, so that the
// importer itself refuses a larger file, with a 413 that names its limit.
// Every other route keeps the server's limit. It is nil without an
// importer, whose routes are then absent.
func UploadBodyLimits(im *importer.Importer) map[string]int64 {
	if im == nil {
		return nil
	}
	n := im.Limits().MaxFileBytes + 1<<20
	return map[string]int64{
		http.MethodPost + " " + Prefix + importPreviewPath: n,
		http.MethodPost + " " + Prefix + importCommitPath:  n,
	}
}

// trackingWriter records whether a response has begun.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 { // 1xx responses are interim
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Flush supports handlers that assert http.Flusher.
func (w *trackingWriter) Flush() {
	w.started = true
	_ = http.NewResponseController(w.ResponseWriter).Flush() // a writer that cannot flush just buffers
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// NewInviter returns the importer's Inviter: it emails an imported user
// the invitation the admin API sends a user created with passwordMode
// invite, a one-time link to choose a password under the mailer's public
// URL.
func NewInviter(dir OrgCases, authn *auth.Authenticator, mailer *mail.Mailer, logger *slog.Logger) importer.Inviter {
	return &inviter{dir: dir, emailer: &emailer{auth: authn, mailer: mailer, logger: logger}}
}

type inviter struct {
	dir     OrgCases
	emailer *emailer
}

// Invite implements importer.Inviter.
func (i *inviter) Invite(ctx context.Context, actor directory.Actor, u *directory.User) error {
	if u.Email == "" {
		return directory.FieldErrorf(directory.CodeInvalid, "email", "%s has no email to send an invitation to", u.UserName)
	}
	org, err := i.dir.GetOrg(ctx, u.OrgID)
	if err != nil {
		return err
	}
	if res := i.emailer.sendLink(ctx, actor, org, u, directory.LinkPasswordSet); !res.Sent {
		// The emailer logged the cause; the report shows the message.
		return &directory.Error{Code: directory.CodeInternal, Message: res.Error}
	}
	return nil
}

// byteCount formats a size for the OpenAPI document.
func byteCount(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
