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
		return usagef("org: missing subcommand (create, domain verify)")
	}
	switch args[0] {
	case "create":
		return a.orgCreate(ctx, args[1:])
	case "domain":
		if len(args) > 1 && args[1] == "verify" {
			return a.orgDomainVerify(ctx, args[2:])
		}
		return usagef("org domain: missing or unknown subcommand (verify)")
	}
	return usagef("org: unknown subcommand %q (create, domain verify)", args[0])
}

func (a *app) orgCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("org create", "org create --slug SLUG --name NAME [--domain DOMAIN]... [--config FILE]").withConfig(a)
	slug := fs.String("slug", "", "short unique `id` of the organization (lower-case letters, digits, dashes)")
	name := fs.String("name", "", "display `name`")
	var domains stringList
	fs.Var(&domains, "domain", "email `domain` the organization owns, verified by you; repeat for more, the first is primary")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("slug", "name"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		o := &directory.Org{Slug: *slug, Name: *name}
		now := svc.Now()
		for i, d := range domains {
			// The operator vouches for the domains it gives.
			o.Domains = append(o.Domains, directory.Domain{Name: d, Primary: i == 0,
				Verified: true, VerifiedBy: directory.VerifiedByOperator, VerifiedAt: &now})
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
		fmt.Fprintf(a.stdout, "Settings: MFA %s (%s), lockout after %d failed logins, inactive after %d days, passwords of %d+ characters.\n",
			s.MFAPolicy, factorList(s.MFAFactors), s.LockoutThreshold, s.InactivityDays, s.PasswordPolicy.MinLength)
		return nil
	})
}

// orgDomainVerify verifies a domain for an organization: by its DNS TXT
// record, or, with --force, on the operator's word.
func (a *app) orgDomainVerify(ctx context.Context, args []string) error {
	fs := a.newFlagSet("org domain verify", "org domain verify --org SLUG --domain DOMAIN [--force] [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	domain := fs.String("domain", "", "email `domain` to verify (added to the organization if it does not list it)")
	force := fs.Bool("force", false, "verify without checking DNS (recorded in the audit log as the operator's)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "domain"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		org, err = svc.VerifyDomainByOperator(ctx, cliActor(), org.ID, *domain, *force)
		if err != nil {
			return fmt.Errorf("verify domain: %w", err)
		}
		d, _ := org.Domain(*domain)
		fmt.Fprintf(a.stdout, "Domain %s of %s is verified (%s).\n", d.Name, org.Slug, d.VerifiedBy)
		return nil
	})
}

// factorList names an organization's second factors for the CLI.
func factorList(fs []directory.MFAFactor) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
