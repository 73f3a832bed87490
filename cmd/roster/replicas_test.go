package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// call is one HTTP request that a goroutine may make: it reports errors
// instead of failing the test.
func call(method, url, token, contentType, ifMatch string, body any) (code int, header http.Header, out []byte, err error) {
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, in)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out, err
}

const scimJSON = "application/scim+json"

// TestThreeReplicasOnOnePostgres runs three `roster serve` processes on one
// PostgreSQL database, as replicas behind a load balancer are, and sends
// traffic through all of them: what one replica does, the others see.
func TestThreeReplicasOnOnePostgres(t *testing.T) {
	c := newPostgresCLI(t)
	c.env["ROSTER_SCIM_RATE_LIMIT_REQUESTS_PER_SECOND"] = "0"
	// The login budget of the whole deployment: 30 at once, then one a
	// second, whatever the number of replicas.
	c.env["ROSTER_AUTH_RATE_LIMIT_REQUESTS_PER_SECOND"] = "1"
	c.env["ROSTER_AUTH_RATE_LIMIT_BURST"] = "30"

	// The first replica sets the database up; the others join it.
	reps := []*running{c.startServe()}
	token := capture(t, `SCIM token:\s+(\S+)`, reps[0].stdout.String())
	reps = append(reps, c.startServe(), c.startServe())
	for i, r := range reps {
		eventually(t, fmt.Sprintf("replica %d to count three replicas", i), 15*time.Second, func() bool {
			_, body := r.get(t, "/metrics")
			return strings.Contains(body, "roster_replicas_live 3")
		})
	}
	rep := func(i int) string { return reps[i%len(reps)].base }

	t.Run("concurrent creates of one userName give one 201", func(t *testing.T) {
		var created, conflicts atomic.Int64
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				code, _, body, err := call(http.MethodPost, rep(i)+"/scim/v2/Users", token, scimJSON, "",
					map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "jdoe", "active": true})
				switch {
				case err != nil:
					t.Errorf("POST: %v", err)
				case code == http.StatusCreated:
					created.Add(1)
				case code == http.StatusConflict:
					conflicts.Add(1)
				default:
					t.Errorf("POST = %d %s", code, body)
				}
			})
		}
		wg.Wait()
		if created.Load() != 1 || conflicts.Load() != 11 {
			t.Errorf("%d created, %d conflicts; want 1 and 11", created.Load(), conflicts.Load())
		}
	})

	t.Run("concurrent If-Match updates lose nothing", func(t *testing.T) {
		code, _, body, err := call(http.MethodPost, rep(0)+"/scim/v2/Users", token, scimJSON, "",
			map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "counter", "title": "0"})
		var u struct{ ID string }
		if err != nil || code != http.StatusCreated || json.Unmarshal(body, &u) != nil {
			t.Fatalf("POST counter = %d %s %v", code, body, err)
		}
		// Each worker adds one to the title, read-modify-write under
		// If-Match, retrying when another replica wrote first.
		const workers, each = 6, 5
		var wg sync.WaitGroup
		var stale atomic.Int64
		for w := range workers {
			wg.Go(func() {
				for k := 0; k < each; {
					base := rep(w + k)
					code, h, body, err := call(http.MethodGet, base+"/scim/v2/Users/"+u.ID, token, "", "", nil)
					var got struct{ Title string }
					if err != nil || code != http.StatusOK || json.Unmarshal(body, &got) != nil {
						t.Errorf("GET = %d %s %v", code, body, err)
						return
					}
					n, _ := strconv.Atoi(got.Title)
					code, _, body, err = call(http.MethodPatch, rep(w+k+1)+"/scim/v2/Users/"+u.ID, token, scimJSON, h.Get("ETag"), map[string]any{
						"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
						"Operations": []map[string]any{{"op": "replace", "path": "title", "value": strconv.Itoa(n + 1)}},
					})
					switch {
					case err != nil:
						t.Errorf("PATCH: %v", err)
						return
					case code == http.StatusOK || code == http.StatusNoContent:
						k++
					case code == http.StatusPreconditionFailed:
						stale.Add(1)
					default:
						t.Errorf("PATCH = %d %s", code, body)
						return
					}
				}
			})
		}
		wg.Wait()
		_, _, body, _ = call(http.MethodGet, rep(2)+"/scim/v2/Users/"+u.ID, token, "", "", nil)
		var got struct{ Title string }
		if err := json.Unmarshal(body, &got); err != nil || got.Title != strconv.Itoa(workers*each) {
			t.Errorf("after %d acknowledged updates the title is %q (%d refused as stale)", workers*each, got.Title, stale.Load())
		}
		t.Logf("%d updates acknowledged, %d refused as stale and retried", workers*each, stale.Load())
	})

	t.Run("a session made on one replica works on the others", func(t *testing.T) {
		s := reps[0].login(t, "admin@example.com", "correct horse battery")
		for i := range reps {
			if code, body := reps[i].getWithToken(t, "/api/v1/me", s.Token); code != http.StatusOK {
				t.Errorf("replica %d: GET /api/v1/me = %d %s", i, code, body)
			}
		}
		if code, body := reps[1].do(t, http.MethodPost, "/api/v1/auth/logout", s.Token, nil); code != http.StatusNoContent {
			t.Fatalf("logout = %d %s", code, body)
		}
		for i := range reps {
			if code, _ := reps[i].getWithToken(t, "/api/v1/me", s.Token); code != http.StatusUnauthorized {
				t.Errorf("replica %d accepts a session ended on another: %d", i, code)
			}
		}
	})

	t.Run("lockout counts wrong passwords across replicas", func(t *testing.T) {
		c.mustRun("user", "create", "--org", "default", "--email", "eve@example.com", "--role", "user", "--password", "Eve-Secret-2026")
		for i := range 10 {
			code, _, body, err := call(http.MethodPost, rep(i)+"/api/v1/auth/login", "", "application/json", "",
				map[string]string{"email": "eve@example.com", "password": "wrong guess"})
			if err != nil || code != http.StatusUnauthorized {
				t.Fatalf("wrong password %d = %d %s %v", i+1, code, body, err)
			}
		}
		u, err := findUser(context.Background(), c.service(), "eve@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != directory.StatusLocked {
			t.Fatalf("after 10 wrong passwords over three replicas eve is %s, want locked", u.Status)
		}
		for i := range reps {
			if code, _, body, _ := call(http.MethodPost, rep(i)+"/api/v1/auth/login", "", "application/json", "",
				map[string]string{"email": "eve@example.com", "password": "Eve-Secret-2026"}); code == http.StatusOK {
				t.Errorf("replica %d let a locked user in: %s", i, body)
			}
		}
	})

	t.Run("the login rate limit holds for all replicas together", func(t *testing.T) {
		start := time.Now()
		allowed, limited := 0, 0
		for i := range 45 {
			code, h, body, err := call(http.MethodPost, rep(i)+"/api/v1/auth/login", "", "application/json", "",
				map[string]string{"email": "nobody@example.com", "password": "wrong"})
			switch {
			case err != nil:
				t.Fatal(err)
			case code == http.StatusTooManyRequests:
				limited++
				if h.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After: %s", body)
				}
			default:
				allowed++
			}
		}
		// 30 at once for the deployment, less the 14 logins the subtests
		// above made from this address, plus one a second since; with a
		// budget per process, all 45 would have passed.
		budget := 30 - 14 + int(time.Since(start).Seconds()) + 2
		if allowed > budget || limited == 0 {
			t.Errorf("%d login attempts allowed, %d limited; the deployment's budget is %d", allowed, limited, budget)
		}
		t.Logf("%d allowed, %d limited in %v", allowed, limited, time.Since(start).Round(time.Millisecond))
	})
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
