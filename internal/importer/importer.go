package importer

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Directory is what the importer needs of the directory service; the
// *directory.Service is one.
type Directory interface {
	Lister
	GetOrg(ctx context.Context, id string) (*directory.Org, error)
	GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error)
	FindUsersByUserNames(ctx context.Context, orgID string, userNames []string) ([]*directory.User, error)
	FindOrgByDomain(ctx context.Context, domain string) (*directory.Org, error)
	StartImportRun(ctx context.Context, actor directory.Actor, run *directory.ImportRun) error
	ImportAll(ctx context.Context, actor directory.Actor, run *directory.ImportRun, fn func(write directory.ImportWriter) error) error
	FinishImportRun(ctx context.Context, actor directory.Actor, run *directory.ImportRun, counts map[string]int) error
	GetImportRun(ctx context.Context, orgID, id string) (*directory.ImportRun, error)
	ServiceLister
}

// Inviter sends a created user its invitation email (the invitation flow
// of the auth package, wired by the caller).
type Inviter interface {
	Invite(ctx context.Context, actor directory.Actor, u *directory.User) error
}

// Config tunes the importer.
type Config struct {
	Limits Limits
	// TmpDir holds spooled uploads and excelize's spilled worksheets; ""
	// is the system's temporary directory.
	TmpDir string
	// BatchSize is the rows written per statement batch (default 500);
	// a commit writes all of its batches in one transaction.
	BatchSize int
	// Now is the clock that times recorded runs (default time.Now).
	Now func() time.Time
}

// Importer previews and commits imports. It holds no state between calls:
// a commit reads the whole file again.
type Importer struct {
	dir     Directory
	inviter Inviter
	cfg     Config
	logger  *slog.Logger
}

// New returns an importer. inviter may be nil when invitations are not
// offered; zero Config fields get defaults.
func New(dir Directory, inviter Inviter, cfg Config, logger *slog.Logger) *Importer {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > directory.MaxImportBatch {
		cfg.BatchSize = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Importer{dir: dir, inviter: inviter, cfg: cfg, logger: logger}
}

// Limits are the limits files are read under.
func (im *Importer) Limits() Limits { return im.cfg.Limits }

// Spool copies an upload to a temporary file under the importer's limits.
func (im *Importer) Spool(r io.Reader, name string) (*File, error) {
	return Spool(r, name, im.cfg.Limits, im.cfg.TmpDir)
}

// Open opens a file on disk under the importer's limits.
func (im *Importer) Open(path string) (*File, error) {
	return OpenPath(path, im.cfg.Limits, im.cfg.TmpDir)
}

// Preview checks every row of f against the organization's definitions,
// the rest of the file and the users that exist, and says what a commit in
// mode would do. It writes nothing. A file that cannot be read at all
// (encoding, size, a zip bomb …) is an error; everything else is a problem
// in the summary.
func (im *Importer) Preview(ctx context.Context, orgID string, f *File, mode Mode) (*Summary, error) {
	org, err := im.dir.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return im.preview(ctx, org, f, mode)
}

func (im *Importer) preview(ctx context.Context, org *directory.Org, f *File, mode Mode) (*Summary, error) {
	sum := &Summary{Format: f.format, Mode: mode, Problems: []Problem{}}
	s := newScanner(im.dir, org, mode, im.cfg.BatchSize, sum, true)
	err := s.scan(ctx, f, func(_ context.Context, plans []*plan) error {
		for _, p := range plans {
			for _, pr := range p.cand.problems {
				sum.addProblem(pr)
			}
			if len(p.cand.problems) > 0 {
				continue
			}
			switch p.action {
			case directory.ImportCreated:
				sum.Creates++
			case directory.ImportUpdated:
				sum.Updates++
			case directory.ImportUnchanged:
				sum.Unchanged++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}
