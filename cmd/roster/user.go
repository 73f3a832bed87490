package main

import (
	"cmp"
	"context"
	"fmt"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

func (a *app) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("user: missing subcommand (create, unlock, reset-password, reset-mfa)")
	}
	switch args[0] {
	case "create":
		return a.userCreate(ctx, args[1:])
	case "unlock":
		return a.userUnlock(ctx, args[1:])
	case "reset-password":
		return a.userResetPassword(ctx, args[1:])
	case "reset-mfa":
		return a.userResetMFA(ctx, args[1:])
	}
	return usagef("user: unknown subcommand %q (create, unlock, reset-password, reset-mfa)", args[0])
}

func (a *app) userCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("user create",
		"user create --org SLUG --email EMAIL [--user-name NAME] --role ROLE [--given-name NAME] [--family-name NAME] [--password PASSWORD | --generate-password] [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the user's organization")
	email := fs.String("email", "", "login `email`, unique within the organization")
	userName := fs.String("user-name", "", "SCIM userName, unique within the organization (default: the email)")
	role := fs.String("role", "", "`role`: org_admin, org_viewer, billing_admin or user")
	given := fs.String("given-name", "", "given `name`")
	family := fs.String("family-name", "", "family `name`")
	password := fs.String("password", "", "initial `password` (visible to other local users in the process list; prefer --generate-password)")
	generate := fs.Bool("generate-password", false, "set a random password and print it once")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "email", "role"); err != nil {
		return err
	}
	if *password != "" && *generate {
		return usagef("user create: give --password or --generate-password, not both")
	}
	if !directory.Role(*role).Valid() {
		return usagef("user create: --role %q is not one of org_admin, org_viewer, billing_admin, user", *role)
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		pw := *password
		if *generate {
			if pw, err = auth.GeneratePassword(); err != nil {
				return err
			}
		}
		u := &directory.User{
			UserName:   cmp.Or(*userName, *email),
			Email:      *email,
			GivenName:  *given,
			FamilyName: *family,
			Role:       directory.Role(*role),
			AuthMethod: directory.AuthLocal,
		}
		if pw != "" {
			if err := auth.CheckPasswordPolicy(pw, org.Settings.PasswordPolicy); err != nil {
				return err
			}
			if u.PasswordHash, err = auth.HashPassword(pw, a.passwordParams); err != nil {
				return err
			}
			u.Status = directory.StatusActive
		}
		created, err := svc.CreateUser(ctx, cliActor(), org.ID, u)
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		fmt.Fprintf(a.stdout, "Created user %s (%s) in %s, id %s, status %s.\n",
			created.UserName, created.Role, org.Slug, created.ID, created.Status)
		switch {
		case *generate:
			fmt.Fprintf(a.stdout, "Password (shown once, store it now): %s\n", pw)
		case pw == "":
			fmt.Fprintln(a.stdout, "No password set: the user stays pending until it sets one.")
		}
		return nil
	})
}
