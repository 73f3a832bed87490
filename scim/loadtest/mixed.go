package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MixedOptions configures RunMixed: SCIM traffic of every kind at a set
// rate for a set time, with an optional fault injected once.
type MixedOptions struct {
	// URL is the SCIM base URL, e.g. http://localhost:8080/scim/v2.
	URL   string
	Token string
	// Rate is the requests started per second; Duration how long.
	Rate     float64
	Duration time.Duration
	// Concurrency bounds the requests in flight; a request due while all
	// are busy is counted as dropped rather than queued, so that a stall
	// shows instead of turning into a burst.
	Concurrency int
	// Fault, if set, runs once FaultAt after the start (a database
	// restart, say); the report splits errors into before, during and
	// after it.
	Fault   func(ctx context.Context) error
	FaultAt time.Duration
}

// MixedReport is what RunMixed saw.
type MixedReport struct {
	Requests, Dropped int64
	// Errors of requests that ended before the fault, that overlapped it,
	// and that started after it ended (all under Before without a fault).
	Before, During, After int64
	// LastErrorAfter is how long after the fault ended the last failing
	// request started (0 when none failed after it).
	LastErrorAfter time.Duration
	// FaultStart and FaultTook place the fault in the run.
	FaultStart, FaultTook time.Duration
	FaultErr              error
	// Acknowledged users were answered 201; Missing of them could not be
	// read back at the end: acknowledged writes that were lost.
	Acknowledged int
	Missing      []string
	// FirstErrors are the first few error messages, for the operator.
	FirstErrors []string
}

// Write prints the report for an operator.
func (r *MixedReport) Write(out io.Writer) {
	fmt.Fprintf(out, "requests %d (dropped %d)\n", r.Requests, r.Dropped)
	fmt.Fprintf(out, "errors before the fault %d, during %d, after %d", r.Before, r.During, r.After)
	if r.After > 0 {
		fmt.Fprintf(out, " (the last %s after it ended)", r.LastErrorAfter.Round(time.Millisecond))
	}
	fmt.Fprintln(out)
	if r.FaultTook > 0 || r.FaultErr != nil {
		fmt.Fprintf(out, "fault at %s, took %s", r.FaultStart.Round(time.Millisecond), r.FaultTook.Round(time.Millisecond))
		if r.FaultErr != nil {
			fmt.Fprintf(out, ", failed: %v", r.FaultErr)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "users acknowledged (201) %d, missing afterwards %d\n", r.Acknowledged, len(r.Missing))
	for _, e := range r.FirstErrors {
		fmt.Fprintf(out, "  error: %s\n", e)
	}
}

// RunMixed sends a mix of SCIM requests (40% creates, then reads, PATCHes,
// filtered lookups and list pages of the users created so far) at Rate
// for Duration, runs Fault once if set, then reads back every user it was
// answered 201 for.
func RunMixed(ctx context.Context, o MixedOptions) (*MixedReport, error) {
	if o.Rate <= 0 || o.Duration <= 0 || o.Concurrency <= 0 {
		return nil, errors.New("loadtest: Rate, Duration and Concurrency must be positive")
	}
	if _, err := url.Parse(o.URL); err != nil || o.URL == "" {
		return nil, fmt.Errorf("loadtest: bad URL %q", o.URL)
	}
	m := &mixed{
		r: &runner{o: Options{URL: o.URL, Token: o.Token, Concurrency: o.Concurrency}, base: strings.TrimRight(o.URL, "/"),
			run: newRunTag(), client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				MaxIdleConns: o.Concurrency, MaxIdleConnsPerHost: o.Concurrency, IdleConnTimeout: time.Minute}}},
		report: &MixedReport{},
		start:  time.Now(),
	}
	m.faultStart.Store(-1)
	m.faultEnd.Store(-1)

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	if o.Fault != nil {
		wg.Go(func() {
			select {
			case <-time.After(o.FaultAt):
			case <-runCtx.Done():
				return
			}
			m.faultStart.Store(int64(time.Since(m.start)))
			err := o.Fault(ctx)
			m.faultEnd.Store(int64(time.Since(m.start)))
			m.mu.Lock()
			m.report.FaultErr = err
			m.mu.Unlock()
		})
	}
	slots := make(chan struct{}, o.Concurrency)
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.Rate))
	defer tick.Stop()
	// Each wake-up starts the requests due by then, so that a late wake-up
	// (a loaded machine) does not lower the rate: a request is started, or
	// dropped when every client is busy.
	issued := 0
	for runCtx.Err() == nil {
		select {
		case <-runCtx.Done():
			continue
		case <-tick.C:
		}
		due := int(time.Since(m.start).Seconds() * o.Rate)
		for ; issued < due; issued++ {
			select {
			case slots <- struct{}{}:
				i := issued
				wg.Go(func() {
					defer func() { <-slots }()
					m.one(ctx, i)
				})
			default:
				m.mu.Lock()
				m.report.Dropped++
				m.mu.Unlock()
			}
		}
	}
	wg.Wait()
	if fs := m.faultStart.Load(); fs >= 0 {
		m.report.FaultStart, m.report.FaultTook = time.Duration(fs), time.Duration(m.faultEnd.Load()-fs)
	}
	return m.report, m.verify(ctx)
}

type mixed struct {
	r      *runner
	start  time.Time
	report *MixedReport
	// faultStart and faultEnd are offsets from start, -1 until they happen.
	faultStart, faultEnd atomic.Int64

	mu    sync.Mutex
	users []ackedUser // answered 201
}

type ackedUser struct{ id, userName string }

// one makes request i of the mix and records its outcome.
func (m *mixed) one(ctx context.Context, i int) {
	began := time.Since(m.start)
	var err error
	m.mu.Lock()
	n := len(m.users)
	var u ackedUser
	if n > 0 {
		u = m.users[(i*7919)%n]
	}
	m.mu.Unlock()
	switch op := i % 10; {
	case op < 4 || n == 0:
		err = m.create(ctx, i)
	case op < 6:
		err = m.r.call(ctx, "GET", "/Users/"+u.id, "", http.StatusOK, nil)
	case op < 8:
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
			`{"op":"Replace","path":"title","value":"Patched ` + fmt.Sprint(i) + `"}]}`
		err = m.r.call(ctx, "PATCH", "/Users/"+u.id, body, http.StatusOK, nil)
	case op < 9:
		var res struct{ TotalResults int }
		path := "/Users?filter=" + url.QueryEscape(fmt.Sprintf("userName eq %q", u.userName))
		if err = m.r.call(ctx, "GET", path, "", http.StatusOK, &res); err == nil && res.TotalResults != 1 {
			err = fmt.Errorf("lookup of %s found %d users", u.userName, res.TotalResults)
		}
	default:
		filter := url.QueryEscape(fmt.Sprintf(`userName sw "lt-%s-"`, m.r.run))
		err = m.r.call(ctx, "GET", "/Users?filter="+filter+"&count=50", "", http.StatusOK, nil)
	}
	ended := time.Since(m.start)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.report.Requests++
	if err == nil {
		return
	}
	if len(m.report.FirstErrors) < 5 {
		m.report.FirstErrors = append(m.report.FirstErrors, err.Error())
	}
	fs, fe := time.Duration(m.faultStart.Load()), time.Duration(m.faultEnd.Load())
	switch {
	case fs < 0 || ended < fs:
		m.report.Before++
	case fe < 0 || began < fe:
		m.report.During++
	default:
		m.report.After++
		m.report.LastErrorAfter = max(m.report.LastErrorAfter, began-fe)
	}
}

func (m *mixed) create(ctx context.Context, i int) error {
	name := m.r.userName(i)
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,`+
		`"name":{"givenName":"Load","familyName":"Mixed %d"},"active":true,"emails":[{"value":%q,"primary":true}]}`, name, i, name)
	var res struct{ ID string }
	if err := m.r.call(ctx, "POST", "/Users", body, http.StatusCreated, &res); err != nil {
		return err
	}
	m.mu.Lock()
	m.users = append(m.users, ackedUser{id: res.ID, userName: name})
	m.mu.Unlock()
	return nil
}

// verify reads back every acknowledged user.
func (m *mixed) verify(ctx context.Context) error {
	m.report.Acknowledged = len(m.users)
	for _, u := range m.users {
		var res struct{ UserName string }
		err := m.r.call(ctx, "GET", "/Users/"+u.id, "", http.StatusOK, &res)
		if err == nil && res.UserName != u.userName {
			err = fmt.Errorf("user %s reads back as %q", u.id, res.UserName)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			m.report.Missing = append(m.report.Missing, fmt.Sprintf("%s (%s): %v", u.userName, u.id, err))
		}
	}
	return nil
}
