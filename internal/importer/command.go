package importer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Command is `roster import --org SLUG --file PATH [--mode create|update|
// upsert] [--dry-run] [--invite] [--report PATH]`. Register its flags on
// the caller's flag set (which may hold --config too), parse, then Run.
type Command struct {
	org, file, mode, report string
	dryRun, invite          bool
}

// Register adds the command's flags to fs.
func (c *Command) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.org, "org", "", "`slug` of the organization to import into (required)")
	fs.StringVar(&c.file, "file", "", "CSV or XLSX `file` to import (required)")
	fs.StringVar(&c.mode, "mode", string(ModeCreate), "create new users, update existing ones, or upsert (both)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "check the file and say what would change, without writing")
	fs.BoolVar(&c.invite, "invite", false, "email an invitation to each created user that needs to set a password")
	fs.StringVar(&c.report, "report", "", "write the result of every row to this `file` (.csv or .xlsx)")
}

// RunCommand parses args on a flag set of its own and runs the command as
// actor (the CLI's operator).
func RunCommand(ctx context.Context, im *Importer, actor directory.Actor, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("roster import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var c Command
	c.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c.Run(ctx, im, actor, stdout)
}

// maxPrinted bounds the problems the command prints.
const maxPrinted = 50

// Run imports the file and prints what it did; a file with problems
// prints them, writes nothing and fails.
func (c *Command) Run(ctx context.Context, im *Importer, actor directory.Actor, stdout io.Writer) error {
	if c.org == "" || c.file == "" {
		return errors.New("import: --org and --file are required")
	}
	mode, err := ParseMode(c.mode)
	if err != nil {
		return err
	}
	org, err := im.dir.GetOrgBySlug(ctx, c.org)
	if directory.IsCode(err, directory.CodeNotFound) {
		return fmt.Errorf("no organization with slug %q", c.org)
	}
	if err != nil {
		return err
	}
	f, err := im.Open(c.file)
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(c.file)

	var sum *Summary
	if c.dryRun {
		if sum, err = im.Preview(ctx, org.ID, f, mode); err != nil {
			return err
		}
	} else if sum, err = c.commit(ctx, im, actor, org, f, mode); err != nil && sum == nil {
		return err
	}
	printProblems(stdout, sum)
	if !sum.Committed {
		if !sum.OK() {
			return fmt.Errorf("%s has %d problems; nothing was written", name, sum.ProblemCount)
		}
		fmt.Fprintf(stdout, "%s: %d rows: %d to create, %d to update, %d unchanged (dry run: nothing was written)\n",
			name, sum.Rows, sum.Creates, sum.Updates, sum.Unchanged)
		return nil
	}
	fmt.Fprintf(stdout, "imported %s into %s: %d created, %d updated, %d unchanged, %d failed\n",
		name, org.Slug, sum.Creates, sum.Updates, sum.Unchanged, sum.Failed)
	if c.invite {
		fmt.Fprintf(stdout, "%d invitations sent, %d not sent\n", sum.Invited, sum.InviteFailed)
	}
	if c.report != "" {
		fmt.Fprintf(stdout, "report written to %s\n", c.report)
	}
	return err
}

// commit imports the file, records the run and writes its report where
// --report asks.
func (c *Command) commit(ctx context.Context, im *Importer, actor directory.Actor, org *directory.Org, f *File, mode Mode) (*Summary, error) {
	sum, id, err := im.CommitRecorded(ctx, actor, org.ID, c.file, f, CommitOptions{Mode: mode, Invite: c.invite})
	if c.report == "" || id == "" {
		return sum, err
	}
	run, rerr := im.dir.GetImportRun(ctx, org.ID, id)
	if rerr != nil {
		return sum, errors.Join(err, rerr)
	}
	format := CSV
	if strings.EqualFold(filepath.Ext(c.report), ".xlsx") {
		format = XLSX
	}
	out, rerr := os.Create(c.report)
	if rerr != nil {
		return sum, errors.Join(err, rerr)
	}
	return sum, errors.Join(err, WriteReport(out, run, format), out.Close())
}

func printProblems(w io.Writer, sum *Summary) {
	for i, p := range sum.Problems {
		if i == maxPrinted {
			break
		}
		where := fmt.Sprintf("row %d", p.Row)
		if p.Cell != "" {
			where += ", " + p.Cell
		}
		if p.Column != "" {
			where += " (" + p.Column + ")"
		}
		fmt.Fprintf(w, "%s: %s\n", where, p.Message)
	}
	if sum.ProblemCount > maxPrinted {
		fmt.Fprintf(w, "… and %d more problems\n", sum.ProblemCount-maxPrinted)
	}
}
