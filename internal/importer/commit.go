package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// CommitOptions say what a commit does.
type CommitOptions struct {
	Mode Mode
	// Invite sends each created user that waits for its password (status
	// pending) an invitation email, once the commit is through.
	Invite bool
}

// Commit imports f into the organization: it checks the whole file as
// Preview does and, if no row has a problem, reads it again and writes it
// in one transaction, a batch of rows at a time, with an audit event per
// change. It is all or nothing: a file with any problem writes nothing
// (the summary lists the problems), and neither does a commit that fails
// half way (the database going away, ctx ending, the process dying). The
// commit is recorded as an import run (see CommitRecorded). report (nil:
// none) receives every row's outcome once the commit is through.
//
// The write pass does not look users up again: the service decides, in
// the transaction, whether a row creates or updates. Someone may create
// or change a user the file names between the check and the write; such
// rows fail alone and the report says why.
func (im *Importer) Commit(ctx context.Context, actor directory.Actor, orgID string, f *File, opts CommitOptions, report *Report) (*Summary, error) {
	sum, _, err := im.commit(ctx, actor, orgID, "", f, opts, report)
	return sum, err
}

// commit is Commit, recording the run under fileName; it returns the
// run's id once one is recorded.
func (im *Importer) commit(ctx context.Context, actor directory.Actor, orgID, fileName string, f *File, opts CommitOptions, report *Report) (*Summary, string, error) {
	org, err := im.dir.GetOrg(ctx, orgID)
	if err != nil {
		return nil, "", err
	}
	if opts.Invite && im.inviter == nil {
		return nil, "", directory.Errorf(directory.CodeInvalid, "invitation emails are not configured")
	}
	checked, err := im.preview(ctx, org, f, opts.Mode)
	if err != nil || !checked.OK() {
		return checked, "", err
	}
	run := &directory.ImportRun{OrgID: orgID, FileName: fileName, Mode: string(opts.Mode), StartedAt: im.cfg.Now()}
	if err := im.dir.StartImportRun(ctx, actor, run); err != nil {
		return nil, "", err
	}
	var c *committer
	err = im.dir.ImportAll(ctx, actor, run, func(write directory.ImportWriter) error {
		// Each attempt starts afresh: a rerun sees the file anew.
		c = &committer{im: im, org: org, opts: opts, write: write,
			sum: &Summary{Format: f.format, Mode: opts.Mode, Problems: []Problem{}, Committed: true}}
		err := newScanner(im.dir, org, opts.Mode, im.cfg.BatchSize, c.sum, false).scan(ctx, f, c.batch)
		// Whatever stopped the scan, the last write ends before the
		// transaction does.
		if werr := c.wait(); err == nil {
			err = werr
		}
		return err
	})
	if err != nil {
		// Nothing was applied: the summary says so, with the file's size.
		sum := &Summary{Format: f.format, Mode: opts.Mode, Rows: checked.Rows, Problems: []Problem{}}
		run.Status = directory.ImportAbandoned
		run.FinishedAt = im.cfg.Now()
		run.Summary, _ = json.Marshal(sum) //nolint:errchkjson // a plain struct
		// Record the failure even if ctx ended the commit.
		ferr := im.dir.FinishImportRun(context.WithoutCancel(ctx), actor, run, map[string]int{"rows": sum.Rows})
		return sum, run.ID, errors.Join(err, ferr)
	}
	// The users exist now: their invitations may go.
	for _, created := range c.created {
		c.rows[created.row].Message = c.invite(ctx, actor, created.user)
	}
	rerr := c.finish(ctx, actor, run, report)
	return c.sum, run.ID, rerr
}

// committer writes the batches of one attempt at a commit, in the commit's
// transaction, and keeps what the report will say.
type committer struct {
	im    *Importer
	org   *directory.Org
	opts  CommitOptions
	write directory.ImportWriter
	sum   *Summary
	// rows is the report, in file order.
	rows []ReportRow
	// created are the users created, for their invitations.
	created []createdUser
	// inflight is the batch being written, if any.
	inflight *writing
}

type createdUser struct {
	row  int // index in rows
	user *directory.User
}

// batch starts writing plans, once the batch before it is written and
// recorded: the transaction takes one write at a time, and the next batch
// is read and checked while this one is written.
func (c *committer) batch(_ context.Context, plans []*plan) error {
	if err := c.wait(); err != nil {
		return err
	}
	rows := make([]directory.ImportRow, 0, len(plans))
	for _, p := range plans {
		if len(p.cand.problems) == 0 {
			rows = append(rows, c.importRow(p.cand))
		}
	}
	w := &writing{plans: plans, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		if len(rows) > 0 {
			w.results, w.err = c.write(rows)
		}
	}()
	c.inflight = w
	return nil
}

// writing is a batch being written.
type writing struct {
	plans   []*plan
	results []directory.ImportResult
	err     error
	done    chan struct{}
}

// wait waits for the batch being written, if any, and records it.
func (c *committer) wait() error {
	w := c.inflight
	if w == nil {
		return nil
	}
	c.inflight = nil
	<-w.done
	if w.err != nil {
		return w.err
	}
	results := w.results
	for _, p := range w.plans {
		if len(p.cand.problems) > 0 {
			// The check pass found none: the file changed under us.
			c.sum.Failed++
			for _, pr := range p.cand.problems {
				c.sum.addProblem(pr)
			}
			c.add(p, directory.ImportFailed, "", problemText(p.cand.problems))
			continue
		}
		c.record(p, results[0])
		results = results[1:]
	}
	return nil
}

// finish writes the report, to the caller's report and into the run, and
// records the run's summary.
func (c *committer) finish(ctx context.Context, actor directory.Actor, run *directory.ImportRun, report *Report) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	stored, err := NewReport(zw, CSV)
	if err != nil {
		return err
	}
	for _, row := range c.rows {
		if err := stored.Add(row); err != nil {
			return err
		}
		if report != nil {
			if err := report.Add(row); err != nil {
				return err
			}
		}
	}
	if err := errors.Join(stored.Close(), zw.Close()); err != nil {
		return directory.Internal(err)
	}
	summary, err := json.Marshal(c.sum)
	if err != nil {
		return directory.Internal(err)
	}
	run.FinishedAt, run.Summary, run.Report = c.im.cfg.Now(), summary, buf.Bytes()
	counts := map[string]int{"rows": c.sum.Rows, "created": c.sum.Creates, "updated": c.sum.Updates, "unchanged": c.sum.Unchanged, "failed": c.sum.Failed}
	// The users are written: record that even if ctx ended meanwhile.
	return c.im.dir.FinishImportRun(context.WithoutCancel(ctx), actor, run, counts)
}

func (c *committer) record(p *plan, res directory.ImportResult) {
	var msg, id string
	if res.User != nil {
		id = res.User.ID
	}
	switch res.Action {
	case directory.ImportCreated:
		c.sum.Creates++
		if c.opts.Invite && res.User.Status == directory.StatusPending {
			c.created = append(c.created, createdUser{row: len(c.rows), user: res.User})
		}
	case directory.ImportUpdated:
		c.sum.Updates++
	case directory.ImportUnchanged:
		c.sum.Unchanged++
	default:
		c.sum.Failed++
		msg = directory.ErrorMessage(res.Err)
		c.sum.addProblem(p.layout.problemFor(p.cand.line, res.Err))
	}
	c.add(p, res.Action, id, msg)
}

// invite sends the invitation of a created user that waits for one, and
// returns what the report says about it.
func (c *committer) invite(ctx context.Context, actor directory.Actor, u *directory.User) string {
	if err := c.im.inviter.Invite(ctx, actor, u); err != nil {
		c.sum.InviteFailed++
		c.im.logger.WarnContext(ctx, "import: invitation not sent", "org", c.org.ID, "user", u.ID, "err", err)
		return "invitation not sent: " + directory.ErrorMessage(err)
	}
	c.sum.Invited++
	return "invitation sent"
}

func (c *committer) add(p *plan, action directory.ImportAction, userID, msg string) {
	c.rows = append(c.rows, ReportRow{Row: p.cand.line, UserName: p.cand.user.UserName, Result: action, UserID: userID, Message: msg})
}

// importRow turns a checked row into the service's create, update or
// either, as the mode says.
func (c *committer) importRow(cand *candidate) directory.ImportRow {
	row := directory.ImportRow{UserName: cand.user.UserName}
	if c.opts.Mode != ModeUpdate {
		row.Create = cand.newUser()
	}
	if c.opts.Mode != ModeCreate {
		row.Update = func(u *directory.User) error {
			_, err := cand.applyTo(u)
			return err
		}
	}
	return row
}

func problemText(ps []Problem) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Column != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", p.Column, p.Message))
		} else {
			parts = append(parts, p.Message)
		}
	}
	return strings.Join(parts, "; ")
}
