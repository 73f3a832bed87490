package engine

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Phase is the stage a run is at.
type Phase string

// Phases of a run, in order. A connector's first run, which applies users
// while it reads, applies during PhaseFetching.
const (
	PhaseFetching Phase = "fetching"
	PhasePlanning Phase = "planning"
	PhaseApplying Phase = "applying"
	PhaseDone     Phase = "done"
)

// Progress is how far a run got, updated by the engine as it goes and read
// by others (the runner, which saves it with the run about once a second,
// and the metrics) at any moment. The zero Progress is ready to use;
// a nil *Progress records nothing.
type Progress struct {
	seen, planned, applied atomic.Int64

	mu         sync.Mutex
	phase      Phase
	started    time.Time // of the run
	phaseStart time.Time // of the current phase
	now        func() time.Time
	onPhase    func(RunProgress)
}

// NewProgress returns a progress whose rates are measured with now (the
// wall clock if nil).
func NewProgress(now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	return &Progress{now: now}
}

func (p *Progress) clock() time.Time {
	if p.now == nil {
		return time.Now()
	}
	return p.now()
}

// OnPhase has f called, on the run's goroutine, with the progress at each
// phase the run enters. It is set before the run starts.
func (p *Progress) OnPhase(f func(RunProgress)) { p.onPhase = f }

// setPhase moves the run to phase; the rate of the new phase is measured
// from now.
func (p *Progress) setPhase(phase Phase) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.phase == phase {
		p.mu.Unlock()
		return
	}
	t := p.clock()
	if p.started.IsZero() {
		p.started = t
	}
	p.phase, p.phaseStart = phase, t
	p.mu.Unlock()
	if p.onPhase != nil {
		p.onPhase(p.Snapshot())
	}
}

func (p *Progress) addSeen(n int) {
	if p != nil {
		p.seen.Add(int64(n))
	}
}

func (p *Progress) addPlanned(n int) {
	if p != nil && n > 0 {
		p.planned.Add(int64(n))
	}
}

func (p *Progress) addApplied(n int) {
	if p != nil && n > 0 {
		p.applied.Add(int64(n))
	}
}

// RunProgress is a snapshot of a run's progress, as the API, the console,
// the CLI and run history show it.
type RunProgress struct {
	Phase Phase `json:"phase"`
	// Seen counts the objects read from the directory (users, groups,
	// removals), Planned the changes planned (for a first run, queued as
	// they are read), and Applied the changes written, failed ones
	// included.
	Seen    int64 `json:"seen"`
	Planned int64 `json:"planned"`
	Applied int64 `json:"applied"`
	// Rate is in objects per second over the current phase: objects read
	// while fetching, changes written while applying.
	Rate float64 `json:"rate"`
	// Percent is the share of the plan applied (100 once done); absent
	// while the directory is read or the plan made, whose size is not
	// known in advance.
	Percent *float64 `json:"percent,omitempty"`
	// ETASeconds is the time the changes left should take at Rate, while
	// applying.
	ETASeconds *float64 `json:"etaSeconds,omitempty"`
	// ElapsedSeconds is the time since the run began.
	ElapsedSeconds float64   `json:"elapsedSeconds"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Snapshot returns the progress now.
func (p *Progress) Snapshot() RunProgress {
	if p == nil {
		return RunProgress{}
	}
	p.mu.Lock()
	phase, started, phaseStart := p.phase, p.started, p.phaseStart
	p.mu.Unlock()
	now := p.clock()
	s := RunProgress{Phase: phase, Seen: p.seen.Load(), Planned: p.planned.Load(), Applied: p.applied.Load(), UpdatedAt: now.UTC()}
	if s.Phase == "" {
		s.Phase = PhaseFetching
	}
	// Changes made outside the plan's count (a first run's groups) are
	// planned too.
	s.Planned = max(s.Planned, s.Applied)
	if !started.IsZero() {
		s.ElapsedSeconds = round(now.Sub(started).Seconds(), 1)
	}
	elapsed := now.Sub(phaseStart).Seconds()
	switch s.Phase {
	case PhaseFetching:
		if elapsed > 0 {
			s.Rate = round(float64(s.Seen)/elapsed, 1)
		}
	case PhaseApplying:
		pct := 100.0
		if s.Planned > 0 {
			pct = round(100*float64(s.Applied)/float64(s.Planned), 1)
		}
		s.Percent = &pct
		if elapsed > 0 {
			s.Rate = round(float64(s.Applied)/elapsed, 1)
		}
		if s.Rate > 0 {
			eta := round(float64(s.Planned-s.Applied)/s.Rate, 1)
			s.ETASeconds = &eta
		}
	case PhaseDone:
		pct := 100.0
		s.Percent = &pct
		if s.ElapsedSeconds > 0 {
			s.Rate = round(float64(s.Seen)/s.ElapsedSeconds, 1)
		}
	}
	return s
}

func round(x float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(x*f) / f
}
