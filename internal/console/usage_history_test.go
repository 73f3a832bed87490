package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// usageDays records acme's (and globex's) usage two days ago, then adds a
// pending user and a deleted one to acme and records today's: the page's
// history then has two days with different figures.
func usageDays(t *testing.T, e *consoletest.Env) (day1, day2 string) {
	t.Helper()
	now := e.Clock.Now()
	if _, err := e.Svc.SnapshotUsage(e.Ctx, now.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	e.CreateUser(e.Acme, "new@acme.example", directory.RoleUser, "") // pending
	gone := e.CreateUser(e.Acme, "gone@acme.example", directory.RoleUser, consoletest.Password)
	if _, err := e.Svc.DeleteUser(e.Ctx, directory.Actor{Kind: directory.ActorOperator, Name: "test"}, e.Acme.ID, gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.SnapshotUsage(e.Ctx, now); err != nil {
		t.Fatal(err)
	}
	return now.AddDate(0, 0, -2).UTC().Format(time.DateOnly), now.UTC().Format(time.DateOnly)
}

func TestUsageHistoryFollowsTheRoles(t *testing.T) {
	e := consoletest.New(t)
	for _, path := range []string{"/usage", "/usage.csv"} {
		for role, status := range map[string]int{"org_admin": 200, "org_viewer": 200, "billing_admin": 200, "user": 403} {
			if r := e.SignIn(role).Get(path); r.Status != status {
				t.Errorf("GET %s as %s: %d, want %d", path, role, r.Status, status)
			}
		}
		if r := e.Anonymous().Get(path); r.Status == http.StatusOK {
			t.Errorf("GET %s without a session: 200", path)
		}
	}
}

func TestUsageHistoryChartsTheRecordedDays(t *testing.T) {
	e := consoletest.New(t)
	day1, day2 := usageDays(t, e)
	c := e.SignIn("billing_admin")
	r := c.Get("/usage?from=" + day1 + "&to=" + day2)
	expect(t, "history", r, http.StatusOK,
		`value="`+day1+`"`, `value="`+day2+`"`,
		`href="/usage.csv?from=`+day1+`&amp;to=`+day2+`"`,
		`aria-label="Seats per day`, `aria-label="Users by status per day`,
		// Statuses: pending, active, locked, suspended, inactive, deleted.
		`<tr><th scope="row">`+day1+`</th><td>4</td><td>0</td><td>4</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>`,
		`<tr><th scope="row">`+day2+`</th><td>5</td><td>1</td><td>4</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>`,
		// The y axis tops at 5 seats (212 to 28); the days are the x axis' ends.
		`<circle cx="64" cy="65" r="3"><title>`+day1+`: 4 Seats</title>`,
		`<circle cx="624" cy="28" r="3"><title>`+day2+`: 5 Seats</title>`,
		`<title>`+day2+`: 1 pending</title>`,
		`<polyline points="64,65 624,28">`,
		`>Day (UTC)</text>`, `>Users</text>`,
	)
	// Two points per line: seats, and five statuses (deleted users are in
	// the table only).
	if n := strings.Count(r.Body, "<circle "); n != 12 {
		t.Errorf("%d points, want 12", n)
	}
	if n := strings.Count(r.Body, "<script"); n != strings.Count(r.Body, "<script src=") {
		t.Error("the page has an inline script")
	}
	// A day in between without a snapshot is a gap: with a third day
	// asked, the first point moves left of the middle.
	mid := e.Clock.Now().AddDate(0, 0, -1).UTC().Format(time.DateOnly)
	one := c.Get("/usage?from=" + mid + "&to=" + day2)
	expect(t, "one day", one, http.StatusOK, `<circle cx="624" cy="28" r="3">`)
	if strings.Contains(one.Body, day1+"</th>") {
		t.Error("a day before from is in the table")
	}
	// Globex sees its own history only.
	g := e.SignIn("globex_admin").Get("/usage?from=" + day1 + "&to=" + day2)
	expect(t, "globex", g, http.StatusOK, `<tr><th scope="row">`+day2+`</th><td>1</td>`)
}

func TestUsageHistoryCSVIsTheAPIExport(t *testing.T) {
	e := consoletest.New(t)
	day1, day2 := usageDays(t, e)
	c := e.SignIn("billing_admin")
	q := "?from=" + day1 + "&to=" + day2
	got := c.Get("/usage.csv" + q)
	if got.Status != http.StatusOK {
		t.Fatalf("export: %d\n%s", got.Status, got.Body)
	}
	// The session cookie also reads the API: its export is the same file.
	api := c.Get("/api/v1/org/usage/history/export" + q)
	if api.Status != http.StatusOK {
		t.Fatalf("API export: %d\n%s", api.Status, api.Body)
	}
	if got.Body != api.Body {
		t.Errorf("the console's CSV differs from the API's:\n%s\n---\n%s", got.Body, api.Body)
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		if got.Header.Get(h) != api.Header.Get(h) {
			t.Errorf("%s: %q, the API's %q", h, got.Header.Get(h), api.Header.Get(h))
		}
	}
	if want := `attachment; filename="acme-usage-` + day1 + `-` + day2 + `.csv"`; got.Header.Get("Content-Disposition") != want {
		t.Errorf("Content-Disposition %q, want %q", got.Header.Get("Content-Disposition"), want)
	}
	for _, line := range []string{"day,status,role,source,users,service,seat_limit\n", day1 + ",active,user,local,1,,\n",
		day2 + ",pending,user,local,1,,\n", day2 + ",deleted,user,local,1,,\n"} {
		if !strings.Contains(got.Body, line) {
			t.Errorf("the CSV lacks %q\n%s", line, got.Body)
		}
	}
	if strings.Contains(got.Body, "globex") {
		t.Error("the CSV names another organization")
	}
	g := e.SignIn("globex_admin").Get("/usage.csv" + q)
	if strings.Count(g.Body, "\n") != 3 || !strings.Contains(g.Body, day2+",active,org_admin,local,1,,\n") {
		t.Errorf("globex's CSV:\n%s", g.Body)
	}
}

func TestUsageHistoryEmpty(t *testing.T) {
	e := consoletest.New(t)
	today := e.Clock.Now().UTC()
	from, to := today.AddDate(0, 0, -29).Format(time.DateOnly), today.Format(time.DateOnly)
	c := e.SignIn("org_viewer")
	r := c.Get("/usage")
	expect(t, "empty", r, http.StatusOK, `value="`+from+`"`, `value="`+to+`"`,
		"No usage was recorded from "+from+" to "+to, `href="/usage.csv?from=`+from+`&amp;to=`+to+`"`)
	if strings.Contains(r.Body, `id="usage-days"`) || strings.Contains(r.Body, "<polyline") {
		t.Error("an empty history draws a chart")
	}
	csv := c.Get("/usage.csv")
	if csv.Status != http.StatusOK || csv.Body != "day,status,role,source,users,service,seat_limit\n" {
		t.Errorf("empty CSV: %d %q", csv.Status, csv.Body)
	}
}

func TestUsageHistoryRefusesBadDates(t *testing.T) {
	e := consoletest.New(t)
	c := e.SignIn("billing_admin")
	for q, want := range map[string]string{
		"from=someday":                   "enter a date such as 2026-01-01",
		"to=2026-13-01":                  "enter a date such as 2026-01-31",
		"from=2026-02-01&to=2026-01-01":  "the last day cannot be before the first",
		"from=2020-01-01&to=2026-01-01":  "2193 days asked: at most 1098 at once",
		"from=2026-01-01&to=2026-01-01x": "enter a date such as 2026-01-31",
	} {
		r := c.Get("/usage?" + q)
		expect(t, q, r, http.StatusUnprocessableEntity, want, `aria-invalid="true"`, "Seats in use:")
		if strings.Contains(r.Body, "Download CSV") {
			t.Errorf("%s: the page offers a download of dates it refused", q)
		}
		expect(t, q+" (CSV)", c.Get("/usage.csv?"+q), http.StatusBadRequest, want)
	}
}

// usageServiceDays gives acme a service crm of 3 seats held through a
// group by the plain user, snapshots usage two days ago, then adds the
// viewer to the group and a service wiki without a limit held by the
// billing admin, and snapshots today.
func usageServiceDays(t *testing.T, e *consoletest.Env) (day1, day2 string) {
	t.Helper()
	operator := directory.Actor{Kind: directory.ActorOperator, Name: "test"}
	now := e.Clock.Now()
	sales, err := e.Svc.CreateGroup(e.Ctx, operator, e.Acme.ID, &directory.Group{DisplayName: "Sales"}, []string{e.Users["user"].ID})
	if err != nil {
		t.Fatal(err)
	}
	limit := 3
	if _, err := e.Svc.CreateService(e.Ctx, operator, e.Acme.ID, &directory.OrgService{Key: "crm", Name: "CRM <Sales>", SeatLimit: &limit, GroupIDs: []string{sales.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.SnapshotUsage(e.Ctx, now.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.UpdateGroup(e.Ctx, operator, e.Acme.ID, sales.ID, directory.GroupChange{Add: []string{e.Users["org_viewer"].ID}}); err != nil {
		t.Fatal(err)
	}
	wiki, err := e.Svc.CreateService(e.Ctx, operator, e.Acme.ID, &directory.OrgService{Key: "wiki", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AssignServices(e.Ctx, operator, e.Acme.ID, []string{e.Users["billing_admin"].ID}, []string{wiki.Key}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.SnapshotUsage(e.Ctx, now); err != nil {
		t.Fatal(err)
	}
	return now.AddDate(0, 0, -2).UTC().Format(time.DateOnly), now.UTC().Format(time.DateOnly)
}

func TestUsageHistoryChartsSeatsPerService(t *testing.T) {
	e := consoletest.New(t)
	day1, day2 := usageServiceDays(t, e)
	r := e.SignIn("billing_admin").Get("/usage?from=" + day1 + "&to=" + day2)
	expect(t, "seats per service", r, http.StatusOK,
		`aria-label="Seats per service per day`,
		// The legend names each line, the name escaped.
		`<span class="swatch service service-0"></span> CRM &lt;Sales&gt;</li>`,
		`<span class="swatch service service-1"></span> Wiki</li>`,
		`<th scope="col">CRM &lt;Sales&gt; <small>(crm)</small></th><th scope="col">Wiki <small>(wiki)</small></th>`,
		// wiki did not exist on the first day.
		`<tr><th scope="row">`+day1+`</th><td>1 of 3</td><td>&#8212;</td></tr>`,
		`<tr><th scope="row">`+day2+`</th><td>2 of 3</td><td>1</td></tr>`,
		`<title>`+day2+`: 2 CRM &lt;Sales&gt;</title>`,
		`<title>`+day2+`: 1 Wiki</title>`,
	)
	if strings.Contains(r.Body, "<Sales>") {
		t.Error("a service name is not escaped")
	}
	// Globex has no services: no chart of them.
	g := e.SignIn("globex_admin").Get("/usage?from=" + day1 + "&to=" + day2)
	expect(t, "globex", g, http.StatusOK, `id="usage-days"`)
	if strings.Contains(g.Body, `id="usage-services"`) || strings.Contains(g.Body, "Seats per service") {
		t.Error("globex sees seats per service it does not have")
	}
	// The export has the same figures; a plain user reads neither.
	csv := e.SignIn("org_viewer").Get("/usage.csv?from=" + day1 + "&to=" + day2)
	expect(t, "CSV", csv, http.StatusOK, day1+",,,,1,crm,3\n", day2+",,,,2,crm,3\n", day2+",,,,1,wiki,\n")
	if r := e.SignIn("user").Get("/usage?from=" + day1 + "&to=" + day2); r.Status != http.StatusForbidden {
		t.Errorf("a plain user: %d", r.Status)
	}
}

// TestBrowserUsageSeatsPerService shows a billing admin the seats per
// service over time.
func TestBrowserUsageSeatsPerService(t *testing.T) {
	e := consoletest.New(t)
	day1, day2 := usageServiceDays(t, e)
	b := e.Browser()
	browserSignIn(b, e, "billing_admin")
	b.Step("usage-services",
		chromedp.Navigate(e.URL+"/usage?from="+day1+"&to="+day2),
		chromedp.WaitVisible(chromedp.CSS("#usage-services")),
	)
	if n := b.Count("#usage-services tbody tr"); n != 2 {
		t.Errorf("%d days in the seats table, want 2", n)
	}
	// crm on both days, wiki on the second.
	if n := b.Count(".line-chart .service circle"); n != 3 {
		t.Errorf("%d service points drawn, want 3", n)
	}
	if got := b.Text(`#usage-services tbody tr:last-child td:first-of-type`); got != "2 of 3" {
		t.Errorf("crm today: %q", got)
	}
}

// TestBrowserUsageOverTime opens the Usage page as a billing admin, sees
// the history chart, and asks for other days with the form.
func TestBrowserUsageOverTime(t *testing.T) {
	e := consoletest.New(t)
	day1, day2 := usageDays(t, e)
	b := e.Browser()
	browserSignIn(b, e, "billing_admin")
	b.Step("usage",
		chromedp.Click(chromedp.CSS(`nav a[href="/usage"]`)),
		chromedp.WaitVisible(chromedp.CSS("#usage-days")),
	)
	if n := b.Count("#usage-days tbody tr"); n != 2 {
		t.Fatalf("%d days in the table, want 2", n)
	}
	if n := b.Count(".line-chart circle"); n != 12 {
		t.Errorf("%d points drawn, want 12", n)
	}
	b.Step("last-day",
		chromedp.SetValue(chromedp.CSS(`#usage-range input[name="from"]`), day2),
		chromedp.Click(chromedp.CSS(`#usage-range button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/usage.csv?from=`+day2+`&to=`+day2+`"]`)),
	)
	if n := b.Count("#usage-days tbody tr"); n != 1 {
		t.Errorf("%d days in the table from %s, want 1", n, day2)
	}
	b.Step("bad-range",
		chromedp.SetValue(chromedp.CSS(`#usage-range input[name="from"]`), day2),
		chromedp.SetValue(chromedp.CSS(`#usage-range input[name="to"]`), day1),
		chromedp.Click(chromedp.CSS(`#usage-range button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#usage-range small.error`)),
	)
	if got := b.Text(`#usage-range small.error`); got != "the last day cannot be before the first" {
		t.Errorf("error %q", got)
	}
}
