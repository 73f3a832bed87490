package postgres_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// replicaEnv is a primary and a "replica": two databases (schemas) of the
// test server, each migrated, holding the same organization but different
// users, audit events and usage, so that every answer tells which one
// served it.
type replicaEnv struct {
	ctx         context.Context
	store       *postgres.Store // on the primary, its stale reads on the replica
	svc         *directory.Service
	org         *directory.Org
	primaryUser *directory.User
	replicaUser *directory.User
	log         *logtest.Buffer
}

var replicaActor = directory.Actor{Kind: directory.ActorOperator, Name: "test"}

// newReplicaEnv seeds both databases and opens the store with the
// replica's URL as via returns it (nil: as it is).
func newReplicaEnv(t *testing.T, via func(replicaURL string) string, maxLag time.Duration) *replicaEnv {
	t.Helper()
	e := &replicaEnv{ctx: context.Background(), log: &logtest.Buffer{}}
	replicaURL := pgtest.NewDatabaseURL(t)
	readURL := replicaURL
	if via != nil {
		readURL = via(replicaURL)
	}
	logger := slog.New(slog.NewTextHandler(e.log, nil))
	s, err := postgres.Open(e.ctx, pgtest.NewDatabaseURL(t), postgres.WithReadURL(readURL, maxLag, logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e.store, e.svc = s, directory.NewService(s, time.Now)
	if e.org, err = e.svc.CreateOrg(e.ctx, replicaActor, &directory.Org{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if e.primaryUser, err = e.svc.CreateUser(e.ctx, replicaActor, e.org.ID, &directory.User{UserName: "primary@acme.example"}); err != nil {
		t.Fatal(err)
	}

	replica := open(t, replicaURL)
	if err := replica.Orgs().CreateOrg(e.ctx, &directory.Org{ID: e.org.ID, Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(), Version: 1}); err != nil {
		t.Fatal(err)
	}
	onReplica := directory.NewService(replica, time.Now)
	if e.replicaUser, err = onReplica.CreateUser(e.ctx, replicaActor, e.org.ID, &directory.User{UserName: "replica@acme.example"}); err != nil {
		t.Fatal(err)
	}
	// Only the replica has a usage snapshot.
	if _, err := onReplica.RecountUsage(e.ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}

// auditFrom says whose user-creation event ListAudit answered in ctx:
// "primary" or "replica".
func (e *replicaEnv) auditFrom(ctx context.Context, t *testing.T) string {
	t.Helper()
	page, err := e.svc.ListAudit(ctx, e.org.ID, directory.AuditQuery{Action: "user.create"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 {
		t.Fatalf("%d user.create events, want 1", len(page.Events))
	}
	switch page.Events[0].TargetID {
	case e.primaryUser.ID:
		return "primary"
	case e.replicaUser.ID:
		return "replica"
	}
	t.Fatalf("the event is of neither user: %+v", page.Events[0])
	return ""
}

// usersFrom says whose users ListUsers answered in ctx.
func (e *replicaEnv) usersFrom(ctx context.Context, t *testing.T) string {
	t.Helper()
	page, err := e.svc.ListUsers(ctx, e.org.ID, directory.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Users) != 1 {
		t.Fatalf("%d users, want 1", len(page.Users))
	}
	if page.Users[0].ID == e.replicaUser.ID {
		return "replica"
	}
	return "primary"
}

// usageFrom says which database's usage UsageHistory answered in ctx: the
// replica has a snapshot of today, the primary none.
func (e *replicaEnv) usageFrom(ctx context.Context, t *testing.T) string {
	t.Helper()
	today := time.Now().UTC()
	days, err := e.svc.UsageHistory(ctx, e.org.ID, today.AddDate(0, 0, -1), today)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) == 0 {
		return "primary"
	}
	if days[0].Seats != 1 {
		t.Fatalf("the replica's snapshot counts %d seats, want 1", days[0].Seats)
	}
	return "replica"
}

func wantFrom(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s answered from the %s, want the %s", what, got, want)
	}
}

// The reads marked stale-tolerant (the audit listing, the usage series,
// the users listing of the export) go to the read URL's database; every
// other read, the same listings unmarked, and anything in a transaction
// stay on the primary.
func TestReadURLServesOnlyStaleReads(t *testing.T) {
	e := newReplicaEnv(t, nil, 30*time.Second)
	stale := directory.WithStaleReads(e.ctx)

	wantFrom(t, "the marked audit listing", e.auditFrom(stale, t), "replica")
	wantFrom(t, "the marked usage history", e.usageFrom(stale, t), "replica")
	wantFrom(t, "the marked users listing", e.usersFrom(stale, t), "replica")

	wantFrom(t, "the audit listing", e.auditFrom(e.ctx, t), "primary")
	wantFrom(t, "the usage history", e.usageFrom(e.ctx, t), "primary")
	wantFrom(t, "the users listing", e.usersFrom(e.ctx, t), "primary")

	// A user just written reads back from the primary, marked or not.
	u, err := e.svc.CreateUser(e.ctx, replicaActor, e.org.ID, &directory.User{UserName: "new@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []context.Context{e.ctx, stale} {
		if got, err := e.store.Users().GetUser(ctx, e.org.ID, u.ID); err != nil || got.UserName != "new@acme.example" {
			t.Errorf("GetUser of the new user = %v, %v", got, err)
		}
		if n, err := e.store.Users().CountUsersByStatus(ctx, e.org.ID); err != nil || n[directory.StatusActive][directory.SourceLocal]+n[directory.StatusPending][directory.SourceLocal] != 2 {
			t.Errorf("CountUsersByStatus = %v, %v, want the primary's two users", n, err)
		}
	}
	// In a transaction, a marked read is the transaction's.
	err = e.store.InTx(stale, func(r directory.Repos) error {
		page, err := r.Audit().ListAudit(stale, e.org.ID, directory.AuditQuery{TargetID: e.primaryUser.ID})
		if err == nil && len(page.Events) != 1 {
			t.Errorf("ListAudit in a transaction found %d events of the primary's user, want 1", len(page.Events))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, l := e.store.ReadFallbacks(); u != 0 || l != 0 {
		t.Errorf("fallbacks: %d unreachable, %d lagging; want none", u, l)
	}
}

// A read URL nothing listens on: the marked reads answer from the primary,
// each counted, with one warning that does not show the password, and the
// store stays ready.
func TestReadURLUnreachableFallsBackToThePrimary(t *testing.T) {
	e := newReplicaEnv(t, func(string) string { return "postgres://roster:hunter2@127.0.0.1:1/roster?sslmode=disable" }, 30*time.Second)
	stale := directory.WithStaleReads(e.ctx)

	wantFrom(t, "the marked audit listing", e.auditFrom(stale, t), "primary")
	wantFrom(t, "the marked users listing", e.usersFrom(stale, t), "primary")
	if u, l := e.store.ReadFallbacks(); u != 2 || l != 0 {
		t.Errorf("fallbacks: %d unreachable, %d lagging; want 2 and 0", u, l)
	}
	if err := e.store.Ping(e.ctx); err != nil {
		t.Errorf("Ping with the replica down: %v", err)
	}
	log := e.log.String()
	if n := strings.Count(log, "read replica unreachable"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, log)
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("the log shows the password:\n%s", log)
	}
}

// A replica that goes away after serving: the next marked read fails on
// it and runs on the primary.
func TestReadURLThatGoesAwayFallsBackToThePrimary(t *testing.T) {
	var p *proxy
	e := newReplicaEnv(t, func(replicaURL string) string {
		u, err := url.Parse(replicaURL)
		if err != nil {
			t.Fatal(err)
		}
		p = startProxy(t, "127.0.0.1:0", u.Host)
		u.Host = p.ln.Addr().String()
		return u.String()
	}, 30*time.Second)
	stale := directory.WithStaleReads(e.ctx)

	wantFrom(t, "the marked users listing", e.usersFrom(stale, t), "replica")
	p.stop()
	wantFrom(t, "the marked users listing once the replica is gone", e.usersFrom(stale, t), "primary")
	if u, l := e.store.ReadFallbacks(); u != 1 || l != 0 {
		t.Errorf("fallbacks: %d unreachable, %d lagging; want 1 and 0", u, l)
	}
	wantFrom(t, "the marked audit listing", e.auditFrom(stale, t), "primary")
	if u, _ := e.store.ReadFallbacks(); u != 2 {
		t.Errorf("%d unreachable fallbacks, want 2: the replica is held unreachable until its next check", u)
	}
}

// A replica further behind than read_max_lag serves nothing until it
// catches up; with no limit, any lag is taken.
func TestReadURLLagGuard(t *testing.T) {
	var lag atomic.Int64
	e := newReplicaEnv(t, nil, 30*time.Second)
	postgres.SetReplicaLag(e.store, func() time.Duration { return time.Duration(lag.Load()) })
	stale := directory.WithStaleReads(e.ctx)

	lag.Store(int64(time.Minute))
	wantFrom(t, "the audit listing a minute behind", e.auditFrom(stale, t), "primary")
	wantFrom(t, "the usage history a minute behind", e.usageFrom(stale, t), "primary")
	if u, l := e.store.ReadFallbacks(); u != 0 || l != 3 {
		t.Errorf("fallbacks: %d unreachable, %d lagging; want 0 and 3 (one audit query, two usage series)", u, l)
	}
	if !strings.Contains(e.log.String(), "read replica behind") || !strings.Contains(e.log.String(), "lag=1m0s") {
		t.Errorf("no warning of the lag:\n%s", e.log.String())
	}
	lag.Store(int64(10 * time.Second))
	wantFrom(t, "the audit listing 10s behind", e.auditFrom(stale, t), "replica")

	off := newReplicaEnv(t, nil, 0)
	postgres.SetReplicaLag(off.store, func() time.Duration { return time.Hour })
	wantFrom(t, "the audit listing with no lag limit", off.auditFrom(directory.WithStaleReads(off.ctx), t), "replica")
}

// A read URL pgx cannot parse fails Open without repeating the URL.
func TestReadURLThatDoesNotParse(t *testing.T) {
	_, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t),
		postgres.WithReadURL("postgres://roster:hunter2@replica:port/roster", 0, nil))
	if err == nil || !strings.Contains(err.Error(), "the read URL cannot be parsed") {
		t.Fatalf("Open = %v, want the read URL refused", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
}
