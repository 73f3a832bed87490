package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errFlagParse marks a command line the flag package rejected and has
// already explained.
var errFlagParse = errors.New("invalid flags")

// flagSet is a flag.FlagSet that reports to the app's stderr and carries
// the --config flag every database command takes.
type flagSet struct {
	*flag.FlagSet
	config *string
}

func (a *app) newFlagSet(name, synopsis string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: roster %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return &flagSet{FlagSet: fs}
}

// withConfig adds --config, defaulting to $ROSTER_CONFIG.
func (f *flagSet) withConfig(a *app) *flagSet {
	f.config = f.String("config", a.env("ROSTER_CONFIG"), "configuration `file` (default $ROSTER_CONFIG; none: defaults and ROSTER_* variables)")
	return f
}

// parse parses args and rejects positional arguments.
func (f *flagSet) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlagParse
	}
	if f.NArg() > 0 {
		return usagef("%s: unexpected argument %q", f.Name(), f.Arg(0))
	}
	return nil
}

// required reports the first of the named string flags left empty.
func (f *flagSet) required(names ...string) error {
	for _, n := range names {
		if strings.TrimSpace(f.Lookup(n).Value.String()) == "" {
			return usagef("%s: --%s is required", f.Name(), n)
		}
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
