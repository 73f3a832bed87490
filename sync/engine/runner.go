package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Runner runs connectors: it reads a connector's configuration, opens its
// secrets, takes the connector's lease (one run per connector at a time,
// across replicas), runs the engine against the store, and records the run
// in history, saving the connector's cursor only once the run is applied
// and not held.
type Runner struct {
	dir       Directory
	sealer    *Sealer
	kinds     *registry
	logger    *slog.Logger
	target    Target
	batchSize int
	parallel  int
	lease     time.Duration
	// progressEvery is how often a run's progress is saved with it.
	progressEvery time.Duration
	// active holds the progress of the runs this runner is running.
	active activeRuns

	// queue hands runs started in the background to Run.
	queue   chan *pending
	serving atomic.Bool
}

// RunnerConfig is what a Runner depends on.
type RunnerConfig struct {
	Directory Directory
	// Sealer opens connector secrets (security.encryption_key).
	Sealer *Sealer
	// Kinds are the connector kinds available: ldap.Kinds(…), entra.Kind(…).
	Kinds  []Kind
	Logger *slog.Logger
	// BatchSize is the number of user changes per transaction
	// (DefaultBatchSize if zero), and Parallel the number of transactions
	// a run writes at once (DefaultParallel if zero).
	BatchSize, Parallel int
	// Lease is how long a run holds its connector between renewals, which
	// come every third of it: a replica that dies mid-run frees the
	// connector after this long. DefaultLease if zero.
	Lease time.Duration
	// ProgressEvery is how often a running run's progress is saved with
	// it, for every replica's API to show: DefaultProgressEvery if zero.
	ProgressEvery time.Duration
}

// DefaultProgressEvery is how often a running run's progress is saved.
const DefaultProgressEvery = time.Second

// DefaultLease is how long a run holds its connector between renewals.
const DefaultLease = 2 * time.Minute

// NewRunner returns a runner.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Directory == nil || cfg.Sealer == nil || cfg.Logger == nil {
		return nil, errors.New("sync: Directory, Sealer and Logger are required")
	}
	ks, err := newRegistry(cfg.Kinds)
	if err != nil {
		return nil, err
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = DefaultProgressEvery
	}
	return &Runner{
		dir: cfg.Directory, sealer: cfg.Sealer, kinds: ks, logger: cfg.Logger,
		target: cfg.Directory, batchSize: cfg.BatchSize, parallel: cfg.Parallel, lease: cfg.Lease,
		progressEvery: cfg.ProgressEvery, queue: make(chan *pending),
	}, nil
}

// Run is one run of a connector, as history, the API and the CLI show it.
type Run struct {
	ID          string                  `json:"id"`
	ConnectorID string                  `json:"connectorId"`
	Trigger     directory.SyncTrigger   `json:"trigger"`
	DryRun      bool                    `json:"dryRun"`
	Status      directory.SyncRunStatus `json:"status"`
	StartedBy   string                  `json:"startedBy,omitempty"`
	// ApprovalOf is the held run an approval run applies.
	ApprovalOf string     `json:"approvalOf,omitempty"`
	StartedAt  time.Time  `json:"startedAt"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
	// Full reports that the run read the whole directory.
	Full   bool           `json:"full"`
	Counts map[string]int `json:"counts"`
	// Progress is how far the run got: saved about once a second while it
	// runs, and its last value once it ended (runs recorded before
	// progress was kept have none).
	Progress *RunProgress `json:"progress,omitempty"`
	// Errors lists changes that failed (conflicts included), up to
	// MaxErrors, each with the object it concerns (ref, DN as key,
	// userName), the attribute when known, and the message; ErrorCount
	// counts them all. Run listings leave the list out (see RunErrors).
	Errors     []PlanItem `json:"errors,omitempty"`
	ErrorCount int        `json:"errorCount"`
	// Restored lists the users whose owned attributes, changed in
	// Roster, an applied run put back (up to MaxPlanItems); they are
	// counted among the updates.
	Restored []PlanItem `json:"restored,omitempty"`
	// Plan is the plan of a dry run, or what a held run waits to do. Run
	// listings leave it out.
	Plan      *Plan      `json:"plan,omitempty"`
	Message   string     `json:"message,omitempty"`
	DecidedBy string     `json:"decidedBy,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
}

// Plan is what a dry run would do, or what a held run waits for.
type Plan struct {
	Items []PlanItem `json:"items"`
	// Truncated counts items left out past MaxPlanItems.
	Truncated int `json:"truncated,omitempty"`
	// Held lists the refs of the users whose deprovision waits for
	// approval.
	Held []string `json:"held,omitempty"`
	// Reasons says which thresholds a held run passed, and Counts what it
	// would do.
	Reasons []string       `json:"reasons,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"`
	// Digest is a fingerprint of the whole plan: approving a held run
	// applies its plan only if a new read of the directory plans the same.
	Digest string `json:"digest,omitempty"`
	// Restored is kept for applied runs (see Run.Restored).
	Restored []PlanItem `json:"restored,omitempty"`
}

// RunRequest asks for one run of a connector.
type RunRequest struct {
	OrgID       string
	ConnectorID string
	Trigger     directory.SyncTrigger
	DryRun      bool
	// Full reads the whole directory, ignoring the connector's cursor.
	Full bool
	// By is who asks: an admin, an operator; the zero Actor for schedules.
	By directory.Actor
	// Approves names a held run whose deprovisions this run applies (its
	// trigger is then TriggerApproval and ConnectorID may be left empty).
	Approves string
	// Progress, if set, hears how far the run got (the CLI draws it);
	// otherwise the run has its own.
	Progress *Progress
}

// pending is a run that holds its connector's lease and is about to start.
type pending struct {
	req    RunRequest
	run    *directory.SyncRun
	conn   *directory.Connector
	kind   *Kind
	source Connector
	// expect is the digest of the held plan an approval applies.
	expect string
	// verdict, if set, hears once whether the plan matched (nil) or the
	// error that ended the run first.
	verdict chan error
}

// RunConnector runs a connector now and returns the run as recorded.
// trigger is "manual", "schedule" or "cli". If the connector is running
// already the error is CodeConflict and says so; if the run fails, the run
// is returned with the error.
func (r *Runner) RunConnector(ctx context.Context, orgID, connectorID, trigger string, dryRun bool) (*Run, error) {
	return r.Execute(ctx, RunRequest{OrgID: orgID, ConnectorID: connectorID, Trigger: directory.SyncTrigger(trigger), DryRun: dryRun})
}

// Execute runs req now and returns the run as recorded (and the error that
// failed it, if any).
func (r *Runner) Execute(ctx context.Context, req RunRequest) (*Run, error) {
	p, err := r.begin(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.execute(ctx, p)
}

// Start starts req in the background and returns the run as started
// (running). Refusals (the connector is running, disabled, misconfigured)
// come back at once. Background runs are served by Run, which must be
// running.
func (r *Runner) Start(ctx context.Context, req RunRequest) (*Run, error) {
	return r.start(ctx, req, nil)
}

func (r *Runner) start(ctx context.Context, req RunRequest, verdict chan error) (*Run, error) {
	if !r.serving.Load() {
		return nil, directory.Internal(errors.New("sync: Runner.Run is not running, so runs cannot start in the background"))
	}
	p, err := r.begin(ctx, req)
	if err != nil {
		return nil, err
	}
	p.verdict = verdict
	started := toRun(p.run)
	select {
	case r.queue <- p:
		return started, nil
	case <-ctx.Done():
		// The caller went away before the run could start: record it as
		// failed, which frees the connector.
		if _, err := r.finish(ctx, p, nil, fmt.Errorf("not started: %w", ctx.Err())); err != nil {
			r.logger.WarnContext(ctx, "sync run not started", "run", p.run.ID, "error", err)
		}
		return nil, ctx.Err()
	}
}

// Run serves the runs started in the background until ctx ends, then
// waits for them: they see ctx end, stop, and are recorded as
// interrupted.
func (r *Runner) Run(ctx context.Context) error {
	if !r.serving.CompareAndSwap(false, true) {
		return errors.New("sync: Runner.Run is running already")
	}
	defer r.serving.Store(false)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-r.queue:
			wg.Go(func() {
				// The error is recorded with the run and logged.
				_, _ = r.execute(ctx, p)
			})
		}
	}
}

// Approve approves a held run: a new run (trigger approval) reads the
// directory again and plans, and applies its plan, whatever the
// thresholds, only if it is exactly the held one. Approve waits for that
// verdict: if the plan differs (the directory or Roster moved on), nothing
// is applied, the new run is recorded as held with its own plan, and the
// error is CodeConflict, naming it. Otherwise the plan is applied in the
// background and the run is returned as started.
func (r *Runner) Approve(ctx context.Context, actor directory.Actor, orgID, runID string) (*Run, error) {
	verdict := make(chan error, 2)
	started, err := r.start(ctx, RunRequest{OrgID: orgID, Trigger: directory.TriggerApproval, By: actor, Approves: runID}, verdict)
	if err != nil {
		return nil, err
	}
	select {
	case err := <-verdict:
		if errors.Is(err, ErrPlanChanged) {
			return nil, directory.Errorf(directory.CodeConflict,
				"run %s was not applied: the directory changed since it was held, so its plan is no longer what a run would do. "+
					"Nothing was applied; run %s holds the new plan: review it, and approve or reject it", runID, started.ID)
		}
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
	}
	return started, nil
}

// Reject rejects a held run; the next run plans its deprovisions again.
func (r *Runner) Reject(ctx context.Context, actor directory.Actor, orgID, runID string) (*Run, error) {
	run, err := r.dir.RejectSyncRun(ctx, actor, orgID, runID)
	if err != nil {
		return nil, err
	}
	return toRun(run), nil
}

// GetRun returns a run of the organization, with its plan.
func (r *Runner) GetRun(ctx context.Context, orgID, runID string) (*Run, error) {
	run, err := r.dir.GetSyncRun(ctx, orgID, runID)
	if err != nil {
		return nil, err
	}
	return toRun(run), nil
}

// Runs lists a connector's runs newest first, older than the run id
// `before` if it is not "".
func (r *Runner) Runs(ctx context.Context, orgID, connectorID, before string, limit int) ([]*Run, error) {
	runs, err := r.dir.ListSyncRuns(ctx, orgID, connectorID, before, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*Run, len(runs))
	for i, run := range runs {
		out[i] = toRun(run)
		out[i].Errors = nil
	}
	return out, nil
}

// ErrorPage is a page of a run's errors.
type ErrorPage struct {
	Errors []PlanItem `json:"errors"`
	// Total counts the run's errors, and Kept those history kept (the
	// first MaxErrors); Next is the offset of the next page, if any.
	Total int `json:"total"`
	Kept  int `json:"kept"`
	Next  int `json:"next,omitempty"`
}

// RunErrors pages through the errors a run kept, from offset, limit a page.
func (r *Runner) RunErrors(ctx context.Context, orgID, runID string, offset, limit int) (*ErrorPage, error) {
	if offset < 0 {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "offset", "offset must not be negative")
	}
	run, err := r.GetRun(ctx, orgID, runID)
	if err != nil {
		return nil, err
	}
	limit = directory.ClampLimit(limit)
	page := &ErrorPage{Errors: []PlanItem{}, Total: run.ErrorCount, Kept: len(run.Errors)}
	if offset < len(run.Errors) {
		page.Errors = run.Errors[offset:min(offset+limit, len(run.Errors))]
		if end := offset + len(page.Errors); end < len(run.Errors) {
			page.Next = end
		}
	}
	return page, nil
}

// begin checks req, builds the connector and takes its lease.
func (r *Runner) begin(ctx context.Context, req RunRequest) (*pending, error) {
	p := &pending{req: req}
	if req.Approves != "" {
		if err := r.approval(ctx, p); err != nil {
			return nil, err
		}
	}
	if !req.Trigger.Valid() {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "trigger", "trigger %q is not one of manual, schedule, cli, approval", req.Trigger)
	}
	c, err := r.dir.GetConnector(ctx, req.OrgID, p.req.ConnectorID)
	if err != nil {
		return nil, err
	}
	if !c.Enabled && !req.DryRun {
		return nil, directory.Errorf(directory.CodeInvalid, "connector %s is disabled; enable it, or run it dry", c.Name)
	}
	p.conn = c
	if p.kind, p.source, err = r.build(c); err != nil {
		return nil, err
	}
	p.run = &directory.SyncRun{OrgID: req.OrgID, ConnectorID: c.ID, Trigger: req.Trigger, DryRun: req.DryRun,
		StartedBy: describe(req.By), ApprovalOf: req.Approves}
	if err := r.dir.StartSyncRun(ctx, req.By, p.run, r.dir.Now().Add(r.lease)); err != nil {
		return nil, err
	}
	// A run that ended since the read above may have moved the cursor;
	// under the lease it no longer moves.
	fresh, err := r.dir.GetConnector(ctx, req.OrgID, c.ID)
	if err != nil {
		_, _ = r.finish(ctx, p, nil, err)
		return nil, err
	}
	c.Cursor, c.ReconciledAt = fresh.Cursor, fresh.ReconciledAt
	if req.Trigger == directory.TriggerSchedule && reconcileDue(c, r.dir.Now()) {
		p.req.Full = true
	}
	return p, nil
}

// approval reads the held run p.req approves: its connector and the
// digest of its plan.
func (r *Runner) approval(ctx context.Context, p *pending) error {
	held, err := r.dir.GetSyncRun(ctx, p.req.OrgID, p.req.Approves)
	if err != nil {
		return err
	}
	if held.Status != directory.RunHeld {
		return directory.Errorf(directory.CodeConflict, "run %s is %s, not held", held.ID, held.Status)
	}
	if p.req.ConnectorID != "" && p.req.ConnectorID != held.ConnectorID {
		return directory.Errorf(directory.CodeInvalid, "run %s belongs to another connector", held.ID)
	}
	if p.req.DryRun || p.req.Trigger != directory.TriggerApproval {
		return directory.Errorf(directory.CodeInvalid, "an approval is a real run with the approval trigger")
	}
	var plan Plan
	if len(held.Plan) > 0 {
		if err := json.Unmarshal(held.Plan, &plan); err != nil {
			return directory.Internal(fmt.Errorf("sync: reading the plan of run %s: %w", held.ID, err))
		}
	}
	if plan.Digest == "" {
		return directory.Errorf(directory.CodeConflict, "run %s was held before plans had digests; run the connector again and approve the new run", held.ID)
	}
	// Deprovisions a full read found (users gone from an LDAP directory)
	// are found again only by a full read.
	p.req.ConnectorID, p.req.Full = held.ConnectorID, p.req.Full || held.Full
	p.expect = plan.Digest
	return nil
}

// execute runs p, which holds its connector's lease, and records the
// outcome.
func (r *Runner) execute(ctx context.Context, p *pending) (*Run, error) {
	start := time.Now()
	rep, err := r.runEngine(ctx, p)
	run, err := r.finish(ctx, p, rep, err)
	if p.verdict != nil {
		p.verdict <- err
	}
	c := p.conn
	attrs := []any{"org", c.OrgID, "connector", c.ID, "run", run.ID, "trigger", run.Trigger, "dryRun", run.DryRun,
		"status", run.Status, "duration", time.Since(start).Round(time.Millisecond), "counts", run.Counts}
	if err != nil {
		r.logger.ErrorContext(ctx, "sync run failed", append(attrs, "error", err)...)
	} else {
		r.logger.InfoContext(ctx, "sync run ended", attrs...)
	}
	return run, err
}

// runEngine runs p's job while it holds the connector's lease, and keeps
// the run among the runner's active runs (and so in /metrics) until the
// engine returns: it leaves them before execute records its end, so that
// whoever reads the run ended does not find it running here.
func (r *Runner) runEngine(ctx context.Context, p *pending) (*Report, error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	progress := p.req.Progress
	if progress == nil {
		progress = NewProgress(nil)
	}
	r.active.add(p.run, progress)
	defer r.active.remove(p.run.ID)
	var wg sync.WaitGroup
	wg.Go(func() { r.keepLease(runCtx, cancel, p.run) })
	wg.Go(func() { r.saveProgress(runCtx, p.run, progress) })
	c := p.conn
	job := Job{
		Scope: directory.SyncScope{OrgID: c.OrgID, ConnectorID: c.ID, Actor: p.kind.actor(c),
			Fields: p.kind.fields(mappingOf(c))},
		Connector: p.source,
		Policy: Policy{Deprovision: c.Deprovision, Threshold: c.Threshold, GroupThreshold: c.GroupThreshold,
			MemberThreshold: c.MemberThreshold, ThresholdMin: c.ThresholdMin, GroupThresholdMin: c.GroupThresholdMin,
			MemberThresholdMin: c.MemberThresholdMin, Roles: c.RoleRules, DefaultRole: c.DefaultRole},
		Cursor:   c.Cursor,
		Full:     p.req.Full,
		DryRun:   p.req.DryRun,
		Expect:   p.expect,
		Progress: progress,
	}
	if p.verdict != nil {
		job.Planned = func(*Report) error {
			p.verdict <- nil
			return nil
		}
	}
	rep, err := NewEngine(r.target, r.batchSize, r.parallel).Run(runCtx, job)
	if err != nil && context.Cause(runCtx) != nil && ctx.Err() == nil {
		err = context.Cause(runCtx) // the lease was lost
	}
	cancel(nil)
	wg.Wait()
	// The last progress stays with the run.
	if b, merr := json.Marshal(progress.Snapshot()); merr == nil {
		p.run.Progress = b
	}
	return rep, err
}

// saveProgress saves the run's progress with it every progressEvery until
// ctx ends; a failed save is logged and tried again at the next tick.
func (r *Runner) saveProgress(ctx context.Context, run *directory.SyncRun, progress *Progress) {
	t := time.NewTicker(r.progressEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := json.Marshal(progress.Snapshot())
		if err == nil {
			err = r.dir.SaveSyncRunProgress(ctx, run.OrgID, run.ID, b)
		}
		if err != nil && ctx.Err() == nil {
			r.logger.WarnContext(ctx, "sync run could not save its progress", "run", run.ID, "error", err)
		}
	}
}

// errLeaseLost ends a run whose lease another run took.
var errLeaseLost = errors.New("the run lost its lease on the connector (it could not renew it in time)")

// keepLease renews the run's lease every third of its length until ctx
// ends, and cancels the run if the lease is lost. A failed renewal is
// tried again at the next tick; the lease outlives two of them.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelCauseFunc, run *directory.SyncRun) {
	t := time.NewTicker(r.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := r.dir.RenewSyncLease(ctx, run.OrgID, run.ConnectorID, run.ID, r.dir.Now().Add(r.lease))
		switch {
		case err != nil && ctx.Err() == nil:
			r.logger.WarnContext(ctx, "sync run could not renew its lease", "run", run.ID, "error", err)
		case err == nil && !held:
			cancel(errLeaseLost)
			return
		}
	}
}

// finishTimeout bounds the recording of a run's end, which must happen
// even when the run was cancelled.
const finishTimeout = 30 * time.Second

// finish records the outcome of p: the report, or the error that ended it.
func (r *Runner) finish(ctx context.Context, p *pending, rep *Report, runErr error) (*Run, error) {
	run := p.run
	var cursor *string
	switch {
	case errors.Is(runErr, ErrPlanChanged) && rep != nil:
		// Nothing was applied; the new plan waits for its own approval.
		run.Status, run.Message = directory.RunHeld, "approval of run "+run.ApprovalOf+
			" refused: the directory changed since it was held, so nothing was applied; this run holds the new plan"
	case runErr != nil:
		run.Status, run.Message = directory.RunFailed, failureMessage(runErr)
	case rep.Held && !run.DryRun:
		// A dry run's plan shows what would be held; there is nothing to
		// approve.
		run.Status, run.Message = directory.RunHeld, "held at the safety threshold: "+strings.Join(rep.Reasons, "; ")
	default:
		run.Status = directory.RunSucceeded
		if !run.DryRun {
			cursor = &rep.Cursor
		}
	}
	if rep != nil {
		run.Full = rep.Full
		run.Counts = make(map[string]int, len(rep.Counts))
		for op, n := range rep.Counts {
			run.Counts[string(op)] = n
		}
		if err := r.encodeReport(run, rep); err != nil {
			return toRun(run), err
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := r.dir.FinishSyncRun(ctx, run, cursor); err != nil {
		return toRun(run), errors.Join(runErr, fmt.Errorf("sync: recording the end of run %s: %w", run.ID, err))
	}
	if errors.Is(runErr, ErrPlanChanged) {
		return toRun(run), runErr
	}
	if runErr != nil {
		return toRun(run), fmt.Errorf("sync: run %s of connector %s failed: %w", run.ID, p.conn.Name, runErr)
	}
	if run.Status == directory.RunFailed {
		return toRun(run), fmt.Errorf("sync: run %s of connector %s failed: %s", run.ID, p.conn.Name, run.Message)
	}
	return toRun(run), nil
}

// encodeReport stores the report's errors, and its plan for dry runs and
// held runs.
func (r *Runner) encodeReport(run *directory.SyncRun, rep *Report) error {
	if len(rep.Errors) > 0 {
		b, err := json.Marshal(rep.Errors)
		if err != nil {
			return err
		}
		run.Errors = b
	}
	if !run.DryRun && !rep.Held {
		if len(rep.Restored) > 0 {
			b, err := json.Marshal(Plan{Restored: rep.Restored})
			if err != nil {
				return err
			}
			run.Plan = b
		}
		return nil
	}
	plan := Plan{Items: rep.Items, Truncated: rep.Truncated, Reasons: rep.Reasons, Digest: rep.Digest}
	if len(rep.Planned) > 0 {
		plan.Counts = make(map[string]int, len(rep.Planned))
		for op, n := range rep.Planned {
			plan.Counts[string(op)] = n
		}
	}
	if plan.Items == nil {
		plan.Items = []PlanItem{}
	}
	if rep.Held {
		for _, c := range rep.Pending {
			plan.Held = append(plan.Held, c.Ref)
		}
	}
	b, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	run.Plan = b
	return nil
}

// failureMessage is what history says of a failed run: the connector's
// error (which names the directory's problem and never a secret), or
// that the run was interrupted.
func failureMessage(err error) string {
	switch {
	case errors.Is(err, errLeaseLost):
		return err.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted: Roster stopped or the caller went away"
	case errors.Is(err, context.DeadlineExceeded):
		return "interrupted: the run took too long"
	}
	if directory.ErrorCode(err) == directory.CodeInternal {
		var de *directory.Error
		if !errors.As(err, &de) {
			return err.Error()
		}
		return "internal error"
	}
	return directory.ErrorMessage(err)
}

// build opens a connector's secrets and makes its directory client.
func (r *Runner) build(c *directory.Connector) (*Kind, Connector, error) {
	k, err := r.kinds.get(c.Kind)
	if err != nil {
		return nil, nil, err
	}
	secrets, err := r.openSecrets(c)
	if err != nil {
		return nil, nil, err
	}
	conn, err := k.New(c.Settings, mappingOf(c), secrets)
	if err != nil {
		return nil, nil, directory.FieldErrorf(directory.CodeInvalid, "settings", "%v", err)
	}
	return k, conn, nil
}

// mappingOf returns the connector's mapping overrides.
func mappingOf(c *directory.Connector) Mapping {
	out := make(Mapping, len(c.Mapping))
	for f, a := range c.Mapping {
		out[directory.Attr(f)] = a
	}
	return out
}

// describe names an actor for run history.
func describe(a directory.Actor) string {
	switch {
	case a.Kind == "":
		return ""
	case a.Name != "":
		return string(a.Kind) + ":" + a.Name
	default:
		return string(a.Kind) + ":" + a.ID
	}
}

// toRun turns a stored run into the Run the API and CLI show.
func toRun(s *directory.SyncRun) *Run {
	run := &Run{
		ID: s.ID, ConnectorID: s.ConnectorID, Trigger: s.Trigger, DryRun: s.DryRun, Status: s.Status,
		StartedBy: s.StartedBy, ApprovalOf: s.ApprovalOf, StartedAt: s.StartedAt, EndedAt: s.EndedAt,
		Full: s.Full, Counts: s.Counts, Message: s.Message, DecidedBy: s.DecidedBy, DecidedAt: s.DecidedAt,
	}
	if run.Counts == nil {
		run.Counts = map[string]int{}
	}
	// Every failed change is counted, as a conflict or an error.
	run.ErrorCount = run.Counts[string(directory.SyncConflict)] + run.Counts[string(directory.SyncError)]
	// Both documents were written by encodeReport; one that does not
	// decode is shown as absent rather than failing the read.
	if len(s.Errors) > 0 {
		_ = json.Unmarshal(s.Errors, &run.Errors)
	}
	if len(s.Progress) > 0 {
		var progress RunProgress
		if json.Unmarshal(s.Progress, &progress) == nil {
			run.Progress = &progress
		}
	}
	if len(s.Plan) > 0 {
		var plan Plan
		if json.Unmarshal(s.Plan, &plan) == nil {
			run.Plan = &plan
			if plan.Items == nil && plan.Digest == "" {
				// An applied run's document: what it put back.
				run.Restored, run.Plan = plan.Restored, nil
			}
		}
	}
	return run
}
