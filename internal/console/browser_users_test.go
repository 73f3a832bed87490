package console_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

// browserAdmin starts chromium signed in as acme's admin, on the users list.
func browserAdmin(t *testing.T, e *consoletest.Env) *consoletest.Browser {
	t.Helper()
	b := e.Browser()
	b.Step("sign-in",
		chromedp.Navigate(b.URL("/login?next=%2Fusers")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "org_admin@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), consoletest.Password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.users")),
	)
	return b
}

func sel(s string) chromedp.CSS { return chromedp.CSS(s) }

// TestBrowserNewUserInEachPasswordMode creates a user in each password
// mode through the form and reads what the outbox got.
func TestBrowserNewUserInEachPasswordMode(t *testing.T) {
	e := consoletest.New(t)
	b := browserAdmin(t, e)
	for _, tc := range []struct {
		mode, local, password string
		kind                  mail.Kind
	}{
		{"generate", "gen", "", mail.PasswordSet},
		{"set_and_email", "setmail", "Browser-Horse-31", mail.PasswordSet},
		{"set", "setonly", "Browser-Horse-32", ""},
		{"invite", "invited", "", mail.Invitation},
	} {
		actions := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(b.URL("/users")),
			chromedp.Click(sel("#new-user")),
			chromedp.WaitVisible(sel("#givenName")),
			chromedp.SendKeys(sel("#givenName"), "Bea"),
			chromedp.SendKeys(sel("#familyName"), strings.ToUpper(tc.local[:1])+tc.local[1:]),
			chromedp.SendKeys(sel("#userName"), tc.local),
			chromedp.Click(sel("#mode-" + tc.mode)),
		}
		if tc.password != "" {
			actions = append(actions, chromedp.SendKeys(sel("#password"), tc.password))
		}
		actions = append(actions, chromedp.Click(sel("#save")), chromedp.WaitVisible(sel("#user-status")))
		b.Step("create-"+tc.mode, actions...)
		if got := b.Text(`p[role="status"]`); !strings.Contains(got, "is created") {
			t.Errorf("%s: the page says %q", tc.mode, got)
		}
		email := tc.local + "@acme.example"
		if tc.kind == "" {
			if e.Mail.Count(email) != 0 {
				t.Errorf("%s: an email was sent", tc.mode)
			}
			continue
		}
		m := e.Mail.Last(t, email)
		if m.Kind != tc.kind {
			t.Errorf("%s: email of kind %s", tc.mode, m.Kind)
		}
		if tc.mode == "set_and_email" && !strings.Contains(m.Text, tc.password) {
			t.Errorf("%s: the email lacks the password", tc.mode)
		}
		if tc.mode == "invite" {
			e.Mail.Link(t, email)
		}
	}
}

// TestBrowserEditBanValidateUnlock edits a user with a blank password,
// bans and validates it from the row menu, then unlocks it after 10
// wrong passwords with a new one.
func TestBrowserEditBanValidateUnlock(t *testing.T) {
	e := consoletest.New(t)
	u := e.Users["user"]
	b := browserAdmin(t, e)
	row := "#user-" + u.ID
	b.Step("open-edit-by-name",
		chromedp.Click(sel(row+" a.user-name")),
		chromedp.WaitVisible(sel("#givenName")),
	)
	b.Step("edit-with-blank-password",
		chromedp.SetValue(sel("#givenName"), "Edited"),
		chromedp.Click(sel("#save")),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID)
	if got.GivenName != "Edited" || got.PasswordHash != u.PasswordHash {
		t.Errorf("after the edit: %q, password changed %v", got.GivenName, got.PasswordHash != u.PasswordHash)
	}
	if h := b.Text("#history"); !strings.Contains(h, "user.") {
		t.Errorf("history: %q", h)
	}
	b.Step("ban-from-the-row-menu",
		chromedp.Navigate(b.URL("/users")),
		chromedp.Click(sel(row+" summary")),
		chromedp.Click(sel(row+` form[action$="/suspend"] button`)),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID); got.Status != directory.StatusSuspended {
		t.Fatalf("after ban: %s", got.Status)
	}
	b.Step("validate-from-the-row-menu",
		chromedp.Click(sel(row+" summary")),
		chromedp.Click(sel(row+` form[action$="/reactivate"] button`)),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, u.ID); got.Status != directory.StatusActive {
		t.Fatalf("after validate: %s", got.Status)
	}
	for range 10 {
		_, _ = e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", "wrong-password")
	}
	b.Step("locked-user-page",
		chromedp.Navigate(b.URL("/users/"+u.ID)),
		chromedp.WaitVisible(sel("#unlock")),
	)
	if s := b.Text("#user-status"); s != "locked" {
		t.Fatalf("status shown %q", s)
	}
	b.Step("unlock-with-a-new-password",
		chromedp.SendKeys(sel("#unlock-password"), "Unlocked-Horse-8"),
		chromedp.Click(sel("#unlock")),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	if _, err := e.Auth.PasswordLogin(e.Ctx, "acme", "user@acme.example", "Unlocked-Horse-8"); err != nil {
		t.Errorf("login after unlock: %v", err)
	}
}

// TestBrowserBulkDeleteAndRestore ticks two users, confirms the dialog
// that names how many, then restores one from the deleted users.
func TestBrowserBulkDeleteAndRestore(t *testing.T) {
	e := usersEnv(t)
	a, c := e.CreateUser(e.Acme, "del1@acme.example", directory.RoleUser, ""), e.CreateUser(e.Acme, "del2@acme.example", directory.RoleUser, "")
	b := browserAdmin(t, e)
	b.Step("tick-two",
		chromedp.Click(sel("#user-"+a.ID+` input[type="checkbox"]`)),
		chromedp.Click(sel("#user-"+c.ID+` input[type="checkbox"]`)),
		chromedp.Click(sel("#bulk-delete")),
		chromedp.WaitVisible(sel("#confirm-delete")),
	)
	if got := b.Text("#confirm-title"); got != "Delete 2 users?" {
		t.Fatalf("dialog title %q", got)
	}
	b.Step("confirm",
		chromedp.Click(sel("#confirm-delete-button")),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	if got := b.Text(`p[role="status"]`); got != "2 users deleted." {
		t.Errorf("message %q", got)
	}
	b.Step("deleted-users",
		chromedp.Click(sel("#deleted-users")),
		chromedp.WaitVisible(sel("#user-"+a.ID)),
	)
	b.Step("restore",
		chromedp.Click(sel("#user-"+a.ID+" summary")),
		chromedp.Click(sel("#user-"+a.ID+` form[action$="/restore"] button`)),
		chromedp.WaitVisible(sel(`p[role="status"]`)),
	)
	if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, a.ID); got.Status == directory.StatusDeleted {
		t.Error("not restored")
	}
	if got, _ := e.Svc.GetUser(e.Ctx, e.Acme.ID, c.ID); got.Status != directory.StatusDeleted {
		t.Error("the other user was restored too")
	}
}

// TestBrowserImportWithABadRow reads a CSV with one bad row, sees the
// cell's problem, is refused, then imports the corrected file.
func TestBrowserImportWithABadRow(t *testing.T) {
	e := consoletest.New(t)
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.csv"), filepath.Join(dir, "good.csv")
	if err := os.WriteFile(bad, []byte(badCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(goodCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	b := browserAdmin(t, e)
	b.Step("read-the-bad-file",
		chromedp.Navigate(b.URL("/users/import")),
		chromedp.WaitVisible(sel("#file")),
		chromedp.SetUploadFiles(sel("#file"), []string{bad}),
		chromedp.Click(sel("#read-file")),
		chromedp.WaitVisible(sel("#problems")),
	)
	if got := b.Text("#problem-row-4"); !strings.Contains(got, "D4") {
		t.Errorf("row 4's problem reads %q", got)
	}
	b.Step("create-is-refused",
		chromedp.Click(sel("#create-users")),
		chromedp.WaitVisible(sel("#refused")),
	)
	b.Step("read-the-good-file",
		chromedp.Navigate(b.URL("/users/import")),
		chromedp.WaitVisible(sel("#file")),
		chromedp.SetUploadFiles(sel("#file"), []string{good}),
		chromedp.Click(sel("#read-file")),
		chromedp.WaitVisible(sel("#preview-summary")),
	)
	b.Step("create-users",
		chromedp.Click(sel("#create-users")),
		chromedp.WaitVisible(sel("#created")),
	)
	if got := b.Text("#job-result"); !strings.Contains(got, "2 users created") {
		t.Errorf("result %q", got)
	}
	e.Console.Wait()
	if e.Mail.Count("imp1@acme.example") != 1 {
		t.Error("no invitation")
	}
}

// TestBrowserMultipleUserForm generates three rows, fills two (one
// taken), and sees the error on its row.
func TestBrowserMultipleUserForm(t *testing.T) {
	e := consoletest.New(t)
	b := browserAdmin(t, e)
	b.Step("generate-rows",
		chromedp.Navigate(b.URL("/users/multi")),
		chromedp.WaitVisible(sel("#n")),
		chromedp.SetValue(sel("#n"), "3"),
		chromedp.Click(sel("#generate")),
		chromedp.WaitVisible(sel(`input[name="rows.2.email"]`)),
	)
	b.Step("fill-and-create",
		chromedp.SendKeys(sel(`input[name="rows.0.givenName"]`), "Multi"),
		chromedp.SendKeys(sel(`input[name="rows.0.email"]`), "multi@acme.example"),
		chromedp.SendKeys(sel(`input[name="rows.1.givenName"]`), "Taken"),
		chromedp.SendKeys(sel(`input[name="rows.1.email"]`), "user@acme.example"),
		chromedp.Click(sel("#create-users")),
		chromedp.WaitVisible(sel("#row-1-error")),
	)
	if got := b.Text("#row-1-error"); got == "" {
		t.Error("row 1 shows no error")
	}
	if e.Mail.Count("multi@acme.example") != 1 {
		t.Error("row 0 got no invitation")
	}
}
