package entra_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/roster/roster/internal/outbound/outboundtest"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

func TestTokenAndGraphCallsGoThroughTheGivenClient(t *testing.T) {
	g := entratest.New()
	defer g.Close()
	g.PutUser(user(1, true))
	rec := &outboundtest.Recorder{Next: g.Client().Transport}
	conn, err := entra.New(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL},
		g.ClientSecret, entra.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Fetch(context.Background(), engine.FetchRequest{Full: true}, func(engine.Entry) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"POST /" + g.TenantID + "/oauth2/v2.0/token", "GET /v1.0/users", "GET /v1.0/users/delta", "GET /v1.0/groups/delta",
	} {
		if !slices.Contains(rec.Seen(), want) {
			t.Errorf("the client did not carry %s; it carried %q", want, rec.Seen())
		}
	}
	for _, s := range rec.Seen() {
		if !strings.HasPrefix(s, "GET /v1.0/") && !strings.HasSuffix(s, "/token") {
			t.Errorf("unexpected request %s", s)
		}
	}
}
