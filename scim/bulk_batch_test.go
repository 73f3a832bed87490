package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/scim"
)

func bulkStatuses(t *testing.T, res map[string]any) string {
	t.Helper()
	var statuses []string
	for _, op := range res["Operations"].([]any) {
		statuses = append(statuses, op.(map[string]any)["status"].(string))
	}
	return strings.Join(statuses, " ")
}

func countUsers(t *testing.T, e *env, userName string) float64 {
	t.Helper()
	res := e.must(e.call("GET", `/Users?filter=userName%20eq%20%22`+userName+`%22`, ""), http.StatusOK)
	return res["totalResults"].(float64)
}

// TestBulkSharedTransaction checks that operations sharing a transaction
// keep their own outcomes: a failed one undoes its writes only, and later
// ones see what earlier ones wrote.
func TestBulkSharedTransaction(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"shared-a@acme.example"}},
			{"method":"POST","path":"/Users","bulkId":"dup","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"shared-a@acme.example"}},
			{"method":"PATCH","path":"/Users/bulkId:a","data":`+patchOp(`{"op":"replace","path":"title","value":"Lead"}`)+`},
			{"method":"PATCH","path":"/Users/bulkId:a","data":`+patchOp(`{"op":"replace","path":"userName","value":""}`)+`},
			{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
				"displayName":"Shared","members":[{"value":"bulkId:a"}]}},
			{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"shared-b@acme.example"}},
			{"method":"DELETE","path":"/Users/bulkId:b"}]}`), http.StatusOK)
		if got, want := bulkStatuses(t, res), "201 409 200 400 201 201 204"; got != want {
			t.Fatalf("statuses %s, want %s: %v", got, want, res)
		}
		ops := res["Operations"].([]any)
		loc := func(i int) string {
			l := ops[i].(map[string]any)["location"].(string)
			return l[strings.LastIndex(l, "/")+1:]
		}
		// What succeeded was committed; the failed PATCH left the title
		// the PATCH before it wrote.
		user := e.must(e.call("GET", "/Users/"+loc(0), ""), http.StatusOK)
		checkContains(t, user, `{"userName":"shared-a@acme.example","title":"Lead","meta":{"version":"W/\"2\""}}`)
		checkMembers(t, e, loc(4), loc(0))
		if n := countUsers(t, e, "shared-a@acme.example"); n != 1 {
			t.Errorf("%v users named shared-a, want 1", n)
		}
		if n := countUsers(t, e, "shared-b@acme.example"); n != 0 {
			t.Errorf("%v users named shared-b, want 0 (deleted)", n)
		}
	})
}

// failingCommits is the directory service with shared transactions that
// fail to commit, as on a full disk.
type failingCommits struct{ *directory.Service }

func (f failingCommits) Batch(ctx context.Context) (context.Context, directory.Batch, error) {
	ctx, b, err := f.Service.Batch(ctx)
	return ctx, failingBatch{b}, err
}

type failingBatch struct{ directory.Batch }

func (b failingBatch) Commit() error {
	b.Rollback()
	return directory.Internal(errors.New("disk full"))
}

// TestBulkFailedCommit checks that when a shared transaction fails to
// commit, the operations it held report the failure and none took effect.
func TestBulkFailedCommit(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t), func(c *scim.Config) { c.Service = failingCommits{c.Service.(*directory.Service)} })
		res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","path":"/Users","bulkId":"x","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"lost@acme.example"}},
			{"method":"PATCH","path":"/Users/bulkId:x","data":`+patchOp(`{"op":"replace","path":"userName","value":""}`)+`},
			{"method":"PATCH","path":"/Users/bulkId:x","data":`+patchOp(`{"op":"replace","path":"title","value":"Lead"}`)+`}]}`), http.StatusOK)
		if got, want := bulkStatuses(t, res), "500 400 500"; got != want {
			t.Fatalf("statuses %s, want %s: %v", got, want, res)
		}
		if body := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`), http.StatusOK); body == nil {
			t.Fatal("an empty bulk has no answer")
		}
		if first := res["Operations"].([]any)[0].(map[string]any); strings.Contains(fmt.Sprint(first), "disk full") {
			t.Errorf("the internal error reached the client: %v", first)
		}
		if n := countUsers(t, e, "lost@acme.example"); n != 0 {
			t.Errorf("%v users named lost after a failed commit, want 0", n)
		}
		// The store is free for other writes.
		e.createUser("after@acme.example")
	})
}

// TestBulkAcrossBatches runs more operations than share one transaction:
// they run in order across the commits between them.
func TestBulkAcrossBatches(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		id := e.createUser("batches@acme.example")
		const n = 252 // one shared transaction holds at most 250
		ops := make([]string, n)
		for i := range ops {
			ops[i] = fmt.Sprintf(`{"method":"PATCH","path":"/Users/%s","data":%s}`, id, patchOp(fmt.Sprintf(`{"op":"replace","path":"title","value":"T%d"}`, i)))
		}
		res := e.must(e.call("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(ops, ",")+`]}`), http.StatusOK)
		if got := bulkStatuses(t, res); got != strings.TrimSpace(strings.Repeat("200 ", n)) {
			t.Fatalf("statuses %s", got)
		}
		checkContains(t, e.must(e.call("GET", "/Users/"+id, ""), http.StatusOK), fmt.Sprintf(`{"title":"T%d","meta":{"version":"W/\"%d\""}}`, n-1, n+1))
	})
}
