package jobs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// RunInactivityCommand is `roster jobs run inactivity [--now TIME] [--org
// SLUG]...`: one pass of the inactivity job, by hand, under the job's lock
// so that it never overlaps a scheduled run on another replica. --now runs
// it as of another time (RFC 3339, or a date meaning its midnight UTC), for
// operators catching up and for tests; now is the clock otherwise. It
// prints what it did per organization.
func RunInactivityCommand(ctx context.Context, job *Inactivity, locker Locker, now func() time.Time, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("roster jobs run inactivity", flag.ContinueOnError)
	fs.SetOutput(stdout)
	at := fs.String("now", "", "run as of this time: RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02); default: the current time")
	var slugs stringList
	fs.Var(&slugs, "org", "organization slug; repeat for several (default: every organization)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	t := now()
	if *at != "" {
		var err error
		if t, err = parseTime(*at); err != nil {
			return err
		}
	}
	t = t.UTC()
	var results []OrgResult
	err := RunLocked(ctx, locker, InactivityJobName, func(ctx context.Context) error {
		var err error
		results, err = job.Run(ctx, t, slugs)
		return err
	})
	if errors.Is(err, ErrBusy) {
		return errors.New("the inactivity job is running elsewhere (another replica or command); try again when it ends")
	}
	total := 0
	for _, r := range results {
		total += r.Deactivated
		line := fmt.Sprintf("%s: %d marked inactive", r.Org, r.Deactivated)
		if job.cfg.WarnDays > 0 {
			line += fmt.Sprintf(", %d warned", r.Warned)
			if r.WarnFailed > 0 {
				line += fmt.Sprintf(" (%d warnings not sent)", r.WarnFailed)
			}
		}
		if r.Err != nil {
			line += ": failed: " + r.Err.Error()
		}
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "inactivity pass as of %s: %d users marked inactive in %d organizations\n", t.Format(time.RFC3339), total, len(results))
	return err
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--now %q is not an RFC 3339 time (2026-01-02T15:04:05Z) or a date (2026-01-02)", s)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
