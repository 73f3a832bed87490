package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// syncConnector is `roster sync connector kinds|create|list|delete`: what
// the admin API's /connectors routes do, for operators.
func (a *app) syncConnector(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("sync connector: missing subcommand (kinds, create, list, delete)")
	}
	switch args[0] {
	case "kinds":
		return a.connectorKinds(args[1:])
	case "create":
		return a.connectorCreate(ctx, args[1:])
	case "list":
		return a.connectorList(ctx, args[1:])
	case "delete":
		return a.connectorDelete(ctx, args[1:])
	}
	return usagef("sync connector: unknown subcommand %q (kinds, create, list, delete)", args[0])
}

// connectorKinds is `roster sync connector kinds [--json]`: the kinds of
// connector Roster has, with the secrets each needs; --json adds each
// kind's settings schema and default mapping.
func (a *app) connectorKinds(args []string) error {
	fs := a.newFlagSet("sync connector kinds", "sync connector kinds [--json]")
	asJSON := fs.Bool("json", false, "print the kinds as JSON, with their settings schemas and default mappings")
	if err := fs.parse(args); err != nil {
		return err
	}
	kinds, err := engine.Describe(connectorKinds(nil, nil)...)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(kinds)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tLABEL\tSOURCE\tSECRETS")
	for _, k := range kinds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Label, k.Source, strings.Join(k.Secrets, ", "))
	}
	return tw.Flush()
}

// connectorCreate reads the connector as the JSON body the API takes
// (name, kind, settings, secrets, schedule, mapping, roleRules,
// deprovision, threshold, enabled), from a file so that its secrets stay
// out of the shell history and the process list. `roster sync connector
// kinds` lists the kinds, their secrets and (--json) their settings.
func (a *app) connectorCreate(ctx context.Context, args []string) error {
	fs := a.newFlagSet("sync connector create", "sync connector create --org SLUG --file CONNECTOR.json [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	file := fs.String("file", "", "JSON `file` describing the connector, as POST /api/v1/connectors takes it; its kind is one of "+kindNames())
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "file"); err != nil {
		return err
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("read connector file: %w", err)
	}
	var in engine.ConnectorInput
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	return a.withSyncRunner(ctx, *fs.config, func(ctx context.Context, svc *directory.Service, runner *engine.Runner) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		c, err := runner.CreateConnector(ctx, cliActor(), org.ID, in)
		if err != nil {
			return fmt.Errorf("create connector: %w", err)
		}
		fmt.Fprintf(a.stdout, "Created %s connector %q in %s, id %s, schedule %q, enabled %v.\n", c.Kind, c.Name, org.Slug, c.ID, c.Schedule, c.Enabled)
		return nil
	})
}

func (a *app) connectorList(ctx context.Context, args []string) error {
	fs := a.newFlagSet("sync connector list", "sync connector list --org SLUG [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org"); err != nil {
		return err
	}
	return a.withSyncRunner(ctx, *fs.config, func(ctx context.Context, svc *directory.Service, runner *engine.Runner) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		list, err := runner.ListConnectors(ctx, org.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKIND\tSCHEDULE\tDEPROVISION\tENABLED")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", c.ID, c.Name, c.Kind, c.Schedule, c.Deprovision, c.Enabled)
		}
		return tw.Flush()
	})
}

func (a *app) connectorDelete(ctx context.Context, args []string) error {
	fs := a.newFlagSet("sync connector delete", "sync connector delete --org SLUG --connector NAME|ID [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	name := fs.String("connector", "", "`name or id` of the connector")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "connector"); err != nil {
		return err
	}
	return a.withSyncRunner(ctx, *fs.config, func(ctx context.Context, svc *directory.Service, runner *engine.Runner) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		c, err := runner.GetConnector(ctx, org.ID, *name)
		if err != nil {
			return fmt.Errorf("connector %s: %w", *name, err)
		}
		if err := runner.DeleteConnector(ctx, cliActor(), org.ID, c.ID); err != nil {
			return fmt.Errorf("delete connector: %w", err)
		}
		fmt.Fprintf(a.stdout, "Deleted connector %q (%s) of %s; the users it synced stay.\n", c.Name, c.ID, org.Slug)
		return nil
	})
}

// syncDecide is `roster sync approve|reject --org SLUG --run ID`: the
// answer to a run the safety threshold held.
func (a *app) syncDecide(ctx context.Context, verb string, args []string) error {
	fs := a.newFlagSet("sync "+verb, "sync "+verb+" --org SLUG --run RUN_ID [--config FILE]").withConfig(a)
	orgSlug := fs.String("org", "", "`slug` of the organization")
	runID := fs.String("run", "", "`id` of the held run")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := fs.required("org", "run"); err != nil {
		return err
	}
	return a.withSyncRunner(ctx, *fs.config, func(ctx context.Context, svc *directory.Service, runner *engine.Runner) error {
		org, err := orgBySlug(ctx, svc, *orgSlug)
		if err != nil {
			return err
		}
		if verb == "reject" {
			if _, err := runner.Reject(ctx, cliActor(), org.ID, *runID); err != nil {
				return fmt.Errorf("reject run %s: %w", *runID, err)
			}
			fmt.Fprintf(a.stdout, "Run %s rejected; the next run plans its deprovisions again.\n", *runID)
			return nil
		}
		// The approving run plans again and applies the held plan here
		// and now, as roster sync run does, if it is still the plan.
		run, err := runner.Execute(ctx, engine.RunRequest{OrgID: org.ID, Trigger: directory.TriggerApproval, By: cliActor(), Approves: *runID})
		if errors.Is(err, engine.ErrPlanChanged) && run != nil {
			return fmt.Errorf("approve run %s: the directory changed since it was held, so nothing was applied; "+
				"run %s holds the new plan: review it, then approve or reject it", *runID, run.ID)
		}
		if err != nil {
			return fmt.Errorf("approve run %s: %w", *runID, err)
		}
		fmt.Fprintf(a.stdout, "Run %s approved; run %s applied it and is %s.\n", *runID, run.ID, run.Status)
		return nil
	})
}

// kindNames lists the connector kinds for help texts: "ldap (LDAP …), …".
func kindNames() string {
	var names []string
	for _, k := range connectorKinds(nil, nil) {
		names = append(names, string(k.Name)+" ("+k.Label+")")
	}
	return strings.Join(names, ", ")
}
