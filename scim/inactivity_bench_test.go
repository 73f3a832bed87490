package scim_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jobs"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// BenchmarkSCIMDuringInactivityPass times SCIM requests on the users of an
// organization while the inactivity pass marks 29% of them inactive
// (1,000,000 users by default, ROSTER_BENCH_USERS changes it): a few
// clients GET and PATCH random users of the organization, first alone
// (the baseline), then during the pass. It reports the pass's duration
// and the requests' median, p99 and worst in both phases. Seeding takes
// minutes, so it is opt-in:
//
//	ROSTER_BENCH_INACTIVITY_SCIM=1 ROSTER_TEST_POSTGRES_URL=… go test -run '^$' -bench SCIMDuringInactivityPass -benchtime 1x -timeout 60m ./scim
func BenchmarkSCIMDuringInactivityPass(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_INACTIVITY_SCIM") == "" {
		b.Skip("set ROSTER_BENCH_INACTIVITY_SCIM=1 to seed the users and time SCIM during the inactivity pass")
	}
	n := 1_000_000
	if s := os.Getenv("ROSTER_BENCH_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("ROSTER_BENCH_USERS=%q: a number of users of at least 1000", s)
		}
	}
	forEachBenchStore(b, func(b *testing.B, st directory.Store, db bulkDB) { benchDuringPass(b, st, n, db) })
}

func benchDuringPass(b *testing.B, st directory.Store, n int, db bulkDB) {
	e := newEnv(b, st)
	now := time.Now().UTC()
	idle, recent := now.AddDate(0, 0, -100), now.AddDate(0, 0, -10)
	login := "CASE WHEN s.i % 10 < 3 THEN $4 ELSE $5 END"
	if db.d == sqlbuild.Postgres {
		login = "CASE WHEN s.i % 10 < 3 THEN $4::timestamptz ELSE $5::timestamptz END"
	}
	// Users 10k, 10k+1 and 10k+2 last logged in 100 days ago: 30%, less
	// the one in a hundred that seedBulk suspends.
	seedBulk(b, e, db, n, map[string]string{"last_login_at": login}, db.d.Time(idle), db.d.Time(recent))

	const clients = 4
	run := func(stop <-chan struct{}) (lat []time.Duration, failed int) {
		var mu sync.Mutex
		var fails atomic.Int64
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), uint64(now.UnixNano())))
				var mine []time.Duration
				for k := 0; ; k++ {
					select {
					case <-stop:
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
						return
					default:
					}
					id := benchUserID(1 + rng.IntN(n))
					t0 := time.Now()
					var res *response
					if k%2 == 0 {
						res = e.call(http.MethodGet, "/Users/"+id, "")
					} else {
						res = e.call(http.MethodPatch, "/Users/"+id,
							patchOp(fmt.Sprintf(`{"op":"replace","path":"displayName","value":"Patched %d"}`, k)))
					}
					mine = append(mine, time.Since(t0))
					if res.status != http.StatusOK {
						fails.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		return lat, int(fails.Load())
	}
	report := func(phase string, lat []time.Duration, failed int) {
		if len(lat) == 0 {
			b.Fatalf("%s: no requests", phase)
		}
		slices.Sort(lat)
		p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		b.ReportMetric(ms(p(0.99)), phase+"-p99-ms")
		fmt.Printf("%s: %-8s %6d requests (%d failed)  median %7.2f ms  p99 %7.2f ms  worst %7.2f ms\n",
			b.Name(), phase, len(lat), failed, ms(p(0.5)), ms(p(0.99)), ms(lat[len(lat)-1]))
		if failed > 0 {
			b.Errorf("%s: %d requests failed", phase, failed)
		}
	}

	stop := make(chan struct{})
	go func() { time.Sleep(5 * time.Second); close(stop) }()
	lat, failed := run(stop)
	report("baseline", lat, failed)

	stop = make(chan struct{})
	var marked int
	var passTime time.Duration
	var passErr error
	go func() {
		defer close(stop)
		time.Sleep(200 * time.Millisecond) // the clients are under way
		t0 := time.Now()
		marked, passErr = e.svc.DeactivateInactiveUsers(context.Background(), jobs.InactivityActor, e.org.ID, now)
		passTime = time.Since(t0)
	}()
	lat, failed = run(stop)
	if passErr != nil {
		b.Fatal(passErr)
	}
	report("pass", lat, failed)
	b.ReportMetric(passTime.Seconds(), "s/pass")
	b.ReportMetric(float64(marked), "marked")
	fmt.Printf("%s: the pass marked %d of %d users inactive in %v\n", b.Name(), marked, n, passTime.Round(time.Millisecond))
	if want := n * 29 / 100; marked < want-clients*2 || marked > want+clients {
		b.Errorf("marked %d users, want about %d", marked, want)
	}
}
