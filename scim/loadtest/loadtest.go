// Package loadtest drives a SCIM endpoint the way identity providers do and
// reports throughput and latency per phase. It creates N users, looks each
// up by filter, reads, patches and replaces it, lists them page by page (by
// startIndex as Okta does, then by RFC 9865 cursor, which is one request at
// a time), adds them to a group one PATCH at a time and deletes them, with
// Concurrency clients at once.
package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Options configures a run.
type Options struct {
	// URL is the SCIM base URL, e.g. http://localhost:8080/scim/v2.
	URL   string
	Token string
	// N is the number of users; Concurrency the number of clients.
	N           int
	Concurrency int
}

// Run runs every phase in order and writes a table of results to out. It
// fails if a phase cannot start (no users were created) or if any request
// failed; the table is written either way.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.N <= 0 || o.Concurrency <= 0 {
		return errors.New("loadtest: N and Concurrency must be positive")
	}
	if _, err := url.Parse(o.URL); err != nil || o.URL == "" {
		return fmt.Errorf("loadtest: bad URL %q", o.URL)
	}
	r := &runner{
		o:    o,
		base: strings.TrimRight(o.URL, "/"),
		run:  newRunTag(),
		ids:  make([]string, o.N),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: o.Concurrency, MaxIdleConnsPerHost: o.Concurrency, IdleConnTimeout: time.Minute,
		}},
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\trequests\terrors\treq/s\tp50\tp99\t\n")
	var failed int64
	for _, p := range r.phases() {
		res, err := r.phase(ctx, p)
		if err != nil {
			_ = tw.Flush()
			return err
		}
		failed += res.errors
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t\n", p.name, res.requests, res.errors,
			float64(res.requests)/res.elapsed.Seconds(), round(res.quantile(0.50)), round(res.quantile(0.99)))
		if res.firstError != "" {
			_ = tw.Flush()
			fmt.Fprintf(out, "  first %s error: %s\n", p.name, res.firstError)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("loadtest: %d requests failed", failed)
	}
	return nil
}

// newRunTag returns a random tag for one run's users and groups.
func newRunTag() string {
	var tag [4]byte
	_, _ = rand.Read(tag[:]) // never fails
	return hex.EncodeToString(tag[:])
}

type runner struct {
	o      Options
	base   string
	run    string // tags this run's users and group
	client *http.Client
	ids    []string // user ids by index, from the create phase
	group  string
	cursor string // the next page of the cursor listing
}

// phase is a set of requests: count of them, the i-th made by do.
type phase struct {
	name  string
	count func() int
	do    func(ctx context.Context, i int) error
	// before runs once, untimed, before the requests.
	before func(ctx context.Context) error
	// sequential requests run one at a time: each needs the last's answer.
	sequential bool
}

func (r *runner) phases() []phase {
	n := func() int { return r.o.N }
	pages := func() int { return (r.o.N + pageSize - 1) / pageSize }
	return []phase{
		{name: "create", count: n, do: r.create},
		{name: "lookup", count: n, do: r.lookup},
		{name: "get", count: n, do: r.get},
		{name: "patch", count: n, do: r.patch},
		{name: "put", count: n, do: r.put},
		{name: "list", count: pages, do: r.list},
		{name: "list (cursor)", count: pages, do: r.listCursor, sequential: true},
		{name: "add member", count: n, do: r.addMember, before: r.createGroup},
		{name: "delete", count: n, do: r.delete},
	}
}

const pageSize = 100

func (r *runner) userName(i int) string { return fmt.Sprintf("lt-%s-%07d@loadtest.example", r.run, i) }

func (r *runner) create(ctx context.Context, i int) error {
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"lt-%s-%d",
		"name":{"givenName":"Load","familyName":"Test %d"},"displayName":"Load Test %d","active":true,
		"emails":[{"value":%q,"type":"work","primary":true}]}`, r.userName(i), r.run, i, i, i, r.userName(i))
	var res struct{ ID string }
	if err := r.call(ctx, "POST", "/Users", body, http.StatusCreated, &res); err != nil {
		return err
	}
	r.ids[i] = res.ID
	return nil
}

func (r *runner) lookup(ctx context.Context, i int) error {
	var res struct{ TotalResults int }
	path := "/Users?filter=" + url.QueryEscape(fmt.Sprintf("userName eq %q", r.userName(i)))
	if err := r.call(ctx, "GET", path, "", http.StatusOK, &res); err != nil {
		return err
	}
	if res.TotalResults != 1 {
		return fmt.Errorf("lookup of %s found %d users", r.userName(i), res.TotalResults)
	}
	return nil
}

func (r *runner) get(ctx context.Context, i int) error {
	return r.call(ctx, "GET", "/Users/"+r.ids[i], "", http.StatusOK, nil)
}

func (r *runner) patch(ctx context.Context, i int) error {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"title","value":"Patched"},
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"` + r.userName(i) + `"},
		{"op":"Replace","path":"name.familyName","value":"Patched ` + fmt.Sprint(i) + `"}]}`
	return r.call(ctx, "PATCH", "/Users/"+r.ids[i], body, http.StatusOK, nil)
}

func (r *runner) put(ctx context.Context, i int) error {
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"lt-%s-%d",
		"name":{"givenName":"Load","familyName":"Put %d"},"displayName":"Load Put %d","active":true,"title":"Put",
		"emails":[{"value":%q,"type":"work","primary":true}]}`, r.userName(i), r.run, i, i, i, r.userName(i))
	return r.call(ctx, "PUT", "/Users/"+r.ids[i], body, http.StatusOK, nil)
}

// list reads page i of this run's users, as Okta imports them.
func (r *runner) list(ctx context.Context, i int) error {
	filter := url.QueryEscape(fmt.Sprintf(`userName sw "lt-%s-"`, r.run))
	path := fmt.Sprintf("/Users?filter=%s&startIndex=%d&count=%d", filter, 1+i*pageSize, pageSize)
	var res struct{ Resources []json.RawMessage }
	if err := r.call(ctx, "GET", path, "", http.StatusOK, &res); err != nil {
		return err
	}
	if want := min(pageSize, r.o.N-i*pageSize); len(res.Resources) != want {
		return fmt.Errorf("page %d has %d users, want %d", i, len(res.Resources), want)
	}
	return nil
}

// listCursor reads the next page of this run's users by RFC 9865 cursor.
func (r *runner) listCursor(ctx context.Context, i int) error {
	filter := url.QueryEscape(fmt.Sprintf(`userName sw "lt-%s-"`, r.run))
	path := fmt.Sprintf("/Users?filter=%s&count=%d&cursor=%s", filter, pageSize, r.cursor)
	var res struct {
		Resources  []json.RawMessage
		NextCursor string
	}
	if err := r.call(ctx, "GET", path, "", http.StatusOK, &res); err != nil {
		return err
	}
	if want := min(pageSize, r.o.N-i*pageSize); len(res.Resources) != want {
		return fmt.Errorf("cursor page %d has %d users, want %d", i, len(res.Resources), want)
	}
	r.cursor = res.NextCursor
	return nil
}

func (r *runner) createGroup(ctx context.Context) error {
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Load test %s"}`, r.run)
	var res struct{ ID string }
	if err := r.call(ctx, "POST", "/Groups", body, http.StatusCreated, &res); err != nil {
		return err
	}
	r.group = res.ID
	return nil
}

func (r *runner) addMember(ctx context.Context, i int) error {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"` + r.ids[i] + `"}]}]}`
	return r.call(ctx, "PATCH", "/Groups/"+r.group, body, http.StatusNoContent, nil)
}

func (r *runner) delete(ctx context.Context, i int) error {
	return r.call(ctx, "DELETE", "/Users/"+r.ids[i], "", http.StatusNoContent, nil)
}

// call makes one request and decodes the answer into v (if not nil).
func (r *runner) call(ctx context.Context, method, path, body string, want int, v any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.o.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(data))
	}
	if v != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}

// result is what one phase measured.
type result struct {
	requests, errors int64
	elapsed          time.Duration
	latencies        []time.Duration
	firstError       string
}

func (res *result) quantile(q float64) time.Duration {
	if len(res.latencies) == 0 {
		return 0
	}
	return res.latencies[min(len(res.latencies)-1, int(q*float64(len(res.latencies))))]
}

func round(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// phase runs p's requests on Concurrency workers.
func (r *runner) phase(ctx context.Context, p phase) (*result, error) {
	if p.before != nil {
		if err := p.before(ctx); err != nil {
			return nil, fmt.Errorf("loadtest: %s: %w", p.name, err)
		}
	}
	if p.name != "create" && r.ids[0] == "" {
		return nil, errors.New("loadtest: no users were created")
	}
	count := p.count()
	concurrency := r.o.Concurrency
	if p.sequential {
		concurrency = 1
	}
	var (
		next      atomic.Int64
		mu        sync.Mutex
		res       = &result{}
		wg        sync.WaitGroup
		start     = time.Now()
		workers   = min(concurrency, count)
		perWorker = make([][]time.Duration, workers)
	)
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := p.do(ctx, i)
				perWorker[w] = append(perWorker[w], time.Since(t0))
				if err != nil {
					mu.Lock()
					res.errors++
					if res.firstError == "" {
						res.firstError = err.Error()
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	for _, l := range perWorker {
		res.latencies = append(res.latencies, l...)
	}
	res.requests = int64(len(res.latencies))
	slices.Sort(res.latencies)
	return res, ctx.Err()
}
