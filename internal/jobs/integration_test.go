package jobs

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
)

var operator = directory.Actor{Kind: directory.ActorOperator, Name: "cli"}

// serviceOver returns the directory service over a fresh SQLite store.
func serviceOver(t *testing.T) (*directory.Service, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return directory.NewService(st, time.Now), st
}

// recordingNotifier keeps the warnings it was asked to send.
type recordingNotifier struct{ sent []string }

func (n *recordingNotifier) WarnInactive(_ context.Context, org *directory.Org, u *directory.User, at time.Time) error {
	n.sent = append(n.sent, org.Slug+" "+u.UserName+" "+at.Format(time.DateOnly))
	return nil
}

func TestInactivityJobOverTheStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		svc, st := serviceOver(t)
		testInactivityJobOver(t, svc, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st := replica(t, pgtest.NewDatabaseURL(t))
		testInactivityJobOver(t, directory.NewService(st, time.Now), st)
	})
}

// testInactivityJobOver runs the job on its schedule, and by hand, over
// the service and store.
func testInactivityJobOver(t *testing.T, svc *directory.Service, st directory.Store) {
	ctx := context.Background()
	org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC()
	mk := func(name string, pending bool) *directory.User {
		u := &directory.User{UserName: name}
		if !pending {
			u.PasswordHash = "x"
		}
		got, err := svc.CreateUser(ctx, operator, org.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// invite sends u an invitation valid for days.
	invite := func(u *directory.User, days int) {
		l := &directory.Link{OrgID: org.ID, UserID: u.ID, Purpose: directory.LinkPasswordSet,
			SecretHash: "hash-" + u.UserName, ExpiresAt: created.AddDate(0, 0, days)}
		if err := svc.CreateLink(ctx, operator, l); err != nil {
			t.Fatal(err)
		}
	}
	idle := mk("idle@acme.com", false)
	busy := mk("busy@acme.com", false)
	// Pending users: invited holds a live invitation throughout; lapsed's
	// invitation expired after a week; uninvited never had one. The last
	// two are counted like everyone else.
	invited := mk("invited@acme.com", true)
	invite(invited, 130)
	lapsed := mk("lapsed@acme.com", true)
	invite(lapsed, 7)
	uninvited := mk("uninvited@acme.com", true)
	if err := svc.RecordLogin(ctx, org.ID, busy.ID, created.AddDate(0, 0, 30)); err != nil {
		t.Fatal(err)
	}
	notifier := &recordingNotifier{}
	job, err := NewInactivity(svc, InactivityConfig{WarnDays: 7, Notifier: notifier})
	if err != nil {
		t.Fatal(err)
	}

	// The scheduler runs the job daily, as of each tick.
	day0 := time.Date(created.Year(), created.Month(), created.Day(), 0, 0, 0, 0, time.UTC)
	clock := newFakeClock(day0.Add(time.Hour))
	s := New(Config{Clock: clock, Ledger: NewStoreLedger(st.Jobs(), clock.Now)})
	done := make(chan error)
	if err := s.Add(InactivityJobName, DefaultInactivitySchedule, func(ctx context.Context, tick time.Time) error {
		err := job.Job()(ctx, tick)
		done <- err
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer start(t, s)()
	status := func(u *directory.User) directory.Status {
		got, err := svc.GetUser(ctx, org.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	for _, day := range []int{85, 86, 92} {
		eventually(t, "the scheduler to sleep", func() bool { return clock.sleepers() > 0 })
		if err := runAt(t, clock, done, day0.AddDate(0, 0, day)); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		eventually(t, "the run to end", func() bool { return !s.busy(InactivityJobName) })
	}
	got := map[string]directory.Status{}
	for _, u := range []*directory.User{idle, busy, invited, lapsed, uninvited} {
		got[u.UserName] = status(u)
	}
	if diff := cmp.Diff(map[string]directory.Status{
		"idle@acme.com": "inactive", "busy@acme.com": "active", "invited@acme.com": "pending",
		"lapsed@acme.com": "inactive", "uninvited@acme.com": "inactive",
	}, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	// Warnings go to active users only.
	want := "acme idle@acme.com " + created.AddDate(0, 0, 90).Format(time.DateOnly)
	if len(notifier.sent) != 1 || notifier.sent[0] != want {
		t.Fatalf("warnings %q, want [%q]", notifier.sent, want)
	}
	log, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{TargetID: lapsed.ID, Limit: 1})
	if err != nil || len(log.Events) != 1 {
		t.Fatalf("audit of lapsed: %v, %v", log, err)
	}
	if e := log.Events[0]; e.Action != "user.status" || e.ActorKind != directory.ActorJob || e.ActorID != InactivityJobName ||
		e.Changes["status"] != (directory.Change{Before: "pending", After: "inactive"}) {
		t.Fatalf("audit of lapsed: %+v", e)
	}

	// By hand, as of a later date: busy is due too.
	var out bytes.Buffer
	err = RunInactivityCommand(ctx, job, NewLocalLocker(), time.Now, []string{"--now", created.AddDate(0, 0, 121).Format(time.RFC3339)}, &out)
	if err != nil || !strings.HasPrefix(out.String(), "acme: 1 marked inactive, 0 warned\n") {
		t.Fatalf("command: %q, %v", out.String(), err)
	}
	if status(busy) != directory.StatusInactive || status(invited) != directory.StatusPending {
		t.Fatalf("busy is %s, invited is %s", status(busy), status(invited))
	}
}

// runAt moves the clock to at and returns the result of the run that
// follows. The scheduler may have read the time just before the clock
// moved and then gone to sleep for its longest wait, counted from the new
// time; the clock is nudged on by that wait until the run starts (the
// tick, at a day's start, stays the same).
func runAt(t *testing.T, clock *fakeClock, done <-chan error, at time.Time) error {
	t.Helper()
	for nudge := range 5 {
		clock.Set(at.Add(time.Duration(nudge) * maxWait))
		select {
		case err := <-done:
			return err
		case <-time.After(2 * time.Second):
		}
	}
	t.Fatalf("no run after the clock moved to %s", at)
	return nil
}
