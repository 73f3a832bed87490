package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/outbound"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/ldap"
)

// newSyncRunner builds the directory sync runner with every connector
// kind, opening connector secrets under the encryption key
// (security.encryption_key, the key serve seals TOTP and SSO secrets with).
// client makes the connectors' HTTP calls (Microsoft Graph); policy says
// where their LDAP connections may go (outbound.allow).
func newSyncRunner(svc *directory.Service, key *encryptionKey, client *http.Client, policy *outbound.Policy, logger *slog.Logger) (*engine.Runner, error) {
	sealer, err := engine.NewSealer(key.key, key.previous...)
	if err != nil {
		return nil, err
	}
	return engine.NewRunner(engine.RunnerConfig{
		Directory: svc,
		Sealer:    sealer,
		Kinds:     connectorKinds(client, policy),
		Logger:    logger,
	})
}

// connectorKinds lists the connector kinds Roster has, one line per
// connector package: a new kind is registered here. client makes the
// outbound HTTP calls of the kinds that make any, and policy limits the
// connections of the others (nil: the defaults, public addresses only,
// enough to describe the kinds).
func connectorKinds(client *http.Client, policy *outbound.Policy) []engine.Kind {
	return slices.Concat(
		ldap.Kinds(nil, ldap.WithPolicy(policy)),
		[]engine.Kind{entra.Kind(entra.WithHTTPClient(client))},
	)
}

const syncSubcommands = "run, connector kinds|create|list|delete, approve, reject"

func (a *app) sync(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("sync: missing subcommand (%s)", syncSubcommands)
	}
	switch args[0] {
	case "run":
		return a.syncRun(ctx, args[1:])
	case "connector":
		return a.syncConnector(ctx, args[1:])
	case "approve", "reject":
		return a.syncDecide(ctx, args[0], args[1:])
	}
	return usagef("sync: unknown subcommand %q (%s)", args[0], syncSubcommands)
}

// withSyncRunner runs fn with a sync runner over the configured database,
// opening connector secrets under the key serve uses.
func (a *app) withSyncRunner(ctx context.Context, configPath string, fn func(ctx context.Context, svc *directory.Service, runner *engine.Runner) error) error {
	return a.withService(ctx, configPath, func(ctx context.Context, cfg *config.Config, svc *directory.Service) error {
		backend, target, err := config.ParseDatabaseURL(cfg.Database.URL.Reveal())
		if err != nil {
			return err
		}
		if err := checkKeyConfigured(cfg, backend); err != nil {
			return err
		}
		key, err := resolveKey(ctx, cfg, backend, target, svc.CountOrgs)
		if err != nil {
			return err
		}
		client, policy, err := newOutbound(cfg.Outbound)
		if err != nil {
			return err
		}
		runner, err := newSyncRunner(svc, key, client, policy, newLogger(cfg.Log, a.stderr))
		if err != nil {
			return err
		}
		return fn(ctx, svc, runner)
	})
}

// syncRun is `roster sync run --org SLUG --connector NAME|ID [--dry-run]
// [--full] [--config FILE]`: one run of a connector, now, in this process
// (see engine.RunCommand).
func (a *app) syncRun(ctx context.Context, args []string) error {
	fs := a.newFlagSet("sync run", "sync run --org SLUG --connector NAME|ID [--dry-run] [--full] [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	connector := fs.String("connector", "", "`name or id` of the connector to run")
	dry := fs.Bool("dry-run", false, "plan the run and print the plan; change nothing")
	full := fs.Bool("full", false, "read the whole directory instead of the changes since the last run")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "connector"); err != nil {
		return err
	}
	runArgs := []string{"--org", strings.TrimSpace(*orgSlug), "--connector", strings.TrimSpace(*connector)}
	if *dry {
		runArgs = append(runArgs, "--dry-run")
	}
	if *full {
		runArgs = append(runArgs, "--full")
	}
	return a.withSyncRunner(ctx, *fs.config, func(ctx context.Context, _ *directory.Service, runner *engine.Runner) error {
		return engine.RunCommand(ctx, runner, runArgs, a.stdout)
	})
}
