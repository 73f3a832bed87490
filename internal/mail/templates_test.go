package mail

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func TestEveryTemplateRenders(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	d := templateData{
		OrgName: "Acme", Name: "Ada", UserName: "ada@acme.example", Link: "https://r.example/l?t=tok",
		LinkExpires: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Password: "Pw-4711-xyz", LoginURL: "https://r.example/login",
		FailedAttempts: 10, DeactivateAt: time.Date(2026, 6, 2, 3, 0, 0, 0, time.UTC),
	}
	want := map[Kind][]string{
		Invitation:        {"invited to Acme", "https://r.example/l?t=tok", "1 March 2026 at 12:00 UTC"},
		PasswordSet:       {"account is ready", "Pw-4711-xyz", "https://r.example/login"},
		PasswordReset:     {"Reset your Acme password", "https://r.example/l?t=tok"},
		Lockout:           {"account is locked", "after 10\nwrong passwords"},
		InactivityWarning: {"will be deactivated soon", "2 June 2026 at 03:00 UTC", "https://r.example/login"},
		Unlocked:          {"account is unlocked", "Pw-4711-xyz", "https://r.example/login"},
	}
	for _, k := range Kinds {
		t.Run(string(k)+" names what the user needs", func(t *testing.T) {
			m, err := tpl.Render(k, "ada@acme.example", d)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != "ada@acme.example" || m.Kind != k || m.HTML == "" || strings.Contains(m.Subject, "\n") {
				t.Fatalf("unexpected message %+v", m)
			}
			all := m.Subject + "\n" + m.Text
			for _, s := range want[k] {
				if !strings.Contains(all, s) {
					t.Errorf("%s lacks %q:\n%s", k, s, all)
				}
			}
			if !strings.HasSuffix(m.Text, "Roster\n") {
				t.Errorf("text is not signed with the default product name: %q", m.Text)
			}
		})
	}
}

func TestPasswordSetWithoutPasswordSaysTheAdminTells(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(PasswordSet, "ada@acme.example", templateData{OrgName: "Acme", UserName: "ada@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "administrator will tell you") || strings.Contains(m.Text, "Your password is") {
		t.Fatalf("text %q", m.Text)
	}
}

func TestHTMLEscapesValues(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(Invitation, "x@acme.example", templateData{
		OrgName: `<script>alert(1)</script>`, UserName: "x@acme.example", Link: `javascript:alert(1)`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `href="javascript:`) {
		t.Fatalf("html not escaped: %s", m.HTML)
	}
}

func TestRenderUnknownKind(t *testing.T) {
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render("welcome_back", "x@acme.example", templateData{}); err == nil {
		t.Fatal("rendered an unknown template")
	}
}

// recorder is a notifier that keeps what it is given.
type recorder struct{ got []Message }

func (r *recorder) Send(_ context.Context, m Message) error {
	r.got = append(r.got, m)
	return nil
}

func TestMailerComposesAndSends(t *testing.T) {
	rec := &recorder{}
	m, err := NewMailer(rec, "https://roster.example.com", "Acme Login")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.Compose.Lockout(&directory.Org{Name: "Acme"}, &directory.User{UserName: "ada@acme.example", Email: "ada@acme.example", FailedLogins: 3}, directory.FactorPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || !strings.HasSuffix(rec.got[0].Text, "Acme Login\n") {
		t.Fatalf("got %+v", rec.got)
	}
}

func TestLogNotifierNeverLogsTheBody(t *testing.T) {
	var buf bytes.Buffer
	n := NewLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	err := n.Send(context.Background(), Message{To: "ada@acme.example", Subject: "Your account is ready", Kind: PasswordSet,
		Text: "Your password is Pw-4711-xyz", HTML: "<p>Pw-4711-xyz</p>"})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "Pw-4711-xyz") {
		t.Fatalf("log holds the password: %s", out)
	}
	if !strings.Contains(out, "ada@acme.example") || !strings.Contains(out, "password_set") {
		t.Fatalf("log lacks recipient or kind: %s", out)
	}
}

func TestOutboxWritesPrivateEMLFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	clock := func() time.Time { return time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC) }
	n, err := New(Config{Driver: DriverFile, From: "no-reply@acme.example", OutboxDir: dir}, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	want := testMessage(t)
	for range 2 {
		if err := n.Send(context.Background(), want); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("outbox holds %d files, want 2", len(entries))
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.Name(), "20260501T090000") || !strings.HasSuffix(e.Name(), ".eml") || info.Mode().Perm() != 0o600 {
			t.Fatalf("file %s mode %v", e.Name(), info.Mode())
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkMIME(t, raw, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"unknown driver":       {Driver: "pigeon", From: "a@b.example"},
		"smtp without a from":  {Driver: DriverSMTP, SMTP: SMTPConfig{Host: "mail.example"}},
		"file without a dir":   {Driver: DriverFile, From: "a@b.example"},
		"smtp without a host":  {Driver: DriverSMTP, From: "a@b.example"},
		"from is not an email": {Driver: DriverFile, From: "nobody", OutboxDir: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg, slog.New(slog.DiscardHandler), time.Now); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
