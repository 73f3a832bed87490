package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"
)

// Job is work the scheduler runs. tick is the scheduled time of the run,
// the same on every replica; ctx ends when the scheduler stops.
type Job func(ctx context.Context, tick time.Time) error

// Config wires a scheduler. Zero fields get single-node defaults.
type Config struct {
	// Locker keeps replicas from running a job at the same time (default:
	// an in-process LocalLocker).
	Locker Locker
	// Ledger remembers which ticks ran (default: an in-process
	// MemoryLedger).
	Ledger Ledger
	Clock  Clock
	Logger *slog.Logger
	// Runner names this replica in the ledger (e.g. host name and pid).
	Runner string
	// RetryEvery is how soon a replica that found a tick's run going
	// elsewhere looks again, to take the tick over if that run's replica
	// died before finishing it (default DefaultRetryEvery).
	RetryEvery time.Duration
}

// DefaultRetryEvery is Config.RetryEvery's default.
const DefaultRetryEvery = time.Minute

// Scheduler runs registered jobs on their schedules. Add and Remove may be
// called at any time, before or during Run.
type Scheduler struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry
	running bool
	wake    chan struct{}
}

type entry struct {
	name     string
	schedule Schedule
	job      Job
	next     time.Time // zero: not yet scheduled, or never again
	busy     bool      // a run started here has not ended
	// retryAt, when set, is when to look again at retryTick, whose run
	// was going on another replica when it came.
	retryAt   time.Time
	retryTick time.Time
}

// Entry describes a registered job.
type Entry struct {
	Name string
	Next time.Time // zero when the scheduler is not running
}

// New returns a scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Locker == nil {
		cfg.Locker = NewLocalLocker()
	}
	if cfg.Ledger == nil {
		cfg.Ledger = NewMemoryLedger()
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = DefaultRetryEvery
	}
	return &Scheduler{cfg: cfg, entries: map[string]*entry{}, wake: make(chan struct{}, 1)}
}

// Add registers job under name on a schedule spec (see ParseSchedule),
// replacing any job of that name. A run of the replaced job that is under
// way finishes.
func (s *Scheduler) Add(name, spec string, job Job) error {
	sched, err := ParseSchedule(spec)
	if err != nil {
		return err
	}
	return s.AddSchedule(name, sched, job)
}

// AddSchedule registers job under name on sched, replacing any job of that
// name.
func (s *Scheduler) AddSchedule(name string, sched Schedule, job Job) error {
	if name == "" || sched == nil || job == nil {
		return errors.New("jobs: a job needs a name, a schedule and a function")
	}
	s.mu.Lock()
	e := &entry{name: name, schedule: sched, job: job}
	if s.running {
		e.next = sched.Next(s.cfg.Clock.Now())
	}
	s.entries[name] = e
	s.mu.Unlock()
	s.poke()
	return nil
}

// Remove unregisters the job of that name and reports whether there was
// one. A run under way finishes.
func (s *Scheduler) Remove(name string) bool {
	s.mu.Lock()
	_, ok := s.entries[name]
	delete(s.entries, name)
	s.mu.Unlock()
	s.poke()
	return ok
}

// Entries lists the registered jobs by name.
func (s *Scheduler) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, Entry{Name: e.name, Next: e.next})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// poke makes Run look at the entries again.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run fires jobs until ctx ends, then waits for the runs under way (their
// ctx has ended too) and returns nil. A tick that comes while the job's
// previous run here is still going is skipped; ticks missed while the
// process was down or paused are not made up: the job runs once, as of the
// latest.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("jobs: the scheduler is already running")
	}
	s.running = true
	now := s.cfg.Clock.Now()
	for _, e := range s.entries {
		e.next = e.schedule.Next(now)
	}
	s.mu.Unlock()

	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	for {
		wait := s.startDue(ctx, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-s.cfg.Clock.After(wait):
		case <-s.wake:
		}
	}
}

// maxWait bounds a sleep, so that a clock that jumps is noticed.
const maxWait = time.Minute

// startDue starts the jobs whose tick or retry has come and returns how
// long to sleep until the next one.
func (s *Scheduler) startDue(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	wait := maxWait
	for _, e := range s.entries {
		if !e.next.IsZero() && !e.next.After(now) {
			tick := latestTick(e.schedule, e.next, now)
			e.next = e.schedule.Next(now)
			// A new tick supersedes one this replica was watching.
			e.retryAt, e.retryTick = time.Time{}, time.Time{}
			if e.busy {
				s.cfg.Logger.WarnContext(ctx, "job skipped: its previous run is still going", "job", e.name, "tick", tick)
			} else {
				s.start(ctx, wg, e, tick, false)
			}
		}
		if !e.retryAt.IsZero() && !e.retryAt.After(now) && !e.busy {
			tick := e.retryTick
			e.retryAt, e.retryTick = time.Time{}, time.Time{}
			s.start(ctx, wg, e, tick, true)
		}
		for _, at := range []time.Time{e.next, e.retryAt} {
			if !at.IsZero() {
				wait = min(wait, at.Sub(now))
			}
		}
	}
	return max(wait, 0)
}

// start runs one tick of e in its own goroutine; s.mu is held. When the
// tick's run is going on another replica, a retry is set, so that the tick
// is not lost should that replica die before finishing it.
func (s *Scheduler) start(ctx context.Context, wg *sync.WaitGroup, e *entry, tick time.Time, retry bool) {
	e.busy = true
	wg.Add(1)
	go func() {
		defer wg.Done()
		elsewhere := s.fire(ctx, e, tick, retry)
		s.mu.Lock()
		e.busy = false
		// Only while the tick is still the latest: a later one supersedes it.
		if elsewhere && ctx.Err() == nil && e.retryAt.IsZero() && (e.next.IsZero() || e.next.After(tick)) {
			e.retryAt, e.retryTick = s.cfg.Clock.Now().Add(s.cfg.RetryEvery), tick
		}
		s.mu.Unlock()
		s.poke()
	}()
}

// maxCatchUp bounds the ticks latestTick steps over.
const maxCatchUp = 100_000

// latestTick is the last tick of the schedule at or before now, from due
// on: after a pause (a suspended laptop, a stalled process) a job runs once,
// as of its latest tick rather than a stale one.
func latestTick(s Schedule, due, now time.Time) time.Time {
	tick := due
	for range maxCatchUp {
		next := s.Next(tick)
		if next.IsZero() || next.After(now) {
			break
		}
		tick = next
	}
	return tick
}

// fire runs one tick of a job if this replica wins its lock and its claim
// (on a retry: takes over the tick's unfinished run). It reports whether
// the tick's run may still be going on another replica, unfinished.
func (s *Scheduler) fire(ctx context.Context, e *entry, tick time.Time, retry bool) (elsewhere bool) {
	log := s.cfg.Logger.With("job", e.name, "tick", tick)
	release, ok, err := s.cfg.Locker.TryLock(ctx, e.name)
	if err != nil {
		log.ErrorContext(ctx, "job lock failed", "err", err)
		return true
	}
	if !ok {
		log.DebugContext(ctx, "job running elsewhere")
		return true
	}
	defer release()
	var claimed bool
	if retry {
		claimed, err = s.cfg.Ledger.Reclaim(ctx, e.name, tick, s.cfg.Runner)
	} else {
		claimed, err = s.cfg.Ledger.Claim(ctx, e.name, tick, s.cfg.Runner)
	}
	if err != nil {
		log.ErrorContext(ctx, "job claim failed", "err", err)
		return true
	}
	if !claimed {
		log.DebugContext(ctx, "job tick already ran elsewhere")
		return false
	}
	if retry {
		log.WarnContext(ctx, "job tick taken over: the replica that claimed it stopped before finishing")
	}
	start := s.cfg.Clock.Now()
	err = runJob(ctx, e.job, tick)
	errText := ""
	if err != nil {
		errText = err.Error()
		log.ErrorContext(ctx, "job failed", "err", err, "duration", s.cfg.Clock.Now().Sub(start))
	} else {
		log.InfoContext(ctx, "job done", "duration", s.cfg.Clock.Now().Sub(start))
	}
	// The outcome is recorded even when ctx ended the run.
	if err := s.cfg.Ledger.Finish(context.WithoutCancel(ctx), e.name, tick, s.cfg.Clock.Now(), errText); err != nil {
		log.ErrorContext(ctx, "job outcome not recorded", "err", err)
	}
	return false
}

// RunNow runs the named job once, now, under its lock but without a
// ledger claim (a manual run does not take a tick's place), and returns
// its error. It fails if the job is running elsewhere.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.entries[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("jobs: no job named %q", name)
	}
	return RunLocked(ctx, s.cfg.Locker, name, func(ctx context.Context) error {
		return runJob(ctx, e.job, s.cfg.Clock.Now())
	})
}

// ErrBusy is returned by RunLocked when another holder has the job's lock.
var ErrBusy = errors.New("jobs: the job is running elsewhere")

// RunLocked runs fn under the named lock, or returns ErrBusy.
func RunLocked(ctx context.Context, l Locker, name string, fn func(context.Context) error) error {
	release, ok, err := l.TryLock(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	defer release()
	return fn(ctx)
}

// runJob runs a job and turns a panic into an error, so that one broken
// job does not take the server down.
func runJob(ctx context.Context, job Job, tick time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: panic: %v\n%s", r, debug.Stack())
		}
	}()
	return job(ctx, tick)
}
