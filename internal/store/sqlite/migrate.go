package sqlite

import (
	"context"
	"fmt"

	"github.com/roster/roster/internal/store/migrate"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/sqlstore"
	"github.com/roster/roster/migrations"
)

const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at TEXT    NOT NULL
) STRICT`
	selectMigrations = `SELECT version, name FROM schema_migrations`
	insertMigration  = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// Migrate applies the steps the database lacks, each in its own
// transaction. Running it again, or from another process at the same time,
// is safe: each step re-reads the history once it holds the write lock.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := migrate.Load(migrations.SQLite())
	if err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range all {
		err := s.atomic(ctx, func(tx sqlstore.DB) error {
			applied, err := appliedMigrations(ctx, tx)
			if err != nil {
				return err
			}
			pending, err := migrate.Pending([]migrate.Migration{m}, applied)
			if err != nil || len(pending) == 0 {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, insertMigration, m.Version, m.Name, sqlbuild.SQLite.Time(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, db sqlstore.DB) (map[int]string, error) {
	rows, err := db.Query(ctx, selectMigrations)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var (
			v    int
			name string
		)
		if err := rows.Scan(&v, &name); err != nil {
			return nil, err
		}
		out[v] = name
	}
	return out, rows.Err()
}
