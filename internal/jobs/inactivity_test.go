package jobs

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster/roster/internal/directory"
)

// fakeInactivityDirectory scripts what the directory answers per
// organization and records what the job asked.
type fakeInactivityDirectory struct {
	mu          sync.Mutex
	orgs        []*directory.Org
	deactivated map[string]int
	failing     map[string]bool
	warn        map[string][]*directory.User
	released    []string
	calls       []string
}

func (f *fakeInactivityDirectory) ListOrgs(context.Context) ([]*directory.Org, error) {
	return f.orgs, nil
}

func (f *fakeInactivityDirectory) GetOrgBySlug(_ context.Context, slug string) (*directory.Org, error) {
	for _, o := range f.orgs {
		if o.Slug == slug {
			return o, nil
		}
	}
	return nil, directory.Errorf(directory.CodeNotFound, "no org")
}

func (f *fakeInactivityDirectory) DeactivateInactiveUsers(_ context.Context, actor directory.Actor, orgID string, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "deactivate "+orgID+" by "+actor.ID+" at "+now.Format(time.RFC3339))
	if f.failing[orgID] {
		return 0, directory.Internal(errors.New("database gone"))
	}
	return f.deactivated[orgID], nil
}

func (f *fakeInactivityDirectory) ClaimInactivityWarnings(_ context.Context, orgID string, now time.Time, days int) ([]*directory.User, error) {
	return f.warn[orgID], nil
}

func (f *fakeInactivityDirectory) ReleaseInactivityWarning(_ context.Context, _, userID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, userID)
	return nil
}

type fakeNotifier struct {
	sent []string
	fail map[string]bool
}

func (n *fakeNotifier) WarnInactive(_ context.Context, _ *directory.Org, u *directory.User, at time.Time) error {
	if n.fail[u.ID] {
		return errors.New("smtp down")
	}
	n.sent = append(n.sent, u.ID+" "+at.Format(time.DateOnly))
	return nil
}

func TestInactivityRun(t *testing.T) {
	now := time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)
	login := now.AddDate(0, 0, -85)
	activated := now.AddDate(0, 0, -25)
	acme := &directory.Org{ID: "o1", Slug: "acme", Settings: directory.OrgSettings{InactivityDays: 90}}
	globex := &directory.Org{ID: "o2", Slug: "globex", Settings: directory.OrgSettings{InactivityDays: 30}}
	broken := &directory.Org{ID: "o3", Slug: "broken"}
	dir := &fakeInactivityDirectory{
		orgs:        []*directory.Org{acme, broken, globex},
		deactivated: map[string]int{"o1": 12, "o2": 1},
		failing:     map[string]bool{"o3": true},
		warn: map[string][]*directory.User{
			"o1": {{ID: "u1", LastLoginAt: &login}, {ID: "u2", LastLoginAt: &login}},
			"o2": {{ID: "u3", ActivatedAt: &activated}},
		},
	}
	notifier := &fakeNotifier{fail: map[string]bool{"u2": true}}
	job, err := NewInactivity(dir, InactivityConfig{WarnDays: 7, Notifier: notifier})
	if err != nil {
		t.Fatal(err)
	}
	results, err := job.Run(context.Background(), now, nil)
	if err == nil || !strings.Contains(err.Error(), "organization broken") {
		t.Fatalf("want the broken organization's error, got %v", err)
	}
	want := []OrgResult{
		{Org: "acme", Deactivated: 12, Warned: 1, WarnFailed: 1},
		{Org: "broken"},
		{Org: "globex", Deactivated: 1, Warned: 1},
	}
	if diff := cmp.Diff(want, results, cmpopts.IgnoreFields(OrgResult{}, "Err")); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if results[1].Err == nil {
		t.Fatal("the broken organization reports no error")
	}
	if diff := cmp.Diff([]string{"u1 2026-04-06", "u3 2026-04-06"}, notifier.sent); diff != "" {
		t.Fatalf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u2"}, dir.released); diff != "" {
		t.Fatalf("released (-want +got):\n%s", diff)
	}
	if dir.calls[0] != "deactivate o1 by inactivity at 2026-04-01T02:00:00Z" {
		t.Fatalf("calls %q", dir.calls)
	}
}

func TestNewInactivityChecksItsConfig(t *testing.T) {
	if _, err := NewInactivity(&fakeInactivityDirectory{}, InactivityConfig{WarnDays: 3}); err == nil {
		t.Fatal("warnings without a notifier were accepted")
	}
	if _, err := NewInactivity(&fakeInactivityDirectory{}, InactivityConfig{WarnDays: -1}); err == nil {
		t.Fatal("negative warning days were accepted")
	}
}

func TestRunInactivityCommand(t *testing.T) {
	acme := &directory.Org{ID: "o1", Slug: "acme"}
	globex := &directory.Org{ID: "o2", Slug: "globex"}
	dir := &fakeInactivityDirectory{orgs: []*directory.Org{acme, globex}, deactivated: map[string]int{"o1": 3, "o2": 4}}
	job, _ := NewInactivity(dir, InactivityConfig{})
	locker := NewLocalLocker()
	clock := func() time.Time { return time.Date(2026, 5, 5, 5, 5, 5, 0, time.UTC) }
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := RunInactivityCommand(context.Background(), job, locker, clock, args, &out)
		return out.String(), err
	}

	out, err := run("--now", "2026-06-01", "--org", "globex")
	if err != nil {
		t.Fatal(err)
	}
	if want := "globex: 4 marked inactive\ninactivity pass as of 2026-06-01T00:00:00Z: 4 users marked inactive in 1 organizations\n"; out != want {
		t.Fatalf("output %q", out)
	}
	if out, err = run(); err != nil || dir.calls[len(dir.calls)-1] != "deactivate o2 by inactivity at 2026-05-05T05:05:05Z" {
		t.Fatalf("%q, %v, calls %q", out, err, dir.calls)
	}
	release, _, _ := locker.TryLock(context.Background(), InactivityJobName)
	if _, err := run(); err == nil {
		t.Fatal("ran while the scheduled job held the lock")
	}
	release()
	for _, args := range [][]string{{"--now", "yesterday"}, {"--org", "nope"}, {"extra"}} {
		if _, err := run(args...); err == nil {
			t.Errorf("%q was accepted", args)
		}
	}
}

func TestInactivityRegisters(t *testing.T) {
	job, _ := NewInactivity(&fakeInactivityDirectory{}, InactivityConfig{})
	s := New(Config{})
	if err := job.Register(s, ""); err != nil {
		t.Fatal(err)
	}
	if err := job.Register(s, "every day"); err == nil {
		t.Fatal("a bad schedule was accepted")
	}
	if got := s.Entries(); len(got) != 1 || got[0].Name != InactivityJobName {
		t.Fatalf("entries %+v", got)
	}
}
