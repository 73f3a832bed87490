package main

import (
	"context"
	"log/slog"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
)

// importCmd is `roster import --org SLUG --file PATH [--mode …] [--dry-run]
// [--invite] [--report PATH]`, run as the operator. With --invite (and
// no --dry-run) the created users that wait for their password get the
// invitation the admin API's import sends: the same mail driver, link
// lifetime and public URL as serve.
func (a *app) importCmd(ctx context.Context, args []string) error {
	fs := a.newFlagSet("import", "import --org SLUG --file PATH [--mode create|update|upsert] [--dry-run] [--invite] [--report PATH] [--config FILE]").withConfig(a)
	var cmd importer.Command
	cmd.Register(fs.FlagSet)
	if err := fs.parse(args); err != nil {
		return err
	}
	invite := boolFlag(fs, "invite") && !boolFlag(fs, "dry-run")
	return a.withService(ctx, *fs.config, func(ctx context.Context, cfg *config.Config, svc *directory.Service) error {
		logger := slog.New(slog.NewTextHandler(a.stderr, nil))
		var inviter importer.Inviter // none: --invite is refused
		if invite {
			var err error
			if inviter, err = a.newCLIInviter(ctx, cfg, svc, logger); err != nil {
				return err
			}
		}
		im := importer.New(svc, inviter, importer.Config{Now: a.now}, logger)
		return cmd.Run(ctx, im, cliActor(), a.stdout)
	})
}

// newCLIInviter builds the importer's Inviter as serve does (see
// newWebHandlers): the configured mailer, the authenticator under the
// encryption key, and links under the public URL.
func (a *app) newCLIInviter(ctx context.Context, cfg *config.Config, svc *directory.Service, logger *slog.Logger) (importer.Inviter, error) {
	backend, target, err := config.ParseDatabaseURL(cfg.Database.URL.Reveal())
	if err != nil {
		return nil, err
	}
	key, err := resolveKey(ctx, cfg, backend, target, svc.CountOrgs)
	if err != nil {
		return nil, err
	}
	sealer, err := auth.NewSealer(key.key, key.previous...)
	if err != nil {
		return nil, err
	}
	baseURL := cfg.HTTP.BaseURL(cfg.HTTP.Addr)
	if cfg.HTTP.PublicURL == "" {
		logger.Warn("http.public_url is not set: the invitation links point to an address derived from http.addr",
			"public_url", baseURL)
	}
	mailer, err := a.newMailer(cfg, logger, baseURL)
	if err != nil {
		return nil, err
	}
	authn, err := a.newAuthenticator(cfg, svc, sealer, mailer, nil, logger, nil)
	if err != nil {
		return nil, err
	}
	return admin.NewInviter(svc, authn, mailer, logger), nil
}

// boolFlag reports whether the boolean flag name of fs is set.
func boolFlag(fs *flagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Value.String() == "true"
}
