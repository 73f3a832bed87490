package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/scim"
)

func TestAuthentication(t *testing.T) {
	clock := newClock()
	e := newEnv(t, sqliteStore(t), func(c *scim.Config) { c.Now = clock.now })
	for name, token := range map[string]string{
		"no token":        "",
		"a garbage token": "not-a-token",
		"an unknown token": "rst_0190000000007000800000000000000a_" +
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		t.Run(name+" is refused with a Bearer challenge", func(t *testing.T) {
			res := e.callAs(token, "GET", "/Users", "")
			scimError(t, res, http.StatusUnauthorized, "")
			if h := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
			}
		})
	}
	t.Run("a revoked token is refused within a second", func(t *testing.T) {
		e.must(e.call("GET", "/Users", ""), http.StatusOK)
		tok, err := e.svc.AuthenticateToken(t.Context(), directory.TokenSCIM, e.token)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeToken(t.Context(), operator, e.org.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		// Trusted from the cache for up to a second, then refused.
		e.must(e.call("GET", "/Users", ""), http.StatusOK)
		clock.advance(time.Second)
		res := e.call("GET", "/Users", "")
		scimError(t, res, http.StatusUnauthorized, "")
		if h := res.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate = %q, want error=\"invalid_token\"", h)
		}
	})
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestWritesAreAuditedAsTheToken(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	id := e.createUser("audited@acme.example")
	e.must(e.call("PATCH", "/Users/"+id, patchOp(`{"op":"replace","path":"title","value":"CFO"}`), "X-Request-Id", "req-42"), http.StatusOK)
	tok, err := e.svc.AuthenticateToken(t.Context(), directory.TokenSCIM, e.token)
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.svc.ListAudit(t.Context(), e.org.ID, directory.AuditQuery{TargetID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 {
		t.Fatalf("got %d audit events for the user, want create and update", len(page.Events))
	}
	for _, ev := range page.Events {
		if ev.ActorKind != directory.ActorToken || ev.ActorID != tok.ID {
			t.Errorf("%s by %s %s, want the token %s", ev.Action, ev.ActorKind, ev.ActorID, tok.ID)
		}
	}
	if update := page.Events[0]; update.Action != "user.update" || update.RequestID != "req-42" || update.Changes["title"].After != "CFO" {
		t.Errorf("newest event = %s (request %q, changes %v), want the title update of req-42", update.Action, update.RequestID, update.Changes)
	}
}

func TestRateLimit(t *testing.T) {
	clock := newClock()
	e := newEnv(t, sqliteStore(t), func(c *scim.Config) { c.RateLimit, c.RateBurst, c.Now = 1, 2, clock.now })
	_, otherToken := e.newOrg("globex")

	e.must(e.call("GET", "/Users", ""), http.StatusOK)
	e.must(e.call("GET", "/Users", ""), http.StatusOK)
	res := e.call("GET", "/Users", "")
	scimError(t, res, http.StatusTooManyRequests, "")
	if got := res.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	// Each token has its own budget.
	if res := e.callAs(otherToken, "GET", "/Users", ""); res.status != http.StatusOK {
		t.Errorf("another token got %d, want 200", res.status)
	}
	clock.advance(time.Second)
	e.must(e.call("GET", "/Users", ""), http.StatusOK)
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, sqliteStore(t), func(c *scim.Config) { c.MaxBodyBytes = 512 })
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big@acme.example","displayName":"` + strings.Repeat("x", 600) + `"}`
	for _, method := range []string{"POST", "PUT", "PATCH"} {
		path := "/Users"
		if method != "POST" {
			path += "/01900000-0000-7000-8000-000000000000"
		}
		scimError(t, e.call(method, path, big), http.StatusRequestEntityTooLarge, "")
	}
	scimError(t, e.call("POST", "/Bulk", big), http.StatusRequestEntityTooLarge, "")
	e.createUser("small@acme.example")
}

func TestAttributesGivenTwiceAreRefused(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	id := e.createUser("twice@acme.example")
	const user = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	for _, tc := range []struct {
		name, method, path, body, key string
	}{
		{"a create", "POST", "/Users", `{` + user + `,"userName":"a@acme.example","userName":"b@acme.example"}`, "userName"},
		{"a create, in another case", "POST", "/Users", `{` + user + `,"userName":"a@acme.example","USERNAME":"b@acme.example"}`, "USERNAME"},
		{"a nested attribute", "POST", "/Users", `{` + user + `,"userName":"a@acme.example","name":{"givenName":"A","givenName":"B"}}`, "name.givenName"},
		{"a replacement", "PUT", "/Users/" + id, `{` + user + `,"userName":"twice@acme.example","active":true,"active":false}`, "active"},
		{"a patch", "PATCH", "/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","op":"remove","path":"active","value":false}]}`, "Operations[0].op"},
		{"a patch value", "PATCH", "/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false,"Active":true}}]}`, "Operations[0].value.Active"},
		{"a group", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A","displayName":"B"}`, "displayName"},
		{"a bulk operation", "POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","path":"/Users","bulkId":"u1","data":{` + user + `,"userName":"c@acme.example","userName":"d@acme.example"}}]}`, "Operations[0].data.userName"},
		{"a search", "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"x\"","filter":"true"}`, "filter"},
	} {
		t.Run(tc.name+" is refused naming the attribute", func(t *testing.T) {
			res := e.call(tc.method, tc.path, tc.body)
			scimError(t, res, http.StatusBadRequest, "invalidSyntax")
			if detail, _ := res.json(t)["detail"].(string); !strings.Contains(detail, `"`+tc.key+`"`) {
				t.Errorf("detail = %q, want it to name %q", detail, tc.key)
			}
		})
	}
	// Nothing was applied.
	got := e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK)
	if got["active"] != true {
		t.Errorf("the refused replacement or patch changed the user: %v", got)
	}
	list := e.must(e.call("GET", "/Users", ""), http.StatusOK)
	if list["totalResults"] != float64(1) {
		t.Errorf("a refused create applied: %v", list)
	}
	// The same attribute in separate objects is no duplicate.
	e.createUser("fine@acme.example", `,"emails":[{"value":"a@acme.example","primary":true},{"value":"b@acme.example"}]`)
}

func TestNewHandlerChecksItsConfig(t *testing.T) {
	svc := directory.NewService(sqliteStore(t), nil)
	for name, cfg := range map[string]scim.Config{
		"no service":        {BaseURL: baseURL},
		"a relative URL":    {Service: svc, BaseURL: "/scim/v2"},
		"a negative limit":  {Service: svc, BaseURL: baseURL, RateLimit: -1},
		"a negative budget": {Service: svc, BaseURL: baseURL, MaxBodyBytes: -1},
	} {
		if _, err := scim.NewHandler(cfg); err == nil {
			t.Errorf("NewHandler with %s succeeded, want an error", name)
		}
	}
}

// panickyStore panics when users are listed.
type panickyStore struct{ directory.Store }

func (s panickyStore) Users() directory.UserStore { return panickyUsers{s.Store.Users()} }

type panickyUsers struct{ directory.UserStore }

func (panickyUsers) ListUsers(context.Context, string, directory.UserQuery) (*directory.UserPage, error) {
	panic("store bug")
}

func TestPanicsAnswer500(t *testing.T) {
	e := newEnv(t, panickyStore{sqliteStore(t)})
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	scimError(t, res, http.StatusInternalServerError, "")
	if strings.Contains(rec.Body.String(), "store bug") {
		t.Errorf("the 500 leaks the panic: %s", rec.Body.String())
	}
}
