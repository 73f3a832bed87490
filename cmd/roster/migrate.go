package main

import (
	"context"
	"fmt"
)

// migrate brings the database schema up to date and exits. serve does the
// same on start; this command lets an operator do it ahead of a rollout.
func (a *app) migrate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("migrate", "migrate [--config FILE]").withConfig(a)
	if err := fs.parse(args); err != nil {
		return err
	}
	_, st, backend, err := a.openMigrated(ctx, *fs.config)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	fmt.Fprintf(a.stdout, "The %s database schema is up to date.\n", backend)
	return nil
}
