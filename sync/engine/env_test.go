package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/sync/engine"
)

// env is a Roster over a real store with one organization, and a runner
// writing into it.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  directory.Store
	dir    *directory.Service
	runner *engine.Runner
	org    *directory.Org
	admin  directory.Actor
	key    []byte // security.encryption_key
}

// forEachStore runs fn against a fresh SQLite store and a fresh PostgreSQL
// store (skipped without ROSTER_TEST_POSTGRES_URL, failed in CI).
func forEachStore(t *testing.T, fn func(t *testing.T, store directory.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := postgres.Open(t.Context(), pgtest.NewDatabaseURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		fn(t, s)
	})
}

// newEnv makes an organization in store and a runner with the given
// connector kinds.
func newEnv(t *testing.T, store directory.Store, kinds ...engine.Kind) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), store: store, dir: directory.NewService(store, nil),
		admin: directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "ada@corp.test"}}
	org, err := e.dir.CreateOrg(e.ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, &directory.Org{
		Slug: "corp", Name: "Corp", Settings: directory.DefaultOrgSettings(),
		UserProperties: []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyNumber}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.org = org
	e.key = make([]byte, 32)
	_, _ = rand.Read(e.key)
	sealer, err := engine.NewSealer(e.key)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.runner, err = engine.NewRunner(engine.RunnerConfig{Directory: e.dir, Sealer: sealer, Kinds: kinds, Logger: logger, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// connector creates a connector through the runner, as the API does.
func (e *env) connector(in engine.ConnectorInput) *engine.ConnectorView {
	e.t.Helper()
	c, err := e.runner.CreateConnector(e.ctx, e.admin, e.org.ID, in)
	if err != nil {
		e.t.Fatalf("CreateConnector: %v", err)
	}
	return c
}

// run runs the connector and fails the test if the run fails.
func (e *env) run(connectorID string, mutate ...func(*engine.RunRequest)) *engine.Run {
	e.t.Helper()
	req := engine.RunRequest{OrgID: e.org.ID, ConnectorID: connectorID, Trigger: directory.TriggerManual, By: e.admin}
	for _, m := range mutate {
		m(&req)
	}
	run, err := e.runner.Execute(e.ctx, req)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return run
}

// user finds a user of the organization by userName: the one holding it,
// or else a deleted user that had it.
func (e *env) user(userName string) *directory.User {
	e.t.Helper()
	found, err := e.dir.FindUsersByUserNames(e.ctx, e.org.ID, []string{userName})
	if err != nil || len(found) == 0 {
		e.t.Fatalf("user %s: %d found, %v", userName, len(found), err)
	}
	u := found[0]
	for _, f := range found {
		if !f.Deleted() {
			u = f
		}
	}
	return u
}

// users lists the organization's users (deleted ones too) as
// "userName status" lines, sorted.
func (e *env) users() []string {
	e.t.Helper()
	page, err := e.dir.ListUsers(e.ctx, e.org.ID, directory.UserQuery{IncludeDeleted: true, Limit: directory.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, u := range page.Users {
		out = append(out, fmt.Sprintf("%s %s", u.UserName, u.Status))
	}
	sort.Strings(out)
	return out
}

// members lists a group's members by userName, sorted.
func (e *env) members(groupName string) []string {
	e.t.Helper()
	page, err := e.dir.ListGroups(e.ctx, e.org.ID, directory.GroupQuery{Filter: directory.Eq(directory.GroupDisplayName, groupName)})
	if err != nil || len(page.Groups) != 1 {
		e.t.Fatalf("group %s: %v (%d found)", groupName, err, len(page.Groups))
	}
	ids, err := e.dir.SyncGroupMembers(e.ctx, e.org.ID, page.Groups[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, id := range ids {
		u, err := e.dir.GetUser(e.ctx, e.org.ID, id)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, u.UserName)
	}
	sort.Strings(out)
	return out
}

// auditCount counts the audit events of an action written by an actor.
func (e *env) auditCount(actorID, action string) int {
	e.t.Helper()
	n, after := 0, ""
	for {
		page, err := e.dir.ListAudit(e.ctx, e.org.ID, directory.AuditQuery{ActorID: actorID, Action: action, After: after, Limit: directory.MaxPageSize})
		if err != nil {
			e.t.Fatal(err)
		}
		n += len(page.Events)
		if page.Next == "" {
			return n
		}
		after = page.Next
	}
}

func ptr[T any](v T) *T { return &v }

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
