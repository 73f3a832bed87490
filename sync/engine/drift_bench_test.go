package engine_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
)

// What comparing owned attributes costs a full run of 100,000 users that
// changes nothing: none of them written by anyone else (the usual case),
// and all of them (links made before versions were kept, compared once).
//
//	ROSTER_SYNC_BENCH=1 ROSTER_TEST_POSTGRES_URL=… go test -run Bench100kDrift -v ./sync/engine/
func TestBench100kDriftCompare(t *testing.T) {
	requireBench(t)
	g := startFakeGraph(t, benchUsers)
	url := pgtest.NewDatabaseURL(t)
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := newEnv(t, s, entra.Kind(entra.WithHTTPClient(&http.Client{})))
	settings, _ := json.Marshal(entra.Settings{TenantID: g.tenant, ClientID: g.client, AuthorityURL: g.url, GraphURL: g.url,
		Groups: entra.GroupsNone})
	c := e.connector(engine.ConnectorInput{Name: ptr("Bench Entra"), Kind: entra.KindName, Settings: settings,
		Secrets: map[string]string{entra.SecretClientSecret: g.secret}})
	if full := measure(t, e, "first run", c.ID, false, benchUsers); full.Counts["create"] != benchUsers {
		t.Fatalf("the first run created %d users", full.Counts["create"])
	}
	if run := measure(t, e, "full run, no change, nothing written in Roster", c.ID, true, benchUsers); len(run.Counts) != 0 {
		t.Errorf("counts %v", run.Counts)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "UPDATE sync_links SET user_version = 0"); err != nil {
		t.Fatal(err)
	}
	if run := measure(t, e, "full run, no change, every user to compare", c.ID, true, benchUsers); len(run.Counts) != 0 {
		t.Errorf("counts %v", run.Counts)
	}
	if run := measure(t, e, "full run, no change, compared before", c.ID, true, benchUsers); len(run.Counts) != 0 {
		t.Errorf("counts %v", run.Counts)
	}
}
