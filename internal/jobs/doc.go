// Package jobs runs Roster's scheduled work: a scheduler that fires jobs on
// cron schedules (robfig/cron/v3 specs) so that each tick runs on exactly
// one replica, and the inactivity job that marks unused accounts inactive.
//
// Exactly once per tick takes two things. A Locker keeps two replicas from
// running the same job at once (a PostgreSQL advisory lock across
// replicas, an in-process lock on one node). A Ledger remembers the latest
// tick of each job that a replica claimed, so that a replica whose clock is
// a little late, arriving after the first one finished and released the
// lock, does not run the tick again. Ticks are the schedule's times, not
// the moment a timer fired, so every replica names a tick alike; "@every"
// schedules are aligned to the Unix epoch for the same reason.
//
// Jobs are registered and removed by name while the scheduler runs (the
// directory sync adds one per connector).
package jobs
