package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

func (a *app) token(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("token: missing subcommand (create, list, revoke)")
	}
	switch args[0] {
	case "create":
		return a.tokenCreate(ctx, args[1:])
	case "list":
		return a.tokenList(ctx, args[1:])
	case "revoke":
		return a.tokenRevoke(ctx, args[1:])
	}
	return usagef("token: unknown subcommand %q (create, list, revoke)", args[0])
}

func (a *app) tokenCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("token create", "token create --org SLUG --name NAME [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization the token provisions")
	name := fs.String("name", "", "`name` that says where the token is used, e.g. entra-prod")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "name"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, cfg *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		plaintext, t, err := svc.CreateToken(ctx, cliActor(), org.ID, *name)
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		fmt.Fprintf(a.stdout, "Created SCIM token %q for %s, id %s.\n", t.Name, org.Slug, t.ID)
		fmt.Fprintf(a.stdout, "SCIM base URL: %s\n", scimBaseURL(cfg.HTTP.BaseURL(cfg.HTTP.Addr)))
		fmt.Fprintf(a.stdout, "Token (shown once, store it now): %s\n", plaintext)
		return nil
	})
}

func (a *app) tokenList(ctx context.Context, args []string) error {
	fs := a.newFlagSet("token list", "token list --org SLUG [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		tokens, err := svc.ListTokens(ctx, org.ID)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintf(a.stdout, "%s has no tokens.\n", org.Slug)
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKIND\tCREATED\tLAST USED\tSTATUS")
		for _, t := range tokens {
			status := "active"
			if t.Revoked() {
				status = "revoked " + formatTime(t.RevokedAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Kind, formatTime(&t.CreatedAt), formatTime(t.LastUsedAt), status)
		}
		return tw.Flush()
	})
}

func (a *app) tokenRevoke(ctx context.Context, args []string) error {
	fs := a.newFlagSet("token revoke", "token revoke --org SLUG --id TOKEN_ID [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	id := fs.String("id", "", "`id` of the token (see token list)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "id"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		if err := svc.RevokeToken(ctx, cliActor(), org.ID, *id); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		fmt.Fprintf(a.stdout, "Revoked token %s of %s; clients using it are refused from now on.\n", *id, org.Slug)
		return nil
	})
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
