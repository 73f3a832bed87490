package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

// bootstrapper sets up a database without organizations: an organization,
// an org_admin and a SCIM token, whose secrets it prints once on out.
type bootstrapper struct {
	svc     *directory.Service
	cfg     config.Bootstrap
	baseURL string
	params  auth.Params
	out     io.Writer
	logger  *slog.Logger
}

// bootstrapTokenName names the first SCIM token, so that it can be found
// and revoked later.
const bootstrapTokenName = "bootstrap"

func (b *bootstrapper) run(ctx context.Context) error {
	n, err := b.svc.CountOrgs(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// Everything that can fail on its own is done before the first write,
	// so that a bad setting does not leave a half set-up database behind.
	password, generated := b.cfg.AdminPassword.Reveal(), false
	if password == "" {
		if password, err = auth.GeneratePassword(); err != nil {
			return err
		}
		generated = true
	}
	if err := auth.CheckPasswordPolicy(password, directory.DefaultOrgSettings().PasswordPolicy); err != nil {
		return fmt.Errorf("bootstrap.admin_password: %s", directory.ErrorMessage(err))
	}
	hash, err := auth.HashPassword(password, b.params)
	if err != nil {
		return err
	}

	actor := directory.Actor{Kind: directory.ActorSystem, Name: "bootstrap"}
	org := &directory.Org{Slug: b.cfg.OrgSlug, Name: b.cfg.OrgName}
	if b.cfg.OrgDomain != "" {
		// The operator's configuration vouches for the domain.
		now := b.svc.Now()
		org.Domains = []directory.Domain{{Name: b.cfg.OrgDomain, Primary: true,
			Verified: true, VerifiedBy: directory.VerifiedByOperator, VerifiedAt: &now}}
	}
	setup, err := b.svc.Bootstrap(ctx, actor, org, &directory.User{
		UserName:     b.cfg.AdminEmail,
		Role:         directory.RoleOrgAdmin,
		AuthMethod:   directory.AuthLocal,
		Status:       directory.StatusActive,
		PasswordHash: hash,
	}, bootstrapTokenName)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	if setup == nil {
		// Another replica sharing the database got there first.
		b.logger.Info("first start: another process set up the database", "org", b.cfg.OrgSlug)
		return nil
	}
	org, admin, token, t := setup.Org, setup.Admin, setup.TokenPlain, setup.Token

	shown := password
	if !generated {
		shown = "(as set in bootstrap.admin_password)"
	}
	fmt.Fprintln(b.out, "Roster is set up. The secrets below are shown only once: store them now.")
	fmt.Fprintln(b.out)
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Organization:\t%s (%s)\n", org.Slug, org.Name)
	fmt.Fprintf(tw, "  Console login:\t%s/o/%s/login\n", strings.TrimRight(b.baseURL, "/"), org.Slug)
	fmt.Fprintf(tw, "  Admin login:\t%s\n", admin.UserName)
	fmt.Fprintf(tw, "  Admin password:\t%s\n", shown)
	fmt.Fprintf(tw, "  SCIM base URL:\t%s\n", scimBaseURL(b.baseURL))
	fmt.Fprintf(tw, "  SCIM token:\t%s\n", token)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(b.out)
	b.logger.Info("first start: created organization, admin and SCIM token",
		"org", org.Slug, "admin", admin.UserName, "token_id", t.ID)
	return nil
}

// scimPath is where the SCIM endpoint is mounted.
const scimPath = "/scim/v2"

func scimBaseURL(base string) string { return base + scimPath }
