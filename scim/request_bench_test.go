package scim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// BenchmarkRequests measures the SCIM requests identity providers make most,
// through the handler as the server mounts it, on each store: time and
// allocations per request, the store's included (one client, so the
// figures are per request, not throughput). The response is counted and
// dropped unread, so that the figures are the server's, not those of a
// client decoding the answer. Run with
//
//	go test -run '^$' -bench BenchmarkRequests -benchmem ./scim
//
// with ROSTER_TEST_POSTGRES_URL set for the PostgreSQL half.
func BenchmarkRequests(b *testing.B) {
	for _, store := range []struct {
		name string
		open func(b *testing.B) directory.Store
	}{
		{"sqlite", func(b *testing.B) directory.Store { return sqliteStore(b) }},
		{"postgres", func(b *testing.B) directory.Store {
			s, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	} {
		b.Run(store.name, func(b *testing.B) {
			e := newEnv(b, store.open(b))
			// A few users to read and patch, created before the clock runs.
			const users = 64
			ids := make([]string, users)
			for i := range ids {
				ids[i] = e.must(e.call("POST", "/Users", benchUserBody(i)), http.StatusCreated)["id"].(string)
			}
			b.Run("get", func(b *testing.B) {
				e, i := e.with(b), 0
				for b.Loop() {
					e.serve(b, "GET", "/Users/"+ids[i%users], "", http.StatusOK)
					i++
				}
			})
			b.Run("filter", func(b *testing.B) {
				e, i := e.with(b), 0
				for b.Loop() {
					q := url.QueryEscape(fmt.Sprintf("userName eq %q", benchUserName(i%users)))
					e.serve(b, "GET", "/Users?filter="+q, "", http.StatusOK)
					i++
				}
			})
			b.Run("patch", func(b *testing.B) {
				e, i := e.with(b), 0
				for b.Loop() {
					body := patchOp(`{"op":"Replace","path":"title","value":"Patched"}`,
						fmt.Sprintf(`{"op":"Replace","path":"name.familyName","value":"Patched %d"}`, i))
					e.serve(b, "PATCH", "/Users/"+ids[i%users], body, http.StatusOK)
					i++
				}
			})
			b.Run("create", func(b *testing.B) {
				e, i := e.with(b), users
				for b.Loop() {
					e.serve(b, "POST", "/Users", benchUserBody(i), http.StatusCreated)
					i++
				}
			})
			// Entitlements that are service keys: crm without a seat
			// limit, wiki with one (its seats are counted on each
			// assignment). Each patch gives or takes wiki.
			for _, sv := range []*directory.OrgService{{Key: "crm"}, {Key: "wiki", SeatLimit: new(1_000_000)}} {
				if _, err := e.svc.CreateService(context.Background(), operator, e.org.ID, sv); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("create-entitlements", func(b *testing.B) {
				e, i := e.with(b), 1_000_000
				for b.Loop() {
					body := strings.TrimSuffix(benchUserBody(i), "}") + `,"entitlements":[{"value":"crm"},{"value":"wiki"}]}`
					e.serve(b, "POST", "/Users", body, http.StatusCreated)
					i++
				}
			})
			b.Run("patch-entitlements", func(b *testing.B) {
				e, i := e.with(b), 0
				for b.Loop() {
					value := `[{"value":"crm"},{"value":"wiki"}]`
					if (i/users)%2 == 1 {
						value = `[{"value":"crm"}]`
					}
					e.serve(b, "PATCH", "/Users/"+ids[i%users], patchOp(`{"op":"Replace","path":"entitlements","value":`+value+`}`), http.StatusOK)
					i++
				}
			})
		})
	}
}

func benchUserName(i int) string { return fmt.Sprintf("bench-%07d@acme.example", i) }

func benchUserBody(i int) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"bench-%d",
		"name":{"givenName":"Bench","familyName":"User %d"},"displayName":"Bench User %d","active":true,
		"emails":[{"value":%q,"type":"work","primary":true}]}`, benchUserName(i), i, i, i, benchUserName(i))
}

// serve makes one request through the handler and checks its status,
// dropping the response unread.
func (e *env) serve(b *testing.B, method, path, body string, want int) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "/scim/v2"+path, rd)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	w := &discardWriter{header: http.Header{}}
	e.h.ServeHTTP(w, req)
	if w.status != want || w.n == 0 {
		b.Fatalf("%s %s: status %d, %d bytes, want %d with a body", method, path, w.status, w.n, want)
	}
}
