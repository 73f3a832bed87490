package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

func (a *app) org(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("org: missing subcommand (create)")
	}
	switch args[0] {
	case "create":
		return a.orgCreate(ctx, args[1:])
	}
	return usagef("org: unknown subcommand %q (create)", args[0])
}

func (a *app) orgCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("org create", "org create --slug SLUG --name NAME [--domain DOMAIN]... [--config FILE]").withConfig(a)
	slug := fs.String("slug", "", "short unique `id` of the organization (lower-case letters, digits, dashes)")
	name := fs.String("name", "", "display `name`")
	var domains stringList
	fs.Var(&domains, "domain", "email `domain` the organization owns; repeat for more, the first is primary")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("slug", "name"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		o := &directory.Org{Slug: *slug, Name: *name}
		for i, d := range domains {
			o.Domains = append(o.Domains, directory.Domain{Name: d, Primary: i == 0})
		}
		org, err := svc.CreateOrg(ctx, cliActor(), o)
		if err != nil {
			return fmt.Errorf("create organization: %w", err)
		}
		fmt.Fprintf(a.stdout, "Created organization %s (%s), id %s.\n", org.Slug, org.Name, org.ID)
		if len(org.Domains) > 0 {
			names := make([]string, len(org.Domains))
			for i, d := range org.Domains {
				names[i] = d.Name
				if d.Primary {
					names[i] += " (primary)"
				}
			}
			fmt.Fprintf(a.stdout, "Domains: %s.\n", strings.Join(names, ", "))
		}
		s := org.Settings
		fmt.Fprintf(a.stdout, "Settings: MFA %s, lockout after %d failed logins, inactive after %d days, passwords of %d+ characters.\n",
			s.MFAPolicy, s.LockoutThreshold, s.InactivityDays, s.PasswordPolicy.MinLength)
		return nil
	})
}
