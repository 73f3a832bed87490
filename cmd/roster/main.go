// Command roster is the Roster server and its operator CLI.
//
//	roster serve                 run the HTTP server (SCIM, API, health, metrics)
//	roster migrate               bring the database schema up to date
//	roster org create            create an organization
//	roster org domain verify     verify an email domain (DNS, or --force)
//	roster user create           create a user in an organization
//	roster user unlock|reset-password|reset-mfa   an operator's way back into an account
//	roster token create|list|revoke   manage SCIM tokens
//	roster sync run              run a directory connector now (--org, --connector, [--dry-run] [--full])
//	roster jobs run inactivity   mark unused accounts inactive now (or --now TIME)
//	roster import                import users from a CSV or XLSX file
//	roster bench scim            load-test a SCIM endpoint, per-phase req/s, p50, p99
//	roster version               print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/gcpolicy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process at once
	}()
	gcpolicy.Apply(os.Getenv)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code: 0 on success, 1
// when the command failed, 2 when it was misused.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	return newApp(stdout, stderr, environ).run(ctx, args)
}

// app is what every command gets: its output streams, the environment, the
// clock, and hooks that tests set.
type app struct {
	// stdin is where reset-password --password-stdin reads the password.
	stdin          io.Reader
	stdout, stderr io.Writer
	// environ is the environment as os.Environ gives it.
	environ []string
	now     func() time.Time
	// passwordParams are the argon2id costs of new password hashes.
	passwordParams auth.Params
	// onListen, if set, learns the address serve bound (tests use port 0).
	onListen func(addr string)
}

func newApp(stdout, stderr io.Writer, environ []string) *app {
	return &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, environ: environ, now: time.Now, passwordParams: auth.DefaultParams()}
}

// env returns the value of the environment variable name, "" if unset.
func (a *app) env(name string) string {
	value := ""
	for _, kv := range a.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value = v // the last one wins, as with os.Getenv
		}
	}
	return value
}

// command is one subcommand; group commands (org, user, token) dispatch on
// their own first argument.
type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server until SIGINT or SIGTERM", (*app).serve},
		{"migrate", "bring the database schema up to date", (*app).migrate},
		{"org", "manage organizations: create, domain verify", (*app).org},
		{"user", "manage users: create, unlock, reset-password, reset-mfa", (*app).user},
		{"token", "manage SCIM tokens: create, list, revoke", (*app).token},
		{"service", "manage services and their seats: list, create, assign, unassign", (*app).service},
		{"sync", "run a directory connector now: sync run --org --connector [--dry-run] [--full]", (*app).sync},
		{"jobs", "run a scheduled job by hand: jobs run inactivity [--now TIME] [--org SLUG]", (*app).jobsCmd},
		{"import", "import users from CSV or XLSX: import --org SLUG --file PATH [--mode] [--dry-run] [--invite]", (*app).importCmd},
		{"key", "rotate the encryption key: key generate; key reseal (re-seal every secret under the new key)", (*app).keyCmd},
		{"bench", "load-test a SCIM endpoint: bench scim --url --token -n -c", (*app).bench},
		{"version", "print the version", (*app).version},
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		a.usage(a.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return a.exit(c.run(a, ctx, args[1:]))
		}
	}
	fmt.Fprintf(a.stderr, "roster: unknown command %q\n\n", args[0])
	a.usage(a.stderr)
	return 2
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: roster <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'roster <command> -h' for a command's flags. Commands that use the")
	fmt.Fprintln(w, "database read --config FILE (or ROSTER_CONFIG) and ROSTER_* variables;")
	fmt.Fprintln(w, "see config.example.yaml.")
}

// usageError is a command line that does not make sense; it exits with 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exit reports err and maps it to an exit code.
func (a *app) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "roster: %v\n", err)
		return 2
	case errors.Is(err, errFlagParse):
		return 2 // the flag package has printed the problem and the flags
	}
	fmt.Fprintf(a.stderr, "roster: %s\n", describe(err))
	return 1
}

// describe renders an error for the operator: the domain's message with
// its field, or the whole error for anything unexpected (the operator runs
// the process and may see causes; nothing here holds a secret).
func describe(err error) string {
	var de *directory.Error
	if errors.As(err, &de) && !directory.IsServerFault(de) {
		if de.Field != "" {
			return fmt.Sprintf("%s (%s: %s)", de.Message, de.Code, de.Field)
		}
		return fmt.Sprintf("%s (%s)", de.Message, de.Code)
	}
	return err.Error()
}
