package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
	"github.com/roster/roster/scim"
)

// BenchmarkBigGroup measures the requests Entra and Okta make on a big
// group, on each store: one group of ROSTER_BENCH_BIG_GROUP members (say
// 100000; unset, the benchmark is skipped, as seeding takes minutes) and a
// thousand more users to add and remove. Run with
//
//	ROSTER_BENCH_BIG_GROUP=100000 go test -run '^$' -bench BenchmarkBigGroup -benchmem -benchtime 20x ./scim
//
// with ROSTER_TEST_POSTGRES_URL set for the PostgreSQL half. Comparing a
// small size with a big one shows what costs time in the group's size.
func BenchmarkBigGroup(b *testing.B) {
	size, _ := strconv.Atoi(os.Getenv("ROSTER_BENCH_BIG_GROUP"))
	if size <= 0 {
		b.Skip("set ROSTER_BENCH_BIG_GROUP to the group's size (say 100000)")
	}
	for _, store := range []struct {
		name string
		open func(b *testing.B) directory.Store
	}{
		{"sqlite", func(b *testing.B) directory.Store { return sqliteStore(b) }},
		{"postgres", func(b *testing.B) directory.Store {
			if os.Getenv("ROSTER_TEST_POSTGRES_URL") == "" {
				b.Skip("ROSTER_TEST_POSTGRES_URL not set")
			}
			s, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	} {
		b.Run(store.name, func(b *testing.B) {
			// A PUT of 100,000 members is about 5 MB.
			e := newEnv(b, store.open(b), func(c *scim.Config) { c.MaxBodyBytes = 64 << 20 })
			members, spare := seedBigGroup(b, e, size)
			gid := e.must(e.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone"}`), http.StatusCreated)["id"].(string)
			for from := 0; from < size; from += 10000 {
				if _, err := e.svc.UpdateGroup(b.Context(), operator, e.org.ID, gid, directory.GroupChange{Add: members[from:min(from+10000, size)]}); err != nil {
					b.Fatal(err)
				}
			}
			// A server refreshes the planner statistics after a bulk write
			// (directory's statistics refresher); the test's counting store
			// hides the Analyze method, so the benchmark asks itself.
			if a, ok := e.store.Store.(directory.Analyzer); ok {
				if err := a.Analyze(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			path := "/Groups/" + gid
			patch := func(op string, ids []string) string {
				return patchOp(`{"op":"` + op + `","path":"members","value":` + memberList(ids) + `}`)
			}

			b.Run("patch-one", func(b *testing.B) {
				e, i := e.with(b), 0
				for b.Loop() {
					op := "add"
					if i%2 == 1 {
						op = "remove"
					}
					e.must(e.call("PATCH", path, patch(op, spare[i/2%len(spare):i/2%len(spare)+1])), http.StatusNoContent)
					i++
				}
			})
			for _, op := range []string{"add", "remove"} {
				b.Run("patch-"+op+"-1000", func(b *testing.B) {
					e := e.with(b)
					undo := map[string]string{"add": "remove", "remove": "add"}[op]
					if op == "remove" {
						e.must(e.call("PATCH", path, patch("add", spare)), http.StatusNoContent)
					}
					do, back := patch(op, spare), patch(undo, spare)
					for i := 0; i < b.N; i++ {
						e.must(e.call("PATCH", path, do), http.StatusNoContent)
						b.StopTimer()
						e.must(e.call("PATCH", path, back), http.StatusNoContent)
						b.StartTimer()
					}
					if op == "remove" {
						e.must(e.call("PATCH", path, patch("remove", spare)), http.StatusNoContent)
					}
				})
			}
			b.Run("get-excluding-members", func(b *testing.B) {
				e := e.with(b)
				for b.Loop() {
					e.must(e.call("GET", path+"?excludedAttributes=members", ""), http.StatusOK)
				}
			})
			b.Run("get-with-members", func(b *testing.B) {
				// The response is counted and dropped, so that the bytes
				// allocated are the server's, not a recorder's copy.
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, "/scim/v2"+path, nil)
					req.Header.Set("Authorization", "Bearer "+e.token)
					w := &discardWriter{header: http.Header{}}
					e.h.ServeHTTP(w, req)
					if w.status != http.StatusOK || string(w.tail[1:]) != "]}" || w.n < int64(size)*60 {
						b.Fatalf("GET with members: %d, %d bytes ending %q", w.status, w.n, w.tail)
					}
				}
			})
			b.Run("put-replace-members", func(b *testing.B) {
				// Alternately the members, and the members less a thousand
				// plus the spare thousand: 2,000 rows change each time.
				e, i := e.with(b), 0
				lists := [2]string{memberList(append(members[len(spare):len(members):len(members)], spare...)), memberList(members)}
				for b.Loop() {
					e.must(e.call("PUT", path+"?excludedAttributes=members",
						`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone","members":`+lists[i%2]+`}`), http.StatusOK)
					i++
				}
				if i%2 == 1 {
					e.must(e.call("PUT", path+"?excludedAttributes=members",
						`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone","members":`+lists[1]+`}`), http.StatusOK)
				}
			})
			b.Run("bulk-1000", func(b *testing.B) {
				// A thousand operations, each adding or removing one member
				// of the big group, as Okta pushes group changes.
				e, i := e.with(b), 0
				for b.Loop() {
					op := "add"
					if i%2 == 1 {
						op = "remove"
					}
					var ops []string
					for _, id := range spare {
						ops = append(ops, `{"method":"PATCH","path":"`+path+`","data":`+patch(op, []string{id})+`}`)
					}
					res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(ops, ",")+`]}`), http.StatusOK)
					for _, r := range res["Operations"].([]any) {
						if s := r.(map[string]any)["status"]; s != "204" && s != "200" {
							b.Fatalf("bulk operation: %v", r)
						}
					}
					i++
				}
			})
		})
	}
}

// seedBigGroup creates size users to be members and a thousand spare ones,
// through the import (a thousand users a transaction).
func seedBigGroup(b *testing.B, e *env, size int) (members, spare []string) {
	b.Helper()
	total := size + 1000
	ids := make([]string, 0, total)
	for from := 0; from < total; from += directory.MaxImportBatch {
		rows := make([]directory.ImportRow, 0, directory.MaxImportBatch)
		for i := from; i < min(from+directory.MaxImportBatch, total); i++ {
			name := fmt.Sprintf("big-%07d@acme.example", i)
			rows = append(rows, directory.ImportRow{UserName: name, Create: &directory.User{
				UserName: name, DisplayName: fmt.Sprintf("Big %d", i), Source: directory.SourceSCIM}})
		}
		res, err := e.svc.ImportUsers(b.Context(), operator, e.org.ID, rows)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			ids = append(ids, r.User.ID)
		}
	}
	return ids[:size], ids[size:]
}

// discardWriter is a ResponseWriter that keeps the status, the length and
// the last three bytes of the body.
type discardWriter struct {
	header http.Header
	status int
	n      int64
	tail   [3]byte
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += int64(len(p))
	for _, c := range p[max(0, len(p)-3):] {
		w.tail = [3]byte{w.tail[1], w.tail[2], c}
	}
	return len(p), nil
}

func memberList(ids []string) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"value":"` + id + `"}`)
	}
	sb.WriteByte(']')
	return sb.String()
}
