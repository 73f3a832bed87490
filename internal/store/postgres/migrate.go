package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/store/migrate"
	"github.com/roster/roster/migrations"
)

const (
	// The lock is per schema, so that schemas of one database (tests use
	// one each) migrate independently.
	lockMigrations   = `SELECT pg_advisory_lock(hashtextextended('roster.migrate.' || current_schema(), 0))`
	unlockMigrations = `SELECT pg_advisory_unlock(hashtextextended('roster.migrate.' || current_schema(), 0))`

	createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL
)`
	selectMigrations = `SELECT version, name FROM schema_migrations`
	insertMigration  = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// Migrate applies the steps the database lacks, each in its own
// transaction, holding an advisory lock so that replicas starting together
// take turns: the first migrates, the others find nothing left to do.
func (s *Store) Migrate(ctx context.Context) (err error) {
	all, err := migrate.Load(migrations.Postgres())
	if err != nil {
		return err
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, lockMigrations); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		if _, uerr := c.Exec(context.WithoutCancel(ctx), unlockMigrations); uerr != nil {
			// Ending the session is the other way to release the lock.
			_ = c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := c.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, c.Conn())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := migrate.Pending(all, applied)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, c.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, insertMigration, m.Version, m.Name, s.now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, c *pgx.Conn) (map[int]string, error) {
	rows, err := c.Query(ctx, selectMigrations)
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	var (
		v    int
		name string
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &name}, func() error {
		out[v] = name
		return nil
	})
	return out, err
}
