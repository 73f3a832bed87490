package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
)

// The import pages: download a template (CSV or XLSX, with the org's
// custom properties as columns), upload a file and Read File (the
// importer's preview: problems by row and cell, nothing written), then
// Create Users, which runs the importer's recorded commit in the
// background while the page polls its progress. The commit is the
// importer's: all of the file or nothing, so a file with a problem
// creates nobody and the result lists the rows refused.

const (
	importPath        = usersPath + "/import"
	importPreviewPath = importPath + "/preview"
	// uploadTTL is how long a read file waits for Create Users.
	uploadTTL = 30 * time.Minute
	// maxShownRows bounds the rows a result lists; the report has them all.
	maxShownRows = 1000
)

// UploadBodyLimits are the body limits of the console's upload form, as
// ServeMux patterns (see server.Config.BodyLimits): the importer's file
// limit with room for the form around it. Nil without an importer.
func UploadBodyLimits(im *importer.Importer) map[string]int64 {
	if im == nil {
		return nil
	}
	return map[string]int64{http.MethodPost + " " + importPreviewPath: uploadLimit(im)}
}

func uploadLimit(im *importer.Importer) int64 { return im.Limits().MaxFileBytes + 1<<20 }

// bodyLimit is the body cap of a page: the upload form's is the
// importer's file limit, every other page's MaxBodyBytes.
func (c *Console) bodyLimit(pg page) int64 {
	if c.cfg.Importer != nil && pg.method == http.MethodPost && pg.path == importPreviewPath {
		return uploadLimit(c.cfg.Importer)
	}
	return c.cfg.MaxBodyBytes
}

func (c *Console) importPages() []page {
	get, post := http.MethodGet, http.MethodPost
	return []page{
		{get, importPath, admin.PermWrite, false, c.importPage},
		{get, importPath + "/template", admin.PermRead, false, c.importTemplate},
		{post, importPreviewPath, admin.PermWrite, false, c.importPreview},
		{post, importPath + "/commit", admin.PermWrite, false, c.importCommit},
		{get, importPath + "/jobs/{id}", admin.PermWrite, false, c.importJobPage},
	}
}

// upload is a file read by Read File, kept for Create Users by its
// token: only the session that read it may use it, once, within
// uploadTTL.
type upload struct {
	file          *importer.File
	name          string
	orgID, userID string
	sessionID     string
	rows          int
	expires       time.Time
}

// importJob is a Create Users running in the background.
type importJob struct {
	orgID, userID string
	rows          int
	invite        bool
	started       time.Time
	done          bool
	sum           *importer.Summary
	runID         string
	err           error
}

// imports keeps the console's uploads and jobs. They live in this
// process: the pages of one import go to the replica that read its file.
type imports struct {
	mu      sync.Mutex
	uploads map[string]*upload
	jobs    map[string]*importJob
}

func newToken() string { return rand.Text() }

// keep stores u and drops expired uploads and the uploader's previous one.
func (s *imports) keep(u *upload, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uploads == nil {
		s.uploads, s.jobs = map[string]*upload{}, map[string]*importJob{}
	}
	for k, old := range s.uploads {
		if now.After(old.expires) || old.userID == u.userID {
			_ = old.file.Close()
			delete(s.uploads, k)
		}
	}
	for k, j := range s.jobs { // results are kept for uploadTTL
		if j.done && now.Sub(j.started) > uploadTTL {
			delete(s.jobs, k)
		}
	}
	token := newToken()
	s.uploads[token] = u
	return token
}

// take removes and returns the upload of token if the caller's session
// read it.
func (s *imports) take(token string, rq *request, now time.Time) *upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[token]
	if !ok || u.orgID != rq.user.OrgID || u.userID != rq.user.ID || u.sessionID != rq.session.ID {
		return nil
	}
	delete(s.uploads, token)
	if now.After(u.expires) {
		_ = u.file.Close()
		return nil
	}
	return u
}

func (s *imports) job(id, orgID string) (importJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok || j.orgID != orgID {
		return importJob{}, false
	}
	return *j, true
}

// importData is what the import page shows.
type importData struct {
	Errors formErrors
	// Preview is the summary of the file read, Token what Create Users
	// sends back for it.
	Preview  *importer.Summary
	FileName string
	Token    string
	// ByRow groups the preview's problems by row.
	ByRow []rowProblems
	// Properties are the org's custom properties, the template's extra
	// columns.
	Properties []directory.PropertyDef
}

type rowProblems struct {
	Row      int
	Problems []importer.Problem
}

func groupProblems(ps []importer.Problem) []rowProblems {
	var out []rowProblems
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Row == p.Row {
			out[n-1].Problems = append(out[n-1].Problems, p)
			continue
		}
		out = append(out, rowProblems{Row: p.Row, Problems: []importer.Problem{p}})
	}
	return out
}

func (c *Console) importPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "import", importData{Properties: org.UserProperties})
}

// importTemplate downloads the org's template, as the API's route does.
func (c *Console) importTemplate(w http.ResponseWriter, r *http.Request, rq *request) error {
	format := importer.CSV
	if s := r.URL.Query().Get("format"); s != "" {
		f, err := importer.ParseFormat(s)
		if err != nil {
			return err
		}
		format = f
	}
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := importer.WriteTemplate(&buf, format, org); err != nil {
		return directory.Internal(err)
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-users-template.%s"`, org.Slug, format))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing to do
	return nil
}

// importPreview reads the uploaded file (Read File): the importer's
// preview, kept for Create Users when the file can be read at all.
func (c *Console) importPreview(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	d := importData{Properties: org.UserProperties}
	fail := func(status int, msg string) error {
		d.Errors = formErrors{"file": msg}
		return c.render(w, r, rq, status, "import", d)
	}
	part, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(http.StatusRequestEntityTooLarge, "The file is too large.")
		}
		return fail(http.StatusUnprocessableEntity, "Choose a CSV or XLSX file to read.")
	}
	defer func() { _ = part.Close() }()
	f, err := c.cfg.Importer.Spool(part, hdr.Filename)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, directory.ErrorMessage(err))
	}
	sum, err := c.cfg.Importer.Preview(r.Context(), rq.user.OrgID, f, importer.ModeCreate)
	if err != nil {
		_ = f.Close()
		if directory.IsServerFault(err) {
			return err
		}
		return fail(http.StatusUnprocessableEntity, directory.ErrorMessage(err))
	}
	d.Preview, d.FileName, d.ByRow = sum, hdr.Filename, groupProblems(sum.Problems)
	d.Token = c.imports.keep(&upload{file: f, name: hdr.Filename, orgID: rq.user.OrgID, userID: rq.user.ID,
		sessionID: rq.session.ID, rows: sum.Rows, expires: c.cfg.Now().Add(uploadTTL)}, c.cfg.Now())
	return c.render(w, r, rq, http.StatusOK, "import", d)
}

// importCommit starts Create Users on the file read, in the background,
// and sends the browser to its progress page.
func (c *Console) importCommit(w http.ResponseWriter, r *http.Request, rq *request) error {
	up := c.imports.take(r.PostFormValue("token"), rq, c.cfg.Now())
	if up == nil {
		c.setFlash(w, "error", "That file is no longer waiting; read it again.")
		return c.redirect(w, r, importPath, "")
	}
	job := &importJob{orgID: rq.user.OrgID, userID: rq.user.ID, rows: up.rows,
		invite: r.PostFormValue("sendEmails") == "on", started: c.cfg.Now()}
	id := newToken()
	c.imports.mu.Lock()
	c.imports.jobs[id] = job
	c.imports.mu.Unlock()
	actor := directory.Actor{Kind: directory.ActorAdmin, ID: rq.user.ID, Name: rq.user.UserName}
	ctx := context.WithoutCancel(r.Context())
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		defer func() { _ = up.file.Close() }()
		sum, runID, err := c.cfg.Importer.CommitRecorded(ctx, actor, job.orgID, up.name, up.file,
			importer.CommitOptions{Mode: importer.ModeCreate, Invite: job.invite})
		if err != nil {
			c.logger.ErrorContext(ctx, "console import failed", "error", err)
		}
		c.imports.mu.Lock()
		job.done, job.sum, job.runID, job.err = true, sum, runID, err
		c.imports.mu.Unlock()
	}()
	return c.redirect(w, r, importPath+"/jobs/"+id, "")
}

// jobData is what the progress and result page shows.
type jobData struct {
	ID      string
	Done    bool
	Rows    int
	Elapsed string
	Sum     *importer.Summary
	Error   string
	// Created and Refused list the rows of the result.
	Created []importer.ReportRow
	Refused []rowProblems
	Failed  []importer.ReportRow
	More    bool
}

// importJobPage shows a running import's progress, polled by htmx (or by
// reloading the page), and its result once done.
func (c *Console) importJobPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	job, ok := c.imports.job(id, rq.user.OrgID)
	if !ok {
		return directory.Errorf(directory.CodeNotFound, "there is no such import")
	}
	d := jobData{ID: id, Done: job.done, Rows: job.rows, Elapsed: c.cfg.Now().Sub(job.started).Round(time.Second).String(), Sum: job.sum}
	if job.done {
		if err := c.jobResult(r, rq, &job, &d); err != nil {
			return err
		}
	}
	if r.Header.Get("HX-Request") == "true" {
		return c.renderFragment(w, r, rq, http.StatusOK, "import_job", "job", d)
	}
	return c.render(w, r, rq, http.StatusOK, "import_job", d)
}

// failure is what the result page says of a commit that failed, "" when
// it did not.
func failure(err error) string {
	if err == nil {
		return ""
	}
	return "The import failed and nothing was written: " + directory.ErrorMessage(err)
}

// jobResult fills the result of a finished job: the refused rows of a
// file with problems, else the created and failed rows of the run's report.
func (c *Console) jobResult(r *http.Request, rq *request, job *importJob, d *jobData) error {
	if d.Error = failure(job.err); d.Error != "" {
		return nil
	}
	if job.sum != nil && !job.sum.Committed {
		d.Refused = groupProblems(job.sum.Problems)
		return nil
	}
	run, err := c.dir.GetImportRun(r.Context(), rq.user.OrgID, job.runID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := importer.WriteReport(&buf, run, importer.CSV); err != nil {
		return err
	}
	cr := csv.NewReader(&buf)
	if _, err := cr.Read(); err != nil { // the header
		return directory.Internal(err)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil || len(rec) < 5 {
			return directory.Internal(fmt.Errorf("console: import report: %w", err))
		}
		if len(d.Created)+len(d.Failed) >= maxShownRows {
			d.More = true
			return nil
		}
		n, _ := strconv.Atoi(rec[0])
		row := importer.ReportRow{Row: n, UserName: rec[1], Result: directory.ImportAction(rec[2]), UserID: rec[3], Message: rec[4]}
		if row.Result == directory.ImportFailed {
			d.Failed = append(d.Failed, row)
		} else {
			d.Created = append(d.Created, row)
		}
	}
}
