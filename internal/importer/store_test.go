package importer

import (
	"context"
	"os"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// eachStore runs fn over SQLite and, when a server is configured, over
// PostgreSQL, whose bulk writes take another path.
func eachStore(t *testing.T, fn func(t *testing.T, svc *directory.Service, org *directory.Org)) {
	t.Run("sqlite", func(t *testing.T) {
		svc, org := serviceOver(t)
		fn(t, svc, org)
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(pgtest.EnvURL) == "" && os.Getenv("CI") != "true" {
			t.Skipf("%s is not set", pgtest.EnvURL)
		}
		st, err := postgres.Open(context.Background(), pgtest.NewDatabaseURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		svc, org := serviceWithOrg(t, st)
		fn(t, svc, org)
	})
}

// A commit writes every character as the file has it, into the users and
// their audit events.
func TestCommitKeepsEveryCharacter(t *testing.T) {
	odd := []string{`quote " in`, `back\slash \\ two`, `{braces,comma}`, "NULL", `<b>&amp;</b>`, "é 日本 🚀", `it's`, `"\"`, `ends with \`}
	eachStore(t, func(t *testing.T, svc *directory.Service, org *directory.Org) {
		ctx := context.Background()
		rows := [][]string{{"userName", "givenName", "familyName", "department", "badge"}}
		for i, s := range odd {
			rows = append(rows, []string{"odd" + string(rune('a'+i)) + "@acme.com", s, s + " family", s, s})
		}
		im := New(svc, nil, Config{}, nil)
		sum, err := im.Commit(ctx, testAdmin, org.ID, csvFile(t, rows...), CommitOptions{Mode: ModeCreate}, nil)
		if err != nil || sum.Creates != len(odd) {
			t.Fatalf("summary %+v, %v", sum, err)
		}
		for i, s := range odd {
			u, err := findUser(ctx, svc, rows[i+1][0])
			if err != nil {
				t.Fatal(err)
			}
			if u.GivenName != s || u.FamilyName != s+" family" || u.Enterprise.Department != s || u.Properties["badge"] != s {
				t.Errorf("row %d: stored %q %q %q %q, want %q", i+2, u.GivenName, u.FamilyName, u.Enterprise.Department, u.Properties["badge"], s)
			}
			page, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{TargetID: u.ID, Limit: 10})
			if err != nil || len(page.Events) != 1 {
				t.Fatalf("row %d: %d events, %v", i+2, len(page.Events), err)
			}
			c := page.Events[0].Changes
			if c["name.givenName"].After != s || c["properties.badge"].After != s || c["userName"].After != u.UserName {
				t.Errorf("row %d: audited %+v", i+2, c)
			}
		}
	})
}

// A userName taken between the check and the write fails its row alone,
// on either store: the write pass does not look create-only rows up.
func TestCommitFailsATakenUserNameAlone(t *testing.T) {
	eachStore(t, func(t *testing.T, svc *directory.Service, org *directory.Org) {
		ctx := context.Background()
		if _, err := svc.CreateUser(ctx, testAdmin, org.ID, &directory.User{UserName: "taken@acme.com", Properties: map[string]any{"badge": "T"}}); err != nil {
			t.Fatal(err)
		}
		im := New(svc, nil, Config{}, nil)
		c := &committer{im: im, org: org, opts: CommitOptions{Mode: ModeCreate}}
		var rows []directory.ImportRow
		for _, name := range []string{"new1@acme.com", "TAKEN@acme.com", "new2@acme.com"} {
			rows = append(rows, c.importRow(&candidate{user: directory.User{UserName: name}, props: map[string]any{"badge": "B"}}))
		}
		res, err := svc.ImportUsers(ctx, testAdmin, org.ID, rows)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Action != directory.ImportCreated || res[2].Action != directory.ImportCreated ||
			res[1].Action != directory.ImportFailed || directory.ErrorCode(res[1].Err) != directory.CodeConflict {
			t.Fatalf("got %+v", res)
		}
		page, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{Action: "user.create", Limit: 10})
		if err != nil || len(page.Events) != 3 {
			t.Fatalf("%d create events (the stored user's and two), %v", len(page.Events), err)
		}
	})
}
