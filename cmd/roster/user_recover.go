package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

// The operator's way back into an account (an organization's admin locked
// out, its password or second factor lost): unlock, reset-password and
// reset-mfa, each audited with the operator CLI as actor.

// userTarget parses the --org and --email flags of a recovery command and
// runs fn on the user they name.
func (a *app) userTarget(ctx context.Context, name, synopsis string, args []string, extra func(*flagSet),
	fn func(ctx context.Context, cfg *config.Config, svc *directory.Service, org *directory.Org, u *directory.User) error) error {
	fs := a.newFlagSet(name, synopsis).withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the user's organization")
	email := fs.String("email", "", "the user's login `email`")
	if extra != nil {
		extra(fs)
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "email"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, cfg *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		u, err := svc.FindUserByEmail(ctx, org.ID, *email)
		if directory.IsCode(err, directory.CodeNotFound) {
			return fmt.Errorf("no user of %s has the login email %q", org.Slug, *email)
		}
		if err != nil {
			return err
		}
		return fn(ctx, cfg, svc, org, u)
	})
}

func (a *app) userUnlock(ctx context.Context, args []string) error {
	return a.userTarget(ctx, "user unlock", "user unlock --org SLUG --email EMAIL [--config FILE]", args, nil,
		func(ctx context.Context, _ *config.Config, svc *directory.Service, org *directory.Org, u *directory.User) error {
			out, err := svc.Unlock(ctx, cliActor(), org.ID, u.ID, "unlocked by the operator", "")
			if err != nil {
				return fmt.Errorf("unlock %s: %w", u.UserName, err)
			}
			fmt.Fprintf(a.stdout, "Unlocked %s in %s: status %s.\n", out.UserName, org.Slug, out.Status)
			return nil
		})
}

func (a *app) userResetMFA(ctx context.Context, args []string) error {
	return a.userTarget(ctx, "user reset-mfa", "user reset-mfa --org SLUG --email EMAIL [--config FILE]", args, nil,
		func(ctx context.Context, _ *config.Config, svc *directory.Service, org *directory.Org, u *directory.User) error {
			if err := svc.ResetMFA(ctx, cliActor(), org.ID, u.ID); err != nil {
				return fmt.Errorf("reset the second factor of %s: %w", u.UserName, err)
			}
			fmt.Fprintf(a.stdout, "Reset the second factor of %s in %s: its TOTP, SMS phone, passkeys and recovery codes are gone, its sessions and personal tokens ended; it enrols again at its next login if a second factor is required.\n",
				u.UserName, org.Slug)
			return nil
		})
}

func (a *app) userResetPassword(ctx context.Context, args []string) error {
	var fromStdin *bool
	return a.userTarget(ctx, "user reset-password",
		"user reset-password --org SLUG --email EMAIL [--password-stdin] [--config FILE]", args,
		func(fs *flagSet) {
			fromStdin = fs.Bool("password-stdin", false, "read the new password from the first line of standard input instead of printing a one-time link")
		},
		func(ctx context.Context, cfg *config.Config, svc *directory.Service, org *directory.Org, u *directory.User) error {
			if u.AuthMethod != directory.AuthLocal {
				return fmt.Errorf("%s signs in through single sign-on and has no password", u.UserName)
			}
			if *fromStdin {
				return a.setPasswordFromStdin(ctx, svc, org, u)
			}
			return a.printPasswordLink(ctx, cfg, svc, org, u)
		})
}

// setPasswordFromStdin reads a password from the first line of stdin (never
// from the command line, where other users of the host would see it),
// checks it against the organization's policy and sets it.
func (a *app) setPasswordFromStdin(ctx context.Context, svc *directory.Service, org *directory.Org, u *directory.User) error {
	line, err := bufio.NewReader(io.LimitReader(a.stdin, directory.MaxPasswordBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("no password on standard input")
	}
	if err := org.Settings.PasswordPolicy.Check(pw); err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw, a.passwordParams)
	if err != nil {
		return err
	}
	out, err := svc.SetPassword(ctx, cliActor(), org.ID, u.ID, hash)
	if err != nil {
		return fmt.Errorf("set the password of %s: %w", u.UserName, err)
	}
	fmt.Fprintf(a.stdout, "Set a new password for %s in %s: status %s; its sessions and personal tokens ended.\n",
		out.UserName, org.Slug, out.Status)
	return nil
}

// printPasswordLink issues a one-time link to choose a new password (an
// invitation for a pending user) and prints it once, for the operator to
// hand over.
func (a *app) printPasswordLink(ctx context.Context, cfg *config.Config, svc *directory.Service, org *directory.Org, u *directory.User) error {
	purpose, page, ttl := directory.LinkPasswordReset, "/reset-password", cfg.Auth.ResetTTL
	switch u.Status {
	case directory.StatusPending:
		purpose, page, ttl = directory.LinkPasswordSet, "/set-password", cfg.Auth.InviteTTL
	case directory.StatusActive:
	default:
		return fmt.Errorf("%s is %s: a password link works for active and pending users only; run 'roster user unlock' first, or give the password with --password-stdin", u.UserName, u.Status)
	}
	if ttl <= 0 {
		ttl = auth.DefaultResetTTL
		if purpose == directory.LinkPasswordSet {
			ttl = auth.DefaultInviteTTL
		}
	}
	token, hash, err := auth.NewSecret(auth.PrefixLink)
	if err != nil {
		return err
	}
	l := &directory.Link{OrgID: org.ID, UserID: u.ID, Purpose: purpose, SecretHash: hash, ExpiresAt: a.now().Add(ttl)}
	if err := svc.CreateLink(ctx, cliActor(), l); err != nil {
		return fmt.Errorf("issue a password link for %s: %w", u.UserName, err)
	}
	link := strings.TrimRight(cfg.HTTP.BaseURL(cfg.HTTP.Addr), "/") + page + "?token=" + url.QueryEscape(token)
	fmt.Fprintf(a.stdout, "One-time link for %s in %s to choose a new password (shown once, valid until %s):\n%s\n",
		u.UserName, org.Slug, l.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), link)
	return nil
}
