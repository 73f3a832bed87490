package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// newReplicaEnv is an env on PostgreSQL whose store reads what may be
// stale from another database, at readURL (as via returns it, from the
// URL of a fresh one; nil: as it is). That other database holds acme under
// the same id, but only a marker audit event, one user of its own and a
// usage snapshot of today, so that every answer tells which database
// served it. It returns the env and the store.
func newReplicaEnv(t *testing.T, via func(string) string) (*env, *postgres.Store) {
	t.Helper()
	pgtest.BaseURL(t)
	ctx := context.Background()
	replicaURL := pgtest.NewDatabaseURL(t)
	readURL := replicaURL
	if via != nil {
		readURL = via(replicaURL)
	}
	st, err := postgres.Open(ctx, pgtest.NewDatabaseURL(t), postgres.WithReadURL(readURL, 30*time.Second, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := newEnvOn(t, st, withImporter(0))

	replica, err := postgres.Open(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = replica.Close() })
	if err := replica.Orgs().CreateOrg(ctx, &directory.Org{ID: e.acme.ID, Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(), Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := replica.Audit().AppendAudit(ctx, &directory.AuditEvent{ID: directory.NewID(), OrgID: e.acme.ID, Time: e.clock.Now(),
		ActorKind: directory.ActorOperator, ActorName: "test", Action: "replica.marker", TargetKind: "org", TargetID: e.acme.ID}); err != nil {
		t.Fatal(err)
	}
	onReplica := directory.NewService(replica, e.clock.Now)
	if _, err := onReplica.CreateUser(ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.acme.ID,
		&directory.User{UserName: "replica-only@acme.example", GivenName: "Replica"}); err != nil {
		t.Fatal(err)
	}
	if _, err := onReplica.RecountUsage(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e, st
}

// auditActions lists the actions of the audit listing's first page.
func auditActions(t *testing.T, r *response) []string {
	t.Helper()
	var page auditPage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range page.Events {
		actions = append(actions, ev.Action)
	}
	return actions
}

// With database.read_url, the audit log listing, the usage history (and
// its CSV) and the users export answer from the replica; logins, token
// checks and the reads behind a write answer from the primary.
func TestReadURLServesTheStaleTolerantRoutes(t *testing.T) {
	e, st := newReplicaEnv(t, nil)
	admin := e.tokens["org_admin"] // checked on the primary: the replica has no tokens

	// A user written through the API reads back at once.
	r := e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": "new@acme.example", "email": "new@acme.example", "givenName": "New", "role": "user"}).want(t, http.StatusCreated)
	id := r.str("user", "id")
	if got := e.do(http.MethodGet, "/api/v1/users/"+id, admin, nil).want(t, http.StatusOK); got.str("userName") != "new@acme.example" {
		t.Fatalf("GET the new user: %s", got.body)
	}

	// The audit listing is the replica's: its marker and its user's
	// creation, not the primary's events (the new user's creation above).
	actions := auditActions(t, e.do(http.MethodGet, "/api/v1/audit", admin, nil).want(t, http.StatusOK))
	if strings.Join(actions, " ") != "user.create replica.marker" && strings.Join(actions, " ") != "replica.marker user.create" {
		t.Errorf("audit listing: %v, want the replica's marker and user.create", actions)
	}
	if ev := e.do(http.MethodGet, "/api/v1/audit?target="+id, admin, nil).want(t, http.StatusOK); len(auditActions(t, ev)) != 0 {
		t.Errorf("the audit listing shows the primary's events: %s", ev.body)
	}

	// The usage history: only the replica has a snapshot.
	var v usageHistoryView
	r = e.do(http.MethodGet, "/api/v1/org/usage/history", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.Days) != 1 || v.Days[0].Seats != 1 {
		t.Errorf("usage history: %s, want the replica's one day of one seat", r.body)
	}
	r = e.do(http.MethodGet, "/api/v1/org/usage/history/export", e.tokens["billing_admin"], nil).want(t, http.StatusOK)
	if !strings.Contains(string(r.body), "\n2026-06-01,") {
		t.Errorf("usage CSV has no line of the replica's day:\n%s", r.body)
	}

	// The users export lists the replica's users.
	r = e.do(http.MethodGet, "/api/v1/users/export?format=csv", admin, nil).want(t, http.StatusOK)
	if csv := string(r.body); !strings.Contains(csv, "replica-only@acme.example") || strings.Contains(csv, "new@acme.example") || strings.Contains(csv, "org_admin@acme.example") {
		t.Errorf("users export is not the replica's:\n%s", csv)
	}

	// The users listing of the console and the API is the primary's.
	r = e.do(http.MethodGet, "/api/v1/users?q=new@acme.example", admin, nil).want(t, http.StatusOK)
	if !strings.Contains(string(r.body), id) {
		t.Errorf("the users listing does not show the new user: %s", r.body)
	}
	if u, l := st.ReadFallbacks(); u != 0 || l != 0 {
		t.Errorf("fallbacks: %d unreachable, %d lagging; want none", u, l)
	}
}

// A read URL nothing listens on: the audit listing answers from the
// primary, and the fallback is counted.
func TestReadURLUnreachableAuditFromThePrimary(t *testing.T) {
	e, st := newReplicaEnv(t, func(string) string { return "postgres://roster:secret@127.0.0.1:1/roster?sslmode=disable" })
	actions := auditActions(t, e.do(http.MethodGet, "/api/v1/audit?action=user.create", e.tokens["org_admin"], nil).want(t, http.StatusOK))
	if len(actions) != 4 {
		t.Errorf("audit listing: %v, want the primary's four user.create", actions)
	}
	if u, _ := st.ReadFallbacks(); u != 1 {
		t.Errorf("%d unreachable fallbacks, want 1", u)
	}
}
