package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/sqlite"
)

// migratingStore is a directory.Store that can bring its schema up to date;
// both backends are.
type migratingStore interface {
	directory.Store
	Migrate(ctx context.Context) error
}

// openStore opens the backend the database URL names, on the given clock;
// pgOpts apply to a PostgreSQL store.
func openStore(ctx context.Context, url string, now func() time.Time, pgOpts ...postgres.Option) (migratingStore, config.Backend, error) {
	backend, target, err := config.ParseDatabaseURL(url)
	if err != nil {
		return nil, "", err
	}
	var st migratingStore
	switch backend {
	case config.SQLite:
		st, err = sqlite.Open(ctx, target, sqlite.WithClock(now))
	case config.Postgres:
		st, err = postgres.Open(ctx, target, append([]postgres.Option{postgres.WithClock(now)}, pgOpts...)...)
	}
	if err != nil {
		// The error may echo the URL; the backend says enough.
		return nil, "", fmt.Errorf("open %s database: %w", backend, err)
	}
	return st, backend, nil
}

// readReplica returns the store option of database.read_url, none when it
// is not set (config.Load allows it with PostgreSQL only).
func readReplica(db config.Database, logger *slog.Logger) []postgres.Option {
	if db.ReadURL == "" {
		return nil
	}
	return []postgres.Option{postgres.WithReadURL(db.ReadURL.Reveal(), db.ReadMaxLag, logger)}
}

// readFallbacker is a store with a read replica: a PostgreSQL one.
type readFallbacker interface {
	ReadFallbacks() (unreachable, lagging int64)
}

// readFallbackMetrics exports roster_read_replica_fallbacks_total: the
// reads meant for the read replica that the primary served, by reason.
func readFallbackMetrics(s readFallbacker) []prometheus.Collector {
	counter := func(reason string, value func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "roster_read_replica_fallbacks_total",
			Help: "Reads meant for the read replica (database.read_url) that the primary served: " +
				"the replica could not be reached, or lagged more than database.read_max_lag.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(value()) })
	}
	return []prometheus.Collector{
		counter(postgres.FallbackUnreachable, func() int64 { n, _ := s.ReadFallbacks(); return n }),
		counter(postgres.FallbackLag, func() int64 { _, n := s.ReadFallbacks(); return n }),
	}
}

// loadConfig loads the configuration named by --config.
func (a *app) loadConfig(path string) (*config.Config, error) {
	return config.Load(path, a.environ)
}

// openMigrated loads the configuration, opens its database and brings the
// schema up to date. Every command that uses the database does so, like
// serve does, so that a fresh database works from the first command.
func (a *app) openMigrated(ctx context.Context, configPath string) (*config.Config, migratingStore, config.Backend, error) {
	cfg, err := a.loadConfig(configPath)
	if err != nil {
		return nil, nil, "", err
	}
	st, backend, err := openStore(ctx, cfg.Database.URL.Reveal(), a.now)
	if err != nil {
		return nil, nil, "", err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close() // the migration error is the one to report
		return nil, nil, "", fmt.Errorf("migrate %s database: %w", backend, err)
	}
	// A new SQLite database gets its encryption key file from whichever
	// command creates it, so that serve can tell a lost key from a new
	// database (see key.go).
	_, target, _ := config.ParseDatabaseURL(cfg.Database.URL.Reveal()) // openStore parsed it
	keyFile, err := ensureKeyFile(ctx, cfg, backend, target, st.Orgs().CountOrgs)
	if err != nil {
		_ = st.Close() // the key error is the one to report
		return nil, nil, "", err
	}
	if keyFile != "" {
		fmt.Fprintf(a.stderr, "roster: generated the encryption key of this database in %s; back it up with the database\n", keyFile)
	}
	return cfg, st, backend, nil
}

// withService runs fn with a service over the configured database, as the
// operator acting through the CLI. The invocation gets a request id so that
// its audit events can be told apart.
func (a *app) withService(ctx context.Context, configPath string, fn func(ctx context.Context, cfg *config.Config, svc *directory.Service) error) (err error) {
	cfg, st, _, err := a.openMigrated(ctx, configPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close database: %w", cerr)
		}
	}()
	ctx = directory.WithRequestID(ctx, "cli-"+rand.Text())
	return fn(ctx, cfg, directory.NewService(st, a.now))
}

// cliActor is the actor of every CLI change.
func cliActor() directory.Actor {
	return directory.Actor{Kind: directory.ActorOperator, Name: "cli"}
}

// orgBySlug finds the organization a --org flag names.
func orgBySlug(ctx context.Context, svc *directory.Service, slug string) (*directory.Org, error) {
	org, err := svc.GetOrgBySlug(ctx, slug)
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, fmt.Errorf("no organization with slug %q", slug)
	}
	return org, err
}
