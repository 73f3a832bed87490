package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// tripwire calls fire once its connectors, armed, have emitted after
// entries: a directory that goes away in the middle of a read.
type tripwire struct {
	armed atomic.Bool
	after int
	fire  func()
}

func (w *tripwire) wrap(kind engine.Kind) engine.Kind {
	inner := kind.New
	kind.New = func(settings json.RawMessage, m engine.Mapping, secrets map[string]string) (engine.Connector, error) {
		c, err := inner(settings, m, secrets)
		if err != nil {
			return nil, err
		}
		return trippedConnector{Connector: c, w: w}, nil
	}
	return kind
}

type trippedConnector struct {
	engine.Connector
	w *tripwire
}

func (c trippedConnector) Fetch(ctx context.Context, req engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	n := 0
	return c.Connector.Fetch(ctx, req, func(en engine.Entry) error {
		if n++; n == c.w.after && c.w.armed.CompareAndSwap(true, false) {
			c.w.fire()
		}
		return emit(en)
	})
}

// allActive fails unless every user of the organization is active.
func allActive(t *testing.T, e *env, want int) {
	t.Helper()
	users := e.users()
	for _, u := range users {
		if !strings.HasSuffix(u, " active") {
			t.Errorf("user %s after a failed run", u)
		}
	}
	if len(users) != want {
		t.Errorf("%d users, want %d", len(users), want)
	}
}

// failedRun runs the connector and returns the run, which must fail.
func failedRun(t *testing.T, e *env, connectorID string, full bool) *engine.Run {
	t.Helper()
	run, err := e.runner.Execute(e.ctx, engine.RunRequest{OrgID: e.org.ID, ConnectorID: connectorID,
		Trigger: directory.TriggerManual, By: e.admin, Full: full})
	if err == nil || run == nil || run.Status != directory.RunFailed {
		t.Fatalf("run = %+v, %v; want it failed", run, err)
	}
	if len(run.Counts) != 0 {
		t.Errorf("a failed run counts %v", run.Counts)
	}
	return run
}

// An LDAP server that goes away in the middle of a full read fails the
// run with the directory's error; the users it had not read yet are not
// taken for gone.
func TestALDAPServerGoneMidRunDeprovisionsNothing(t *testing.T) {
	ldaptest.RequireSlapd(t)
	forEachStore(t, func(t *testing.T, store directory.Store) {
		srv := ldaptest.StartSlapd(t, slapdSeed())
		w := &tripwire{after: 4, fire: srv.Stop}
		e := newEnv(t, store, w.wrap(ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback()))[0]))
		c := e.connector(strict(engine.ConnectorInput{Name: ptr("Corp LDAP"), Kind: ldap.KindLDAP, Settings: ldapSettings(srv),
			Secrets: map[string]string{ldap.SecretBindPassword: ldaptest.BindPassword}}))
		wantCounts(t, "first run", e.run(c.ID), map[string]int{"create": 10, "group_create": 2, "member_add": 3})

		w.armed.Store(true)
		run := failedRun(t, e, c.ID, true)
		if run.Message == "" || strings.Contains(run.Message, ldaptest.BindPassword) {
			t.Errorf("message = %q, want the directory's error and no secret", run.Message)
		}
		t.Logf("message: %s", run.Message)
		allActive(t, e, 10)
		if stored, _ := e.dir.GetConnector(e.ctx, e.org.ID, c.ID); stored.ReconciledAt == nil || stored.Cursor == "" {
			t.Errorf("the first run's cursor and reconcile time were lost: %+v", stored)
		}
	})
}

// Graph answering 503 to every request fails the run once the retries
// are spent, and deprovisions nothing; an expired delta link makes the
// connector read everything again, and the run deprovisions only who is
// really gone.
func TestGraphFailuresDeprovisionNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 10)
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		c := entraConnector(e, g, directory.DeprovisionSuspend)
		first := e.run(c.ID)
		if first.Counts["create"] != 10 {
			t.Fatalf("first run counts %v", first.Counts)
		}

		t.Log("a storm of 503s")
		// Every request of the run: the first and its 6 retries.
		g.Throttle(7, http.StatusServiceUnavailable, "0")
		run := failedRun(t, e, c.ID, true)
		if !strings.Contains(run.Message, "503") {
			t.Errorf("message = %q, want Graph's 503 named", run.Message)
		}
		if strings.Contains(run.Message, g.ClientSecret) {
			t.Errorf("message shows the client secret: %q", run.Message)
		}
		allActive(t, e, 10)

		for _, mode := range []entratest.ExpiryMode{entratest.ExpireGone, entratest.ExpireSyncStateNotFound} {
			t.Logf("an expired delta link (%d)", mode)
			wantCounts(t, "a run that reads the changes", e.run(c.ID), nil)
			g.ExpireDeltaTokens(mode)
			run = e.run(c.ID)
			if run.Status != directory.RunSucceeded || !run.Full || len(run.Counts) != 0 {
				t.Errorf("run after the delta link expired = %s, full %t, counts %v; want a full read changing nothing", run.Status, run.Full, run.Counts)
			}
			allActive(t, e, 10)
		}
		g.DeleteUser(entratest.ID(3), true)
		g.ExpireDeltaTokens(entratest.ExpireGone)
		wantCounts(t, "a full read after a deletion", e.run(c.ID), map[string]int{"suspend": 1})
		if u := e.user("u3@contoso.test"); u.Status != directory.StatusSuspended {
			t.Errorf("u3 = %s, want suspended", u.Status)
		}
	})
}
