package sync_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/directory"
	rsync "github.com/roster/roster/sync"
	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

// The 100,000-user runs are opt-in: ROSTER_SYNC_BENCH=1 go test -run Bench100k ./sync/
// They measure connector and engine throughput into the in-memory target;
// the store's share is measured by the store benchmarks.
const benchUsers = 100_000

func requireBench(t *testing.T) {
	if os.Getenv("ROSTER_SYNC_BENCH") == "" {
		t.Skip("set ROSTER_SYNC_BENCH=1 to run the 100,000-user benchmarks")
	}
}

// peakRSS reads the process's high-water resident set from /proc.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func measure(t *testing.T, name string, job rsync.Job, target *fakeTarget) *rsync.Report {
	t.Helper()
	runtime.GC()
	start := time.Now()
	rep, err := rsync.NewEngine(target, rsync.DefaultBatchSize).Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%s: %v, %.0f users/s, counts %v, heap in use %d MB, peak RSS of the test process %s",
		name, d.Round(time.Millisecond), float64(benchUsers)/d.Seconds(), rep.Counts, ms.HeapInuse>>20, peakRSS())
	return rep
}

func TestBench100kFromSlapd(t *testing.T) {
	requireBench(t)
	ldaptest.RequireSlapd(t)
	var b strings.Builder
	for i := range benchUsers {
		fmt.Fprintf(&b, "dn: uid=u%06d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: u%06d\ncn: User %d\nsn: Number%d\n"+
			"givenName: User\nmail: u%06d@example.org\ntitle: Engineer\nentryUUID: 00000000-0000-4000-8000-%012d\nmodifyTimestamp: 20200101000000Z\n\n",
			i, i, i, i, i, i)
	}
	seedStart := time.Now()
	srv := ldaptest.StartSlapd(t, b.String())
	t.Logf("slapadd + start of %d users: %v", benchUsers, time.Since(seedStart).Round(time.Millisecond))
	zero := 0
	conn, err := ldap.New(ldap.Settings{URL: srv.URL, AllowInsecure: true, BindDN: ldaptest.BindDN,
		UserBaseDN: "ou=people," + ldaptest.BaseDN, NoGroups: true, PageSize: 1000, ClockSkewSeconds: &zero}, ldaptest.BindPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := newFakeTarget()
	job := rsync.Job{Scope: scope, Connector: conn, Policy: rsync.Policy{Deprovision: rsync.DeprovisionSuspend}}
	full := measure(t, "slapd full", job, target)

	admin := srv.Admin(t)
	for i := 0; i < benchUsers; i += 100 {
		mod := ldapv3.NewModifyRequest(fmt.Sprintf("uid=u%06d,ou=people,dc=example,dc=org", i), nil)
		mod.Replace("title", []string{"Manager"})
		if err := admin.Modify(mod); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // modifyTimestamp has one-second resolution
	job.Cursor = full.Cursor
	start := time.Now()
	inc, err := rsync.NewEngine(target, rsync.DefaultBatchSize).Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("slapd incremental, 1%% changed: %v, counts %v", time.Since(start).Round(time.Millisecond), inc.Counts)
	if inc.Counts[rsync.OpUpdate] != benchUsers/100 {
		t.Errorf("incremental updated %d users, want %d", inc.Counts[rsync.OpUpdate], benchUsers/100)
	}
}

func TestBench100kFromGraph(t *testing.T) {
	requireBench(t)
	g := entratest.New()
	defer g.Close()
	g.PageSize = 500
	for i := range benchUsers {
		g.PutUser(entratest.User{ID: entratest.ID(i), UserPrincipalName: fmt.Sprintf("u%06d@contoso.test", i),
			Mail: fmt.Sprintf("u%06d@contoso.test", i), GivenName: "User", Surname: fmt.Sprintf("Number%d", i),
			DisplayName: fmt.Sprintf("User %d", i), JobTitle: "Engineer", AccountEnabled: true})
	}
	conn, err := entra.New(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL,
		Groups: entra.GroupsNone}, g.ClientSecret, entra.WithHTTPClient(g.Client()))
	if err != nil {
		t.Fatal(err)
	}
	target := newFakeTarget()
	job := rsync.Job{Scope: scope, Connector: conn, Policy: rsync.Policy{Deprovision: rsync.DeprovisionSuspend}}
	job.Scope.Source, job.Scope.Actor.Source = directory.SourceEntra, directory.SourceEntra
	full := measure(t, "graph full", job, target)

	for i := 0; i < benchUsers; i += 100 {
		g.UpdateUser(entratest.ID(i), func(u *entratest.User) { u.JobTitle = "Manager" })
	}
	job.Cursor = full.Cursor
	start := time.Now()
	inc, err := rsync.NewEngine(target, rsync.DefaultBatchSize).Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graph incremental, 1%% changed: %v, counts %v", time.Since(start).Round(time.Millisecond), inc.Counts)
	if inc.Counts[rsync.OpUpdate] != benchUsers/100 {
		t.Errorf("incremental updated %d users, want %d", inc.Counts[rsync.OpUpdate], benchUsers/100)
	}
}
