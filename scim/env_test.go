package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/internal/store/sqlite"
	"github.com/roster/roster/scim"
)

// The endpoint tests drive the handler over HTTP, mounted as the server
// mounts it, against a real store: SQLite always, PostgreSQL when
// ROSTER_TEST_POSTGRES_URL is set (and required under CI=true).

const baseURL = "https://roster.test/scim/v2"

// forEachStore runs test against each backend.
func forEachStore(t *testing.T, test func(t *testing.T, newStore func(t *testing.T) directory.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, func(t *testing.T) directory.Store { return sqliteStore(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pgtest.BaseURL(t)
		test(t, postgresStore)
	})
}

func sqliteStore(t testing.TB) directory.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func postgresStore(t *testing.T) directory.Store {
	s, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// env is one SCIM endpoint with an organization and its token.
type env struct {
	t     testing.TB
	store *countingStore
	svc   *directory.Service
	h     http.Handler
	org   *directory.Org
	token string
}

var operator = directory.Actor{Kind: directory.ActorOperator, Name: "test"}

func newEnv(t testing.TB, store directory.Store, configure ...func(*scim.Config)) *env {
	t.Helper()
	cs := &countingStore{Store: store}
	svc := directory.NewService(cs, nil)
	cfg := scim.Config{Service: svc, BaseURL: baseURL, HashPassword: func(p string) (string, error) { return "hashed:" + p, nil }}
	for _, c := range configure {
		c(&cfg)
	}
	h, err := scim.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	e := &env{t: t, store: cs, svc: svc, h: mux}
	e.org, e.token = e.newOrg("acme")
	return e
}

// with returns the environment reporting to t (for subtests and fuzzing).
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// newOrg creates an organization and a SCIM token for it.
func (e *env) newOrg(slug string) (*directory.Org, string) {
	e.t.Helper()
	ctx := context.Background()
	org, err := e.svc.CreateOrg(ctx, operator, &directory.Org{
		Slug: slug, Name: slug,
		Domains: []directory.Domain{{Name: slug + ".example", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}},
		UserProperties: []directory.PropertyDef{
			{Key: "costCode", Label: "Cost code", Type: directory.PropertyString},
			{Key: "floor", Label: "Floor", Type: directory.PropertyNumber},
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	token, _, err := e.svc.CreateToken(ctx, operator, org.ID, slug+" provisioning")
	if err != nil {
		e.t.Fatal(err)
	}
	return org, token
}

// response is an HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object.
func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// call sends a request with the environment's token. hdr holds header
// name/value pairs.
func (e *env) call(method, path, body string, hdr ...string) *response {
	return e.callAs(e.token, method, path, body, hdr...)
}

func (e *env) callAs(token, method, path, body string, hdr ...string) *response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "/scim/v2"+path, rd)
	req.Header.Set("Content-Type", "application/scim+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if len(res.body) > 0 && res.header.Get("Content-Type") != "application/scim+json" {
		e.t.Errorf("%s %s: Content-Type = %q, want application/scim+json", method, path, res.header.Get("Content-Type"))
	}
	if res.status >= 500 {
		e.t.Errorf("%s %s: %d %s", method, path, res.status, res.body)
	}
	return res
}

// must checks the status and returns the body as an object (nil for an
// empty body).
func (e *env) must(res *response, status int) map[string]any {
	e.t.Helper()
	if res.status != status {
		e.t.Fatalf("status = %d, want %d\n%s", res.status, status, res.body)
	}
	if len(res.body) == 0 {
		return nil
	}
	return res.json(e.t)
}

// createUser creates a user over SCIM and returns its id.
func (e *env) createUser(userName string, extra ...string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q%s}`, userName, strings.Join(extra, ""))
	return e.must(e.call("POST", "/Users", body), http.StatusCreated)["id"].(string)
}

func (e *env) createGroup(name string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q}`, name)
	return e.must(e.call("POST", "/Groups", body), http.StatusCreated)["id"].(string)
}

// patchOp wraps operations in a PatchOp message.
func patchOp(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// scimError checks that a response is an RFC 7644 error.
func scimError(t *testing.T, res *response, status int, scimType string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d\n%s", res.status, status, res.body)
	}
	m := res.json(t)
	schemas, _ := m["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("schemas = %v, want the Error schema", m["schemas"])
	}
	if m["status"] != fmt.Sprint(status) {
		t.Errorf("status attribute = %#v, want the string %q", m["status"], fmt.Sprint(status))
	}
	if got, _ := m["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q", got, scimType)
	}
}

// contains reports where got lacks something want has: objects must have
// want's keys (recursively), lists must have an element containing each of
// want's elements, and want's empty strings also match absent values
// (Roster leaves empty attributes out).
func contains(got, want any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var diffs []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if wv == "" {
					continue
				}
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing, want %v", path, k, wv))
				continue
			}
			diffs = append(diffs, contains(gv, wv, path+"."+k)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want a list", path, got)}
		}
		var diffs []string
		for i, wv := range w {
			found := false
			for _, gv := range g {
				if len(contains(gv, wv, "")) == 0 {
					found = true
					break
				}
			}
			if !found {
				diffs = append(diffs, fmt.Sprintf("%s[%d]: no element contains %v (got %v)", path, i, wv, got))
			}
		}
		return diffs
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}

// checkContains fails t if got lacks what the documented JSON has, after
// dropping the documented paths in ignore (values the server assigns).
func checkContains(t *testing.T, got map[string]any, documented string, ignore ...string) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal([]byte(documented), &want); err != nil {
		t.Fatalf("documented JSON: %v", err)
	}
	for _, p := range ignore {
		drop(want, strings.Split(p, "."))
	}
	for _, d := range contains(got, want, "$") {
		t.Error(d)
	}
}

func drop(m map[string]any, path []string) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	switch v := m[path[0]].(type) {
	case map[string]any:
		drop(v, path[1:])
	case []any:
		for _, el := range v {
			if em, ok := el.(map[string]any); ok {
				drop(em, path[1:])
			}
		}
	}
}

// countingStore counts the reads of group members, the counts of users
// and the users that pages of users skip (OFFSET walks), so that tests can
// check which requests make them.
type countingStore struct {
	directory.Store
	memberReads  atomic.Int64
	userCounts   atomic.Int64
	usersSkipped atomic.Int64
}

func (s *countingStore) Groups() directory.GroupStore { return countingGroups{s.Store.Groups(), s} }

func (s *countingStore) Users() directory.UserStore { return countingUsers{s.Store.Users(), s} }

type countingUsers struct {
	directory.UserStore
	s *countingStore
}

func (u countingUsers) ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error) {
	if q.CountTotal {
		u.s.userCounts.Add(1)
	}
	if q.After == "" {
		u.s.usersSkipped.Add(int64(q.Offset))
	} else {
		u.s.usersSkipped.Add(int64(q.AfterOffset))
	}
	return u.UserStore.ListUsers(ctx, orgID, q)
}

func (s *countingStore) InTx(ctx context.Context, fn func(directory.Repos) error) error {
	return s.Store.InTx(ctx, func(r directory.Repos) error { return fn(countingRepos{r, s}) })
}

// Batch lets the service share transactions among the operations of a
// bulk request, as the store it wraps can.
func (s *countingStore) Batch(ctx context.Context) (context.Context, directory.Batch, error) {
	if b, ok := s.Store.(directory.Batcher); ok {
		return b.Batch(ctx)
	}
	return ctx, nil, errors.New("the store has no batches")
}

type countingRepos struct {
	directory.Repos
	s *countingStore
}

func (r countingRepos) Groups() directory.GroupStore { return countingGroups{r.Repos.Groups(), r.s} }

type countingGroups struct {
	directory.GroupStore
	s *countingStore
}

func (g countingGroups) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) (*directory.MemberPage, error) {
	g.s.memberReads.Add(1)
	return g.GroupStore.ListMembers(ctx, orgID, groupID, after, limit)
}
