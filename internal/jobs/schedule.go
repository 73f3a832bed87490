package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when a job runs: robfig/cron's interface, so that any of
// its schedules can be registered.
type Schedule = cron.Schedule

// ParseSchedule reads a schedule: a standard five-field cron spec ("0 3 *
// * *"), optionally prefixed with "CRON_TZ=Europe/Paris ", a descriptor
// (@yearly, @monthly, @weekly, @daily, @hourly), or "@every <duration>" of
// at least a minute. "@every" ticks fall on multiples of the duration since
// the Unix epoch, so that every replica fires the same ticks.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		if d < time.Minute {
			return nil, fmt.Errorf("schedule %q: the interval must be at least a minute", spec)
		}
		return alignedEvery(d), nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// alignedEvery fires at multiples of a duration since the Unix epoch.
type alignedEvery time.Duration

func (e alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(e)).Add(time.Duration(e))
}
