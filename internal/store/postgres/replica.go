package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/store/sqlstore"
)

// The read replica (WithReadURL) serves the reads of a context marked by
// directory.WithStaleReads: the admin API's audit log listing, usage
// history and users export. Everything else reads and writes the primary.
const (
	// replicaCheckEvery is how long a verdict on the replica (usable,
	// unreachable, too far behind) holds before a read asks again.
	replicaCheckEvery = 5 * time.Second
	// replicaCheckTimeout bounds that check.
	replicaCheckTimeout = 3 * time.Second
	// replicaConnectTimeout bounds a connection to the replica when its
	// URL sets no connect_timeout, so that a replica that does not answer
	// costs a read a few seconds, not the operating system's minutes.
	replicaConnectTimeout = 3 * time.Second
	// replicaWarnEvery spaces the warnings about the replica.
	replicaWarnEvery = time.Minute
)

// Why a read meant for the replica went to the primary.
const (
	FallbackUnreachable = "unreachable"
	FallbackLag         = "lag"
)

// replicaLag is how far behind the replica replays, in seconds: 0 when it
// has replayed all it received, or when it is no standby at all (its
// replay functions answer NULL).
const replicaLag = `SELECT (CASE
	WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
	ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
END)::float8`

// WithReadURL opens a second pool on url, a streaming replica of the
// database, for the reads that may be seconds behind (see
// directory.WithStaleReads). While the replica cannot be reached, or
// replays more than maxLag behind (0: no limit), those reads go to the
// primary, and logger is told at most once a minute. The URL takes the
// same pool_* parameters as Open's.
func WithReadURL(url string, maxLag time.Duration, logger *slog.Logger) Option {
	return func(s *Store) {
		s.readURL, s.readMaxLag, s.logger = url, maxLag, logger
	}
}

// ReadFallbacks returns how many reads meant for the read replica the
// primary served because the replica could not be reached (unreachable)
// or was too far behind (lagging); zeros without a replica.
func (s *Store) ReadFallbacks() (unreachable, lagging int64) {
	if s.replica == nil {
		return 0, 0
	}
	return s.replica.unreachable.Load(), s.replica.lagging.Load()
}

// openReplica makes the replica's pool. It connects on the first read: a
// replica down at start only sends its reads to the primary.
func (s *Store) openReplica(ctx context.Context) (*replica, error) {
	cfg, err := s.parsePoolConfig(s.readURL)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			// Its text may hold the URL, and the URL a password.
			return nil, errors.New("postgres: the read URL cannot be parsed as a connection URL")
		}
		return nil, fmt.Errorf("postgres: read URL: %w", err)
	}
	if !strings.Contains(s.readURL, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = replicaConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: read pool: %w", err)
	}
	r := &replica{
		pool:    pool,
		primary: conn{q: s.pool, owner: s},
		owner:   s,
		maxLag:  s.readMaxLag,
		logger:  s.logger,
		every:   replicaCheckEvery,
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	r.lag = r.askLag
	return r, nil
}

// replica is the sqlstore.DB of the reads that may be stale: the replica's
// pool while it answers and keeps up, the primary otherwise.
type replica struct {
	pool    *pgxpool.Pool
	primary conn
	owner   *Store
	maxLag  time.Duration
	logger  *slog.Logger
	// lag asks the replica how far behind it replays; every is how long
	// a verdict holds. Tests change both.
	lag   func(ctx context.Context) (time.Duration, error)
	every time.Duration

	mu       sync.Mutex
	checked  time.Time // when verdict was reached
	checking bool      // a read is asking the replica now
	verdict  string    // "" (use the replica) or a Fallback reason
	warned   time.Time

	unreachable, lagging atomic.Int64
}

var _ sqlstore.DB = (*replica)(nil)

func (r *replica) askLag(ctx context.Context) (time.Duration, error) {
	var seconds float64
	if err := r.pool.QueryRow(ctx, replicaLag).Scan(&seconds); err != nil {
		return 0, err
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// use reports whether a read in ctx goes to the replica; if not for want
// of a usable replica, it counts the fallback.
func (r *replica) use(ctx context.Context) bool {
	if r.owner.batchOf(ctx) != nil {
		return false // the batch's transaction reads what it wrote
	}
	switch r.state(ctx) {
	case FallbackUnreachable:
		r.unreachable.Add(1)
		return false
	case FallbackLag:
		r.lagging.Add(1)
		return false
	}
	return true
}

// state returns the verdict on the replica, asking it again once the last
// one is replicaCheckEvery old. One read asks; the others meanwhile take
// the last verdict.
func (r *replica) state(ctx context.Context) string {
	r.mu.Lock()
	if r.checking || time.Since(r.checked) < r.every {
		v := r.verdict
		r.mu.Unlock()
		return v
	}
	r.checking = true
	last := r.verdict
	r.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	lag, err := r.lag(cctx)
	cancel()
	v := ""
	switch {
	case err != nil && ctx.Err() != nil:
		// The read was abandoned, which says nothing of the replica.
		r.mu.Lock()
		r.checking = false
		r.mu.Unlock()
		return last
	case err != nil:
		v = FallbackUnreachable
		r.warn("read replica unreachable: the reads it serves go to the primary", "error", err)
	case r.maxLag > 0 && lag > r.maxLag:
		v = FallbackLag
		r.warn("read replica behind: the reads it serves go to the primary",
			"lag", lag.Round(time.Millisecond).String(), "read_max_lag", r.maxLag.String())
	}
	r.mu.Lock()
	r.verdict, r.checked, r.checking = v, time.Now(), false
	r.mu.Unlock()
	return v
}

// failed reports whether err, of a read on the replica, means the replica
// cannot be reached now; then it holds the replica unreachable until the
// next check and counts the fallback the caller makes.
func (r *replica) failed(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || !unavailable(err) {
		return false
	}
	r.mu.Lock()
	r.verdict, r.checked = FallbackUnreachable, time.Now()
	r.mu.Unlock()
	r.unreachable.Add(1)
	r.warn("read replica unreachable: the reads it serves go to the primary", "error", err)
	return true
}

// warn logs a warning about the replica, at most one per replicaWarnEvery.
// The errors of pgx name the host, user and database, never the password.
func (r *replica) warn(msg string, args ...any) {
	r.mu.Lock()
	quiet := !r.warned.IsZero() && time.Since(r.warned) < replicaWarnEvery
	if !quiet {
		r.warned = time.Now()
	}
	r.mu.Unlock()
	if !quiet {
		r.logger.Warn(msg, args...)
	}
}

// Exec runs on the primary: a replica takes no writes, and none are meant
// for it.
func (r *replica) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return r.primary.Exec(ctx, query, args...)
}

func (r *replica) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if !r.use(ctx) {
		return r.primary.Query(ctx, query, args...)
	}
	rows, err := r.pool.Query(ctx, query, args...) //nolint:sqlclosecheck // the caller closes the rows
	if r.failed(ctx, err) {
		return r.primary.Query(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return &replicaRows{Rows: rows, r: r, ctx: ctx, query: query, args: args}, nil
}

// replicaRows are the replica's answer to a query. pgx may report a
// connection lost before the answer only when the first row is read: then,
// no row having been delivered, the query runs again on the primary.
type replicaRows struct {
	sqlstore.Rows
	r       *replica
	ctx     context.Context // the query's, to run it again
	query   string
	args    []any
	started bool // a row was read: too late to run the query again
	err     error
}

func (x *replicaRows) Next() bool {
	if x.Rows.Next() {
		x.started = true
		return true
	}
	if x.started || x.err != nil || !x.r.failed(x.ctx, x.Rows.Err()) {
		return false
	}
	// The replica's rows, done with: the query runs again on the primary.
	x.Close()
	rows, err := x.r.primary.Query(x.ctx, x.query, x.args...) //nolint:sqlclosecheck // Close closes them
	if err != nil {
		x.err = err
		return false
	}
	x.Rows, x.started = rows, true
	return x.Rows.Next()
}

func (x *replicaRows) Err() error {
	if x.err != nil {
		return x.err
	}
	return x.Rows.Err()
}

func (r *replica) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if !r.use(ctx) {
		return r.primary.QueryRow(ctx, query, args...)
	}
	return replicaRow{r: r, ctx: ctx, query: query, args: args}
}

// replicaRow runs its query when scanned, on the primary if the replica
// cannot be reached.
type replicaRow struct {
	r     *replica
	ctx   context.Context // the row runs its query when scanned
	query string
	args  []any
}

func (row replicaRow) Scan(dest ...any) error {
	err := row.r.pool.QueryRow(row.ctx, row.query, row.args...).Scan(dest...)
	if row.r.failed(row.ctx, err) {
		return row.r.primary.QueryRow(row.ctx, row.query, row.args...).Scan(dest...)
	}
	return err
}
