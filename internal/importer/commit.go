package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// CommitOptions say what a commit does.
type CommitOptions struct {
	Mode Mode
	// Invite sends each created user that waits for its password (status
	// pending) an invitation email, after its batch is written.
	Invite bool
}

// Commit imports f into the organization: it checks the whole file as
// Preview does and, if no row has a problem, reads it again and writes it
// a batch at a time, each batch in one transaction with an audit event
// per change. A file with any problem writes nothing, and the summary
// lists the problems. report (nil: none) receives every row's outcome.
//
// The write pass does not look users up again: the service decides, in
// each batch's transaction, whether a row creates or updates. Batches are
// written by Config.Writers transactions at a time (the database commits
// them side by side), and reported in file order. Someone may
// create or change a user the file names between the check and the write;
// such rows fail alone and the report says why. An error
// (the database going away, ctx ending) stops the commit after the
// batches already written; the summary counts them.
func (im *Importer) Commit(ctx context.Context, actor directory.Actor, orgID string, f *File, opts CommitOptions, report *Report) (*Summary, error) {
	org, err := im.dir.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if opts.Invite && im.inviter == nil {
		return nil, directory.Errorf(directory.CodeInvalid, "invitation emails are not configured")
	}
	checked, err := im.preview(ctx, org, f, opts.Mode)
	if err != nil || !checked.OK() {
		return checked, err
	}
	sum := &Summary{Format: f.format, Mode: opts.Mode, Problems: []Problem{}, Committed: true}
	c := &committer{im: im, actor: actor, org: org, opts: opts, sum: sum, report: report}
	err = newScanner(im.dir, org, opts.Mode, im.cfg.BatchSize, sum, false).scan(ctx, f, c.batch)
	// Whatever stopped the scan, the batches in flight are waited for and
	// counted: they may have been written.
	if derr := c.drain(ctx, 0); err == nil {
		err = derr
	}
	return sum, err
}

// committer writes the batches of a commit, several at a time, and
// reports them in order. Only the scanning goroutine touches it; each
// batch's transaction runs in a goroutine of its own.
type committer struct {
	im       *Importer
	actor    directory.Actor
	org      *directory.Org
	opts     CommitOptions
	sum      *Summary
	report   *Report
	inflight []*writing // in file order
}

// writing is a batch being written.
type writing struct {
	plans   []*plan
	results []directory.ImportResult
	err     error
	done    chan struct{}
}

// batch starts writing plans, then reports the oldest batches until no
// more than Writers are in flight.
func (c *committer) batch(ctx context.Context, plans []*plan) error {
	w := &writing{plans: plans, done: make(chan struct{})}
	rows := make([]directory.ImportRow, 0, len(plans))
	for _, p := range plans {
		if len(p.cand.problems) == 0 {
			rows = append(rows, c.importRow(p.cand))
		}
	}
	go func() {
		defer close(w.done)
		if len(rows) > 0 {
			w.results, w.err = c.im.dir.ImportUsers(ctx, c.actor, c.org.ID, rows)
		}
	}()
	c.inflight = append(c.inflight, w)
	return c.drain(ctx, c.im.cfg.Writers-1)
}

// drain waits for and reports the oldest batches until at most keep are in
// flight. After an error it still waits for every batch, reporting those
// that were written, and returns the first error.
func (c *committer) drain(ctx context.Context, keep int) error {
	var first error
	for len(c.inflight) > keep || (first != nil && len(c.inflight) > 0) {
		w := c.inflight[0]
		c.inflight = c.inflight[1:]
		<-w.done
		err := w.err
		if err == nil {
			err = c.reportBatch(ctx, w)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// reportBatch counts and reports a written batch, in file order.
func (c *committer) reportBatch(ctx context.Context, w *writing) error {
	results := w.results
	for _, p := range w.plans {
		var err error
		if len(p.cand.problems) > 0 {
			// The check pass found none: the file changed under us.
			c.sum.Failed++
			for _, pr := range p.cand.problems {
				c.sum.addProblem(pr)
			}
			err = c.add(p, directory.ImportFailed, "", problemText(p.cand.problems))
		} else {
			err = c.record(ctx, p, results[0])
			results = results[1:]
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *committer) record(ctx context.Context, p *plan, res directory.ImportResult) error {
	var msg, id string
	if res.User != nil {
		id = res.User.ID
	}
	switch res.Action {
	case directory.ImportCreated:
		c.sum.Creates++
		msg = c.invite(ctx, res.User)
	case directory.ImportUpdated:
		c.sum.Updates++
	case directory.ImportUnchanged:
		c.sum.Unchanged++
	default:
		c.sum.Failed++
		msg = directory.ErrorMessage(res.Err)
		c.sum.addProblem(p.layout.problemFor(p.cand.line, res.Err))
	}
	return c.add(p, res.Action, id, msg)
}

// invite sends the invitation of a created user that waits for one, and
// returns what the report says about it.
func (c *committer) invite(ctx context.Context, u *directory.User) string {
	if !c.opts.Invite || u.Status != directory.StatusPending {
		return ""
	}
	if err := c.im.inviter.Invite(ctx, c.actor, u); err != nil {
		c.sum.InviteFailed++
		c.im.logger.WarnContext(ctx, "import: invitation not sent", "org", c.org.ID, "user", u.ID, "err", err)
		return "invitation not sent: " + directory.ErrorMessage(err)
	}
	c.sum.Invited++
	return "invitation sent"
}

func (c *committer) add(p *plan, action directory.ImportAction, userID, msg string) error {
	if c.report == nil {
		return nil
	}
	return c.report.Add(ReportRow{Row: p.cand.line, UserName: p.cand.user.UserName, Result: action, UserID: userID, Message: msg})
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
