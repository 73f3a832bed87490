package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/scim"
	"github.com/roster/roster/scim/loadtest"
)

// TestRunMixedSplitsErrorsAroundTheFault runs the mixed traffic over
// SQLite with a fault that makes the endpoint answer 503 for a while: the
// errors fall in the fault's window, and every acknowledged user is found
// afterwards.
func TestRunMixedSplitsErrorsAroundTheFault(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := directory.NewService(store, nil)
	operator := directory.Actor{Kind: directory.ActorOperator, Name: "loadtest"}
	org, err := svc.CreateOrg(ctx, operator, &directory.Org{Slug: "load", Name: "Load"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateToken(ctx, operator, org.ID, "load")
	if err != nil {
		t.Fatal(err)
	}
	h, err := scim.NewHandler(scim.Config{Service: svc, BaseURL: "http://roster.test/scim/v2"})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	rep, err := loadtest.RunMixed(ctx, loadtest.MixedOptions{
		URL: srv.URL + "/scim/v2", Token: token, Rate: 100, Duration: 3 * time.Second, Concurrency: 8,
		FaultAt: 500 * time.Millisecond,
		Fault: func(context.Context) error {
			down.Store(true)
			time.Sleep(time.Second)
			down.Store(false)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The pace does not depend on how fast the server is: every tick
	// starts a request or, with every client busy, counts one dropped.
	if rep.Requests+rep.Dropped < 250 || rep.Acknowledged == 0 || len(rep.Missing) != 0 {
		t.Errorf("requests %d, dropped %d, acknowledged %d, missing %v", rep.Requests, rep.Dropped, rep.Acknowledged, rep.Missing)
	}
	if rep.Before != 0 || rep.During == 0 || rep.FaultTook < time.Second {
		t.Errorf("errors before %d, during %d (fault took %s): want none before and some during", rep.Before, rep.During, rep.FaultTook)
	}
	// The endpoint is back before the fault ends: nothing started after
	// it fails.
	if rep.After != 0 {
		t.Errorf("%d errors after the fault ended", rep.After)
	}
}
