package admin

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

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

// importRoutes mounts the bulk import and export handlers
// (importer.NewHandlers) under /users/import and /users/export, the way
// connectorRoutes mounts the sync API: the admin handler authenticates each
// request and applies its role rules (org_admin to preview and commit,
// org_admin and org_viewer to read), then hands the request to the
// importer's handler with the caller it authenticated. The importer scopes
// every route to the caller's organization, so another organization's
// import run is not found. The routes join the route table, and so the
// OpenAPI document.
func (h *handler) importRoutes(im *importer.Importer) []route {
	hs := importer.NewHandlers(im, importScope)
	get, post := http.MethodGet, http.MethodPost
	upload := "The file is the body (text/csv, or the XLSX media type with ?filename=) or the file field of a multipart form, " +
		"up to " + byteCount(im.Limits().MaxFileBytes) + "."
	return []route{
		{method: get, path: "/users/import/template", perm: permRead,
			doc: opDoc{tag: "users", summary: "Download the import template (CSV or XLSX)", query: []string{"format"}, download: true},
			fn:  h.importHandler(hs.Template)},
		{method: post, path: importPreviewPath, perm: permWrite,
			doc: opDoc{tag: "users", summary: "Check an import file and say what a commit would do; writes nothing. " + upload,
				query: []string{"mode", "filename"}, upload: true, resp: "ImportSummary"},
			fn: h.importHandler(hs.Preview)},
		{method: post, path: importCommitPath, perm: permWrite,
			doc: opDoc{tag: "users", summary: "Import users from a file; 422 with the problems when it has any, and nothing is written. " + upload,
				query: []string{"mode", "invite", "filename"}, upload: true, resp: "ImportCommitted", unprocessable: "ImportRefused"},
			fn: h.importHandler(hs.Commit)},
		{method: get, path: "/users/import/{id}", perm: permRead,
			doc: opDoc{tag: "users", summary: "A recorded import and its summary", resp: "ImportRun"},
			fn:  h.importHandler(hs.Run)},
		{method: get, path: "/users/import/{id}/report", perm: permRead,
			doc: opDoc{tag: "users", summary: "Download the per-row report of a recorded import (CSV or XLSX)", query: []string{"format"}, download: true},
			fn:  h.importHandler(hs.Report)},
		{method: get, path: "/users/export", perm: permRead,
			doc: opDoc{tag: "users", summary: "Download the organization's users (CSV or XLSX)", query: []string{"format", "status", "role", "source", "q"}, download: true},
			fn:  h.importHandler(hs.Export)},
	}
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

// importHandler adapts one of the importer's handlers to a route: it puts the
// caller in the request's context, for importScope, and sees to errors
// that come once the response has begun (a download cut short): those can
// only abort the connection, or the client would take a truncated file,
// followed by a JSON error, for a whole one.
func (h *handler) importHandler(fn func(http.ResponseWriter, *http.Request) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		tw := &trackingWriter{ResponseWriter: w}
		err := fn(tw, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
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
	}
}

// importScope is the importer's scope function: the principal the admin
// handler authenticated, acting as an admin in its organization.
func importScope(r *http.Request) (importer.Scope, error) {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	if p == nil || p.user == nil {
		return importer.Scope{}, directory.Errorf(directory.CodeUnauthorized, "sign in first")
	}
	return importer.Scope{OrgID: p.orgID(), Actor: p.actor(true)}, nil
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
func NewInviter(dir *directory.Service, authn *auth.Authenticator, mailer *mail.Mailer, logger *slog.Logger) importer.Inviter {
	return &inviter{dir: dir, emailer: &emailer{auth: authn, mailer: mailer, logger: logger}}
}

type inviter struct {
	dir     *directory.Service
	emailer *emailer
}

// Invite implements importer.Inviter.
func (i *inviter) Invite(ctx context.Context, actor directory.Actor, u *directory.User) error {
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
