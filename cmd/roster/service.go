package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
)

func (a *app) service(ctx context.Context, args []string) error {
	const subs = "list, create, assign, unassign"
	if len(args) == 0 {
		return usagef("service: missing subcommand (%s)", subs)
	}
	switch args[0] {
	case "list":
		return a.serviceList(ctx, args[1:])
	case "create":
		return a.serviceCreate(ctx, args[1:])
	case "assign":
		return a.serviceAssign(ctx, args[1:], true)
	case "unassign":
		return a.serviceAssign(ctx, args[1:], false)
	}
	return usagef("service: unknown subcommand %q (%s)", args[0], subs)
}

func (a *app) serviceList(ctx context.Context, args []string) error {
	fs := a.newFlagSet("service list", "service list --org SLUG [--config FILE]").withConfig(a)
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
		list, err := svc.ListServices(ctx, org.ID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(a.stdout, "%s has no services.\n", org.Slug)
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tNAME\tSEATS USED\tSEAT LIMIT")
		for _, sv := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", sv.Key, sv.Name, sv.Used, seatLimitText(sv.SeatLimit))
		}
		return tw.Flush()
	})
}

func seatLimitText(n *int) string {
	if n == nil {
		return "none"
	}
	return strconv.Itoa(*n)
}

func (a *app) serviceCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("service create",
		"service create --org SLUG --key KEY [--name NAME] [--description TEXT] [--seats N] [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	key := fs.String("key", "", "`key` that names the service in entitlements and imports, e.g. crm")
	name := fs.String("name", "", "display `name` (default: the key)")
	description := fs.String("description", "", "`text` describing the service")
	seats := fs.Int("seats", -1, "seat `limit` (default: no limit)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "key"); err != nil {
		return err
	}
	in := &directory.OrgService{Key: *key, Name: *name, Description: *description}
	if *seats >= 0 {
		in.SeatLimit = seats
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		sv, err := svc.CreateService(ctx, cliActor(), org.ID, in)
		if err != nil {
			return fmt.Errorf("create service: %w", err)
		}
		fmt.Fprintf(a.stdout, "Created service %s (%s) in %s, id %s, seat limit %s, %d seats used.\n",
			sv.Key, sv.Name, org.Slug, sv.ID, seatLimitText(sv.SeatLimit), sv.Used)
		return nil
	})
}

// serviceAssign gives services to users (assign) or takes them (unassign),
// all or nothing.
func (a *app) serviceAssign(ctx context.Context, args []string, assign bool) error {
	verb := "unassign"
	if assign {
		verb = "assign"
	}
	fs := a.newFlagSet("service "+verb, "service "+verb+" --org SLUG --service KEY[,KEY] --user USERNAME[,USERNAME] [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	var keys, userNames stringList
	fs.Var(&keys, "service", "service `key`s, comma-separated or repeated")
	fs.Var(&userNames, "user", "`userName`s, comma-separated or repeated")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "service", "user"); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, _ *config.Config, svc *directory.Service) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(userNames))
		for _, n := range commaList(userNames) {
			u, err := svc.FindUserByUserName(ctx, org.ID, n)
			if err != nil {
				return fmt.Errorf("user %q: %w", n, err)
			}
			ids = append(ids, u.ID)
		}
		change := svc.UnassignServices
		if assign {
			change = svc.AssignServices
		}
		users, err := change(ctx, cliActor(), org.ID, ids, commaList(keys))
		if err != nil {
			return fmt.Errorf("%s: %w", verb, err)
		}
		all, err := svc.OrgServices(ctx, org.ID)
		if err != nil {
			return err
		}
		for _, u := range users {
			var held []string
			for _, sv := range directory.UserServices(u, all) {
				held = append(held, sv.Key)
			}
			fmt.Fprintf(a.stdout, "%s now holds: %s\n", u.UserName, orNone(strings.Join(held, ", ")))
		}
		return nil
	})
}

// commaList flattens values that may each hold a comma-separated list.
func commaList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "no services"
	}
	return s
}
