package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// maxPrinted bounds the plan items and errors the CLI prints; the run's
// history holds them all (up to MaxPlanItems and MaxErrors).
const maxPrinted = 50

// RunCommand is `roster sync run --org SLUG --connector NAME|ID [--dry-run]
// [--full]`: one run of a connector, now, in this process, as the
// operator (trigger cli). While the run goes it draws its progress: a bar
// when stdout is a terminal, plain lines otherwise. It prints the run's outcome, counts and errors,
// and with --dry-run the plan. A connector that is running elsewhere is
// an error that says so; so is a run that fails. A run held at the safety
// threshold is not an error: it prints how to approve it.
func RunCommand(ctx context.Context, runner *Runner, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("roster sync run", flag.ContinueOnError)
	fs.SetOutput(stdout)
	org := fs.String("org", "", "organization slug (required)")
	name := fs.String("connector", "", "connector name or id (required)")
	dry := fs.Bool("dry-run", false, "plan the run and print the plan; change nothing")
	full := fs.Bool("full", false, "read the whole directory instead of the changes since the last run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *org == "" || *name == "" {
		return errors.New("--org and --connector are required")
	}
	o, err := runner.dir.GetOrgBySlug(ctx, *org)
	if err != nil {
		return fmt.Errorf("organization %s: %s", *org, directory.ErrorMessage(err))
	}
	c, err := runner.dir.FindConnector(ctx, o.ID, *name)
	if err != nil {
		return fmt.Errorf("connector %s: %s", *name, directory.ErrorMessage(err))
	}
	progress := NewProgress(nil)
	stop := watchProgress(stdout, progress, isTerminal(stdout))
	run, err := runner.Execute(ctx, RunRequest{OrgID: o.ID, ConnectorID: c.ID, Trigger: directory.TriggerCLI,
		DryRun: *dry, Full: *full, By: directory.Actor{Kind: directory.ActorOperator, Name: "cli"}, Progress: progress})
	stop()
	if run == nil {
		return fmt.Errorf("connector %s: %s", c.Name, directory.ErrorMessage(err))
	}
	printRun(stdout, c, run)
	return err
}

// printRun writes a run's outcome for an operator.
func printRun(w io.Writer, c *directory.Connector, run *Run) {
	what := "run"
	if run.DryRun {
		what = "dry run"
	}
	took := ""
	if run.EndedAt != nil {
		took = " in " + run.EndedAt.Sub(run.StartedAt).Round(time.Millisecond).String()
	}
	scope := "changes since the last run"
	if run.Full {
		scope = "full directory"
	}
	fmt.Fprintf(w, "%s %s of connector %s (%s): %s%s, %s\n", what, run.ID, c.Name, c.Kind, run.Status, took, scope)
	if run.Message != "" {
		fmt.Fprintf(w, "  %s\n", run.Message)
	}
	ops := make([]string, 0, len(run.Counts))
	for op := range run.Counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	if len(ops) == 0 {
		fmt.Fprintln(w, "  no changes")
	}
	for _, op := range ops {
		fmt.Fprintf(w, "  %-14s %d\n", op, run.Counts[op])
	}
	if run.Plan != nil {
		fmt.Fprintf(w, "plan (%d items):\n", len(run.Plan.Items)+run.Plan.Truncated)
		printItems(w, run.Plan.Items, run.Plan.Truncated)
	}
	if len(run.Restored) > 0 {
		fmt.Fprintln(w, "put back in Roster:")
		printItems(w, run.Restored, 0)
	}
	if len(run.Errors) > 0 {
		fmt.Fprintf(w, "errors (%d):\n", run.ErrorCount)
		printItems(w, run.Errors, run.ErrorCount-len(run.Errors))
	}
	if run.Status == directory.RunHeld && run.Plan != nil {
		fmt.Fprintln(w, "held at the safety threshold; nothing was applied:")
		for _, r := range run.Plan.Reasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
		fmt.Fprintf(w, "an org_admin approves (applies exactly this plan) or rejects it:\n"+
			"  POST /api/v1/connectors/%s/runs/%s/approve (or /reject)\n", c.ID, run.ID)
	}
}

func printItems(w io.Writer, items []PlanItem, truncated int) {
	for i, it := range items {
		if i == maxPrinted {
			truncated += len(items) - maxPrinted
			break
		}
		line := fmt.Sprintf("  %-14s %s", it.Op, it.Ref)
		if it.Key != "" {
			line += " (" + it.Key + ")"
		}
		if it.UserName != "" {
			line += " " + it.UserName
		}
		if it.Attribute != "" {
			line += " [" + it.Attribute + "]"
		}
		if it.Detail != "" {
			line += ": " + it.Detail
		}
		fmt.Fprintln(w, line)
	}
	if truncated > 0 {
		fmt.Fprintf(w, "  … and %d more\n", truncated)
	}
}
