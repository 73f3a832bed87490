package scim_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/scim"
)

// trips counts what requests cost the database. On PostgreSQL it counts the
// writes to the server's socket: the client flushes once per round trip
// and then waits for the answer (BEGIN, statements held for later and
// COMMIT travel in the flush of the statement they go with). On SQLite,
// where there is no network, it counts the statements sent, BEGIN and
// COMMIT included. Each also keeps what it saw, for failure messages.
type trips struct {
	mu   sync.Mutex
	n    int
	seen []string
	// stmts maps PostgreSQL's prepared statement names to their text.
	stmts map[string]string
}

func (c *trips) add(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.seen = append(c.seen, what)
}

// reset zeroes the count and returns what it was, with what was seen.
func (c *trips) reset() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, seen := c.n, c.seen
	c.n, c.seen = 0, nil
	return n, seen
}

// countingConn counts the writes of a connection to PostgreSQL.
type countingConn struct {
	net.Conn
	c *trips
}

func (cc countingConn) Write(p []byte) (int, error) {
	cc.c.add(cc.c.describe(p))
	return cc.Conn.Write(p)
}

// describe returns the statements of one write to PostgreSQL (simple
// queries, and the text of prepared ones as they are parsed or bound), so
// that a failure shows what a request sent.
func (c *trips) describe(p []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmts == nil {
		c.stmts = map[string]string{}
	}
	var parts []string
	for len(p) >= 5 {
		typ := p[0]
		n := int(p[1])<<24 | int(p[2])<<16 | int(p[3])<<8 | int(p[4])
		if n < 4 || 1+n > len(p) {
			break
		}
		body := p[5 : 1+n]
		switch typ {
		case 'Q':
			parts = append(parts, "Q "+strings.TrimRight(string(body), "\x00"))
		case 'P':
			// Parse: statement name, NUL, query, NUL, …
			if name, rest, ok := strings.Cut(string(body), "\x00"); ok {
				q, _, _ := strings.Cut(rest, "\x00")
				c.stmts[name] = strings.Join(strings.Fields(q), " ")
				parts = append(parts, "parse "+c.stmts[name])
			}
		case 'B':
			// Bind: portal name, NUL, statement name, NUL, …
			if _, rest, ok := strings.Cut(string(body), "\x00"); ok {
				name, _, _ := strings.Cut(rest, "\x00")
				parts = append(parts, c.stmts[name])
			}
		}
		p = p[1+n:]
	}
	return strings.Join(parts, "\n\t\t")
}

// countedPostgres opens a fresh PostgreSQL store whose round trips c
// counts. The pool has one connection, so that every request finds its
// statements prepared once the warm-up ran, and never pings it.
func countedPostgres(t *testing.T, c *trips) directory.Store {
	s, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t), postgres.WithPoolConfig(func(cfg *pgxpool.Config) {
		cfg.MaxConns, cfg.MinConns = 1, 0
		cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
		dial := cfg.ConnConfig.DialFunc
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{conn, c}, nil
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// countedSQLite opens a fresh SQLite store whose statements c counts.
func countedSQLite(t *testing.T, c *trips) directory.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.WithObserver(func(q string) {
		c.add(strings.Join(strings.Fields(q), " "))
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// tripRequest is one request of an identity provider's, as the load test
// makes them, and what it may cost the database at most on each store.
type tripRequest struct {
	name             string
	sqlite, postgres int
	// do makes the request about user i (created by the create request)
	// of env e, in group g.
	do func(e *env, users []string, i int, g string)
}

// tripRequests are the requests the load test makes, in its order. The
// counts are those of the store as it is: a change that costs a request
// more fails here; one that saves some lowers the figure.
var tripRequests = []tripRequest{
	{"create", 6, 1, func(e *env, users []string, i int, _ string) {
		users[i] = e.must(e.call("POST", "/Users", userBody(e, i, "Create")), http.StatusCreated)["id"].(string)
	}},
	{"lookup", 1, 1, func(e *env, _ []string, i int, _ string) {
		res := e.must(e.call("GET", "/Users?filter="+strings.ReplaceAll(fmt.Sprintf("userName eq %q", tripUserName(i)), " ", "%20"), ""), http.StatusOK)
		if res["totalResults"] != float64(1) {
			e.t.Fatalf("lookup of user %d: %v", i, res)
		}
	}},
	{"get", 1, 1, func(e *env, users []string, i int, _ string) {
		e.must(e.call("GET", "/Users/"+users[i], ""), http.StatusOK)
	}},
	{"patch", 4, 1, func(e *env, users []string, i int, _ string) {
		e.must(e.call("PATCH", "/Users/"+users[i], patchOp(
			`{"op":"Replace","path":"title","value":"Patched"}`,
			`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"`+tripUserName(i)+`"}`,
			fmt.Sprintf(`{"op":"Replace","path":"name.familyName","value":"Patched %d"}`, i))), http.StatusOK)
	}},
	{"put", 4, 1, func(e *env, users []string, i int, _ string) {
		e.must(e.call("PUT", "/Users/"+users[i], userBody(e, i, "Put")), http.StatusOK)
	}},
	// Adding members checks seats only if the group's read says a
	// service with a seat limit maps the group.
	{"add member", 6, 3, func(e *env, users []string, i int, g string) {
		e.must(e.call("PATCH", "/Groups/"+g, patchOp(`{"op":"Add","path":"members","value":[{"value":"`+users[i]+`"}]}`)), http.StatusNoContent)
	}},
	{"get group", 1, 1, func(e *env, _ []string, _ int, g string) {
		e.must(e.call("GET", "/Groups/"+g+"?excludedAttributes=members", ""), http.StatusOK)
	}},
	// A deletion ends the user's sessions and counts them for the audit
	// log: that answer is awaited before the group change and the commit.
	{"delete", 6, 2, func(e *env, users []string, i int, _ string) {
		e.must(e.call("DELETE", "/Users/"+users[i], ""), http.StatusNoContent)
	}},
}

func tripUserName(i int) string { return fmt.Sprintf("trip-%03d@acme.example", i) }

func userBody(e *env, i int, family string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"trip-%d",
		"name":{"givenName":"Trip","familyName":"%s %d"},"displayName":"Trip %d","active":true,"title":%q,
		"emails":[{"value":%q,"type":"work","primary":true}]}`, tripUserName(i), i, family, i, i, family, tripUserName(i))
}

// TestRoundTripsPerRequest pins what each SCIM request of the load test
// costs the database, in round trips (PostgreSQL) or statements (SQLite),
// once the token and the statements are warm: a change that costs a
// request one more fails here.
func TestRoundTripsPerRequest(t *testing.T) {
	for _, store := range []struct {
		name string
		open func(t *testing.T, c *trips) directory.Store
		want func(tripRequest) int
	}{
		{"sqlite", countedSQLite, func(r tripRequest) int { return r.sqlite }},
		{"postgres", func(t *testing.T, c *trips) directory.Store { pgtest.BaseURL(t); return countedPostgres(t, c) }, func(r tripRequest) int { return r.postgres }},
	} {
		t.Run(store.name, func(t *testing.T) {
			t.Parallel()
			c := &trips{}
			// A clock that stands still keeps the token and the
			// organization cached however slowly the test runs.
			now := time.Now()
			e := newEnv(t, store.open(t, c), func(cfg *scim.Config) { cfg.Now = func() time.Time { return now } })
			g := e.createGroup("Trips")
			const warm, measured = 0, 1
			users := make([]string, 2)
			for _, r := range tripRequests {
				r.do(e, users, warm, g)
				c.reset()
				r.do(e, users, measured, g)
				n, seen := c.reset()
				t.Logf("%s: %d", r.name, n)
				if want := store.want(r); n > want {
					t.Errorf("%s costs %d round trips, want at most %d:\n\t%s", r.name, n, want, strings.Join(seen, "\n\t"))
				} else if n < want {
					t.Errorf("%s costs %d round trips, fewer than the %d pinned: lower the pin", r.name, n, want)
				}
			}
		})
	}
}
