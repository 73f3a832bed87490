package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/roster/roster/internal/directory"
)

// UsageJobName is the usage job's name on the scheduler and in the ledger.
const UsageJobName = "usage"

// DefaultUsageSchedule snapshots usage daily, at midnight UTC.
const DefaultUsageSchedule = "@daily"

// UsageDirectory is what the usage job needs of the directory service;
// *directory.Service is one.
type UsageDirectory interface {
	SnapshotUsage(ctx context.Context, at time.Time) (directory.UsageSnapshot, error)
}

// Usage records each organization's daily usage (users by status, role and
// source, and seats per service), which GET /api/v1/org/usage/history serves as a series.
type Usage struct {
	dir    UsageDirectory
	logger *slog.Logger
}

// NewUsage returns the usage job.
func NewUsage(dir UsageDirectory, logger *slog.Logger) *Usage {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Usage{dir: dir, logger: logger}
}

// Register adds the job to s on spec ("" for DefaultUsageSchedule).
func (j *Usage) Register(s *Scheduler, spec string) error {
	if spec == "" {
		spec = DefaultUsageSchedule
	}
	return s.Add(UsageJobName, spec, j.Run)
}

// Run snapshots usage as of tick, labelled with tick's UTC date.
func (j *Usage) Run(ctx context.Context, tick time.Time) error {
	start := time.Now()
	n, err := j.dir.SnapshotUsage(ctx, tick)
	if err != nil {
		return err
	}
	j.logger.InfoContext(ctx, "usage snapshot", "day", tick.UTC().Format(time.DateOnly), "counts", n.Counts, "services", n.Services,
		"folded", n.Folded, "seats_folded", n.SeatsFolded, "recounted", n.Recounted, "duration", time.Since(start))
	return nil
}
