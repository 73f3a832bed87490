package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// queryRecorder keeps the statements a pool runs, with their arguments.
type queryRecorder struct {
	mu      sync.Mutex
	queries []recordedQuery
}

type recordedQuery struct {
	sql  string
	args []any
}

func (r *queryRecorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, recordedQuery{sql: data.SQL, args: data.Args})
	return ctx
}

func (r *queryRecorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// reset forgets the statements recorded so far.
func (r *queryRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = nil
}

// matching returns the statements recorded whose text holds every one of
// parts, in the order they ran.
func (r *queryRecorder) matching(parts ...string) []recordedQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recordedQuery
next:
	for _, q := range r.queries {
		for _, part := range parts {
			if !strings.Contains(q.sql, part) {
				continue next
			}
		}
		out = append(out, q)
	}
	return out
}

// openRecording opens a store on url whose pool records every statement it
// runs; the store closes when t ends.
func openRecording(t *testing.T, url string) (*postgres.Store, *queryRecorder) {
	t.Helper()
	rec := &queryRecorder{}
	s, err := postgres.Open(context.Background(), url, postgres.WithPoolConfig(func(c *pgxpool.Config) { c.ConnConfig.Tracer = rec }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, rec
}

// A page of a large group's members reads the users of that page, not
// every user before it. The test forces the merge join PostgreSQL picks
// for a group of 100,000 (it read the users' primary key from the first
// id on, for every page: 1.6 s to read such a group whole) and counts
// the users rows the page's scan returns.
func TestAPageOfMembersReadsOnlyItsUsers(t *testing.T) {
	url := pgtest.NewDatabaseURL(t)
	s, rec := openRecording(t, url)
	ctx := context.Background()
	now := time.Now()
	org := createAcme(ctx, t, s, now)
	const size, page = 3000, 200
	users := make([]*directory.User, size)
	ids := make([]string, size)
	for i := range users {
		users[i] = usageTestUser(org, i, now)
		users[i].UserName = fmt.Sprintf("member%04d@acme.example", i)
		users[i].Email = users[i].UserName
		ids[i] = users[i].ID
	}
	group := &directory.Group{ID: directory.NewID(), OrgID: org.ID, DisplayName: "Everyone", Source: directory.SourceSCIM,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.InTx(ctx, func(r directory.Repos) error {
		if err := r.Bulk().CreateUsers(ctx, users); err != nil {
			return err
		}
		if err := r.Groups().CreateGroup(ctx, group); err != nil {
			return err
		}
		_, err := r.Groups().AddMembers(ctx, org.ID, group.ID, ids)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	rec.reset()
	got, err := s.Groups().ListMembers(ctx, org.ID, group.ID, ids[size-page-1], page)
	if err != nil || len(got.Members) != page {
		t.Fatalf("the last page: %v, %v", got, err)
	}
	found := rec.matching("FROM group_members gm JOIN users u")
	if len(found) == 0 {
		t.Fatal("no members query was recorded")
	}
	q := found[len(found)-1]

	conn := connectForPlans(t, url, "SET enable_hashjoin = off", "SET enable_nestloop = off", "SET enable_seqscan = off", "SET enable_bitmapscan = off")
	var plan string
	if err := conn.conn.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q.sql, q.args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var nodes []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil || len(nodes) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	read := nodes[0].Plan.rowsOf("users")
	if read < 0 {
		t.Fatalf("the plan reads no users:\n%s", plan)
	}
	if read > 2*page {
		t.Errorf("the last page of %d members read %d users rows, want about %d:\n%s", size, read, page, plan)
	}
}

// planNode is a node of EXPLAIN's JSON.
type planNode struct {
	Relation   string     `json:"Relation Name"`
	ActualRows int        `json:"Actual Rows"`
	Plans      []planNode `json:"Plans"`
}

// rowsOf is the rows the scan of table returned (-1: no such scan).
func (n planNode) rowsOf(table string) int {
	if n.Relation == table {
		return n.ActualRows
	}
	for _, c := range n.Plans {
		if r := c.rowsOf(table); r >= 0 {
			return r
		}
	}
	return -1
}
