package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jobs"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/sync/engine"
)

// jobLocker keeps replicas from running one job at once: an advisory lock
// on PostgreSQL, where replicas share the database; an in-process lock on
// SQLite, which one process serves.
func jobLocker(st directory.Store) jobs.Locker {
	if pg, ok := st.(*postgres.Store); ok {
		return pg.JobLocker()
	}
	return jobs.NewLocalLocker()
}

// newScheduler builds the scheduler of serve: the lock above, and a ledger
// in the database so that exactly one replica runs each tick.
func (a *app) newScheduler(st directory.Store, logger *slog.Logger) *jobs.Scheduler {
	host, _ := os.Hostname()
	return jobs.New(jobs.Config{
		Locker: jobLocker(st),
		Ledger: jobs.NewStoreLedger(st.Jobs(), a.now),
		Clock:  jobs.RealClock(),
		Logger: logger,
		Runner: fmt.Sprintf("%s/%d", host, os.Getpid()),
	})
}

// newInactivity builds the inactivity job; with jobs.inactivity.warn_days
// set, users are warned by email that many days before deactivation.
func newInactivity(cfg *config.Config, svc *directory.Service, mailer *mail.Mailer, logger *slog.Logger) (*jobs.Inactivity, error) {
	ic := jobs.InactivityConfig{WarnDays: cfg.Jobs.Inactivity.WarnDays, Logger: logger}
	if ic.WarnDays > 0 {
		ic.Notifier = inactivityMail{mailer: mailer}
	}
	return jobs.NewInactivity(svc, ic)
}

// inactivityMail sends the inactivity warning through the mailer.
type inactivityMail struct {
	mailer *mail.Mailer
}

func (m inactivityMail) WarnInactive(ctx context.Context, org *directory.Org, u *directory.User, deactivateAt time.Time) error {
	msg, err := m.mailer.Compose.InactivityWarning(org, u, deactivateAt)
	if err != nil {
		return err
	}
	return m.mailer.Send(ctx, msg)
}

// syncSchedules keeps the scheduler's connector jobs in step with the
// connectors, which admins create and change at run time.
type syncSchedules struct {
	sched  *jobs.Scheduler
	runner *engine.Runner
	every  time.Duration
	logger *slog.Logger
	specs  map[string]string // job name → spec, as registered
}

// Run reconciles now and then every s.every until ctx ends.
func (s *syncSchedules) Run(ctx context.Context) error {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if err := s.reconcile(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("reading connector schedules", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reconcile adds new and changed connector schedules and removes those of
// connectors that are gone or disabled. An unchanged schedule is left
// alone, so that its next tick stays where it was.
func (s *syncSchedules) reconcile(ctx context.Context) error {
	list, err := s.runner.Schedules(ctx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(list))
	for _, sc := range list {
		seen[sc.Name] = true
		if s.specs[sc.Name] == sc.Spec {
			continue
		}
		run := sc.Run
		if err := s.sched.Add(sc.Name, sc.Spec, func(ctx context.Context, _ time.Time) error { return run(ctx) }); err != nil {
			s.logger.Error("connector schedule refused", "job", sc.Name, "spec", sc.Spec, "err", err)
			continue
		}
		s.specs[sc.Name] = sc.Spec
	}
	for name := range s.specs {
		if !seen[name] {
			s.sched.Remove(name)
			delete(s.specs, name)
		}
	}
	return nil
}

// jobsCmd is `roster jobs run inactivity [--now TIME] [--org SLUG]…`.
func (a *app) jobsCmd(ctx context.Context, args []string) error {
	if len(args) < 2 || args[0] != "run" || args[1] != "inactivity" {
		return usagef("jobs: usage: roster jobs run inactivity [--now TIME] [--org SLUG]... [--config FILE]")
	}
	// The job parses its own flags; only --config is ours.
	rest, configPath := splitConfigFlag(args[2:], a.env("ROSTER_CONFIG"))
	cfg, st, _, err := a.openMigrated(ctx, configPath)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	ctx = directory.WithRequestID(ctx, "cli-jobs")
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	mailer, err := a.newMailer(cfg, logger, cfg.HTTP.BaseURL(cfg.HTTP.Addr))
	if err != nil {
		return err
	}
	job, err := newInactivity(cfg, directory.NewService(st, a.now), mailer, logger)
	if err != nil {
		return err
	}
	return jobs.RunInactivityCommand(ctx, job, jobLocker(st), a.now, rest, a.stdout)
}

// splitConfigFlag takes --config (and --config=…) out of args for a
// command whose other flags another package parses.
func splitConfigFlag(args []string, def string) (rest []string, configPath string) {
	configPath = def
	for i := 0; i < len(args); i++ {
		switch v := args[i]; {
		case v == "--config" || v == "-config":
			if i+1 < len(args) {
				configPath = args[i+1]
				i++
			}
		case strings.HasPrefix(v, "--config="):
			configPath = strings.TrimPrefix(v, "--config=")
		default:
			rest = append(rest, v)
		}
	}
	return rest, configPath
}
