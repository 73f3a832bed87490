package engine

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// How often the CLI redraws its progress bar, and writes a plain line
// while a phase lasts.
const (
	barEvery   = 200 * time.Millisecond
	plainEvery = 10 * time.Second
	barWidth   = 30
)

// isTerminal reports whether w is a terminal, where the CLI draws a bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progressPrinter writes a run's progress for an operator: a bar redrawn
// in place on a terminal, plain lines otherwise (one per phase, and one
// every plainEvery while a phase lasts).
type progressPrinter struct {
	mu    sync.Mutex
	w     io.Writer
	bar   bool
	drawn bool // a bar is on the line
}

// watchProgress prints p until stop is called (once the run ended).
func watchProgress(w io.Writer, p *Progress, bar bool) (stop func()) {
	pp := &progressPrinter{w: w, bar: bar}
	p.OnPhase(pp.print)
	every := plainEvery
	if bar {
		every = barEvery
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				pp.print(p.Snapshot())
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		pp.mu.Lock()
		defer pp.mu.Unlock()
		if pp.drawn {
			fmt.Fprintln(pp.w)
			pp.drawn = false
		}
	}
}

func (pp *progressPrinter) print(s RunProgress) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if !pp.bar {
		fmt.Fprintln(pp.w, progressLine(s))
		return
	}
	// Back to the line's start, and clear it.
	fmt.Fprint(pp.w, "\r\x1b[K"+progressBar(s))
	pp.drawn = true
}

// progressLine is the plain form of a progress.
func progressLine(s RunProgress) string {
	switch s.Phase {
	case PhaseFetching:
		if s.Seen == 0 {
			return "fetching: reading the directory"
		}
		return fmt.Sprintf("fetching: %d objects read, %s/s", s.Seen, rate(s.Rate))
	case PhasePlanning:
		return fmt.Sprintf("planning: %d objects read", s.Seen)
	case PhaseApplying:
		line := fmt.Sprintf("applying: %d of %d changes", s.Applied, s.Planned)
		if s.Percent != nil {
			line += fmt.Sprintf(" (%.0f%%)", *s.Percent)
		}
		if s.Applied > 0 {
			line += fmt.Sprintf(", %s/s", rate(s.Rate))
		}
		if s.ETASeconds != nil && s.Applied > 0 {
			line += ", about " + eta(*s.ETASeconds) + " left"
		}
		return line
	}
	return fmt.Sprintf("done: %d objects read, %d changes planned, %d applied", s.Seen, s.Planned, s.Applied)
}

// progressBar is the terminal form of a progress: a bar once the plan's
// size is known, counts before.
func progressBar(s RunProgress) string {
	if s.Percent == nil {
		return fmt.Sprintf("%-9s %d objects read  %s/s", s.Phase, s.Seen, rate(s.Rate))
	}
	filled := min(barWidth, int(*s.Percent*barWidth/100))
	line := fmt.Sprintf("%-9s [%s%s] %3.0f%%  %d/%d", s.Phase, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		*s.Percent, s.Applied, s.Planned)
	if s.Phase == PhaseApplying {
		line += "  " + rate(s.Rate) + "/s"
		if s.ETASeconds != nil {
			line += "  ETA " + eta(*s.ETASeconds)
		}
	}
	return line
}

func rate(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

func eta(sec float64) string {
	return (time.Duration(sec*float64(time.Second)) + time.Second/2).Truncate(time.Second).String()
}
