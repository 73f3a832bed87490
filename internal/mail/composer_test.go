package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ with what the composer renders")

var (
	acme = &directory.Org{ID: "org-1", Slug: "acme", Name: "Acme"}
	ada  = &directory.User{
		ID: "user-1", OrgID: "org-1", UserName: "ada@acme.example", Email: "ada.lovelace@acme.example",
		GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", FailedLogins: 10,
	}
	expires = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func newTestComposer(t *testing.T) *Composer {
	t.Helper()
	// The trailing slash is dropped: links never hold "//".
	c, err := NewComposer("https://roster.example.com/", "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path) // #nosec G304 -- a file of testdata/
	if err != nil {
		t.Fatalf("%v (run go test ./internal/mail -run TestGolden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is meant, run with -update:\n%s", path, diff)
	}
}

func TestGoldenMessages(t *testing.T) {
	c := newTestComposer(t)
	for _, tc := range []struct {
		golden  string
		kind    Kind
		compose func() (Message, error)
	}{
		{"invitation", Invitation, func() (Message, error) { return c.Invitation(acme, ada, "tok/en+1=", expires) }},
		{"password_set", PasswordSet, func() (Message, error) { return c.PasswordSet(acme, ada, "Pw-4711-xyz") }},
		{"password_set_without_password", PasswordSet, func() (Message, error) { return c.PasswordSet(acme, ada, "") }},
		{"password_reset", PasswordReset, func() (Message, error) { return c.PasswordReset(acme, ada, "tok/en+1=", expires) }},
		{"lockout", Lockout, func() (Message, error) { return c.Lockout(acme, ada, directory.FactorPassword) }},
		{"lockout_wrong_code", Lockout, func() (Message, error) { return c.Lockout(acme, ada, directory.FactorCode) }},
		{"unlocked", Unlocked, func() (Message, error) { return c.Unlocked(acme, ada, "Fresh-Start-2026") }},
		{"inactivity_warning", InactivityWarning, func() (Message, error) {
			return c.InactivityWarning(acme, ada, time.Date(2026, 6, 2, 3, 0, 0, 0, time.UTC))
		}},
	} {
		t.Run(tc.golden+" renders as its golden files", func(t *testing.T) {
			m, err := tc.compose()
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || m.To != ada.Email {
				t.Fatalf("kind %q to %q, want %q to %q", m.Kind, m.To, tc.kind, ada.Email)
			}
			golden(t, tc.golden+".txt.golden", "Subject: "+m.Subject+"\n\n"+m.Text)
			golden(t, tc.golden+".html.golden", m.HTML)
		})
	}
}

func TestEveryKindHasAGoldenTest(t *testing.T) {
	for _, k := range Kinds {
		for _, part := range []string{".txt.golden", ".html.golden"} {
			if _, err := os.Stat(filepath.Join("testdata", string(k)+part)); err != nil {
				t.Errorf("%s has no golden file: %v", k, err)
			}
		}
	}
}

func TestGreetingFallsBackToGivenNameThenLogin(t *testing.T) {
	c := newTestComposer(t)
	for _, tc := range []struct {
		name string
		u    directory.User
		want string
	}{
		{"the display name first", directory.User{UserName: "ada@acme.example", GivenName: "Ada", DisplayName: "Countess"}, "Hello Countess,"},
		{"the given name without a display name", directory.User{UserName: "ada@acme.example", GivenName: "Ada"}, "Hello Ada,"},
		{"the login without either", directory.User{UserName: "ada@acme.example"}, "Hello ada@acme.example,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, compose := range []func() (Message, error){
				func() (Message, error) { return c.Invitation(acme, &tc.u, "t", expires) },
				func() (Message, error) { return c.Lockout(acme, &tc.u, directory.FactorPassword) },
				func() (Message, error) { return c.InactivityWarning(acme, &tc.u, expires) },
			} {
				m, err := compose()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(m.Text, tc.want+"\n") {
					t.Errorf("%s greets %q", m.Kind, strings.SplitN(m.Text, "\n", 2)[0])
				}
			}
		})
	}
}

func TestProductSignsEveryMessage(t *testing.T) {
	c, err := NewComposer("https://roster.example.com", "Acme Login")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Lockout(acme, ada, directory.FactorPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.Text, "Acme Login\n") || !strings.Contains(m.HTML, "&mdash; Acme Login") {
		t.Fatalf("not signed by the product:\n%s\n%s", m.Text, m.HTML)
	}
}
