package engine_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

func TestSyncRunCommandPrintsProgressLinesWhenNotATerminal(t *testing.T) {
	a := newServingEnv(t)
	c := entraConnector(a.env, a.graph, directory.DeprovisionSuspend)
	var out strings.Builder
	if err := engine.RunCommand(a.ctx, a.runner, []string{"--org", "corp", "--connector", c.ID}, &out); err != nil {
		t.Fatalf("RunCommand: %v\n%s", err, out.String())
	}
	runs, err := a.runner.Runs(a.ctx, a.org.ID, c.ID, "", 1)
	if err != nil || len(runs) != 1 || runs[0].Progress == nil {
		t.Fatalf("history = %+v (%v), want the run with its progress", runs, err)
	}
	p := runs[0].Progress
	text := out.String()
	if strings.Contains(text, "\r") || strings.Contains(text, "\x1b") {
		t.Errorf("a non-terminal got terminal controls:\n%q", text)
	}
	// One line per phase, in order, then the outcome. A first run applies
	// while it reads: when it turns to applying, what it read is applied.
	var phases []string
	for _, line := range strings.Split(text, "\n") {
		if m := regexp.MustCompile(`^(fetching|planning|applying|done): `).FindStringSubmatch(line); m != nil {
			phases = append(phases, line)
		}
	}
	want := []string{
		"fetching: reading the directory",
		fmt.Sprintf("planning: %d objects read", p.Seen),
		fmt.Sprintf("applying: %d of %d changes (%.0f%%)", p.Planned, p.Planned, 100.0),
		fmt.Sprintf("done: %d objects read, %d changes planned, %d applied", p.Seen, p.Planned, p.Applied),
	}
	if len(phases) != len(want) {
		t.Fatalf("progress lines:\n%s\nwant:\n%s", strings.Join(phases, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		// The applying line may carry a rate.
		if !strings.HasPrefix(phases[i], want[i]) {
			t.Errorf("progress line %d = %q, want %q", i, phases[i], want[i])
		}
	}
	if p.Seen < 5 || p.Applied != p.Planned || p.Applied < 5 {
		t.Errorf("progress = %+v; want the five users read and applied", p)
	}
	if i := strings.Index(text, "done: "); i < 0 || !strings.Contains(text[i:], "succeeded") {
		t.Errorf("the outcome does not follow the progress:\n%s", text)
	}
}
