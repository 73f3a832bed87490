package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func TestJobsRunInactivity(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("user", "create", "--org", "acme", "--email", "idle@acme.com", "--role", "user", "--generate-password")
	// Pending, and never sent an invitation: counted from its creation.
	c.mustRun("user", "create", "--org", "acme", "--email", "never@acme.com", "--role", "user")

	t.Run("a user active for less than the inactivity days is kept", func(t *testing.T) {
		out := c.mustRun("jobs", "run", "inactivity", "--now", time.Now().Add(89*24*time.Hour).UTC().Format(time.RFC3339))
		if !strings.Contains(out, "acme: 0 marked inactive") {
			t.Fatalf("output:\n%s", out)
		}
	})
	t.Run("after 90 days without a login the user is marked inactive", func(t *testing.T) {
		out := c.mustRun("jobs", "run", "inactivity", "--org", "acme", "--now", time.Now().Add(91*24*time.Hour).UTC().Format(time.RFC3339))
		if !strings.Contains(out, "acme: 2 marked inactive") {
			t.Fatalf("output:\n%s", out)
		}
		for _, name := range []string{"idle@acme.com", "never@acme.com"} {
			u, err := findUser(context.Background(), c.service(), name)
			if err != nil {
				t.Fatal(err)
			}
			if u.Status != directory.StatusInactive || u.StatusSetBy != directory.AuthorityJob {
				t.Fatalf("%s: status %s set by %s", name, u.Status, u.StatusSetBy)
			}
		}
	})
	t.Run("bad arguments are refused", func(t *testing.T) {
		if code, _, _ := c.run("jobs", "run", "cleanup"); code != 2 {
			t.Errorf("unknown job: exit %d, want 2", code)
		}
		if code, _, _ := c.run("jobs", "run", "inactivity", "--now", "yesterday"); code != 1 {
			t.Errorf("bad --now: exit %d, want 1", code)
		}
	})
}

func TestImport(t *testing.T) {
	c := newCLI(t)
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	dir := t.TempDir()
	good := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(good, []byte("userName,givenName,familyName,role\nana@acme.com,Ana,Lima,user\nbo@acme.com,Bo,Berg,org_viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("a dry run writes nothing", func(t *testing.T) {
		out := c.mustRun("import", "--org", "acme", "--file", good, "--dry-run")
		if !strings.Contains(out, "2 to create") {
			t.Fatalf("output:\n%s", out)
		}
		if _, err := findUser(context.Background(), c.service(), "ana@acme.com"); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("dry run created a user: %v", err)
		}
	})
	t.Run("an import creates the users", func(t *testing.T) {
		out := c.mustRun("import", "--org", "acme", "--file", good)
		if !strings.Contains(out, "2 created") {
			t.Fatalf("output:\n%s", out)
		}
		u, err := findUser(context.Background(), c.service(), "bo@acme.com")
		if err != nil || u.Role != directory.RoleOrgViewer || u.Source != directory.SourceImport {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("a file with a bad row writes nothing", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("userName,role\ncy@acme.com,user\ndee@acme.com,boss\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := c.run("import", "--org", "acme", "--file", bad)
		if code != 1 || !strings.Contains(stdout+stderr, "nothing was written") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if _, err := findUser(context.Background(), c.service(), "cy@acme.com"); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("a refused file created a user: %v", err)
		}
	})
}

func TestJobsRunInactivityWarnsByEmail(t *testing.T) {
	c := newCLI(t)
	outbox := t.TempDir()
	c.env["ROSTER_MAIL_DRIVER"] = "file"
	c.env["ROSTER_MAIL_FROM"] = "Roster <no-reply@acme.com>"
	c.env["ROSTER_MAIL_OUTBOX_DIR"] = outbox
	c.env["ROSTER_JOBS_INACTIVITY_WARN_DAYS"] = "7"
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("user", "create", "--org", "acme", "--email", "soon@acme.com", "--role", "user", "--generate-password")

	// 85 days in: inside the 7-day warning window, not yet inactive.
	out := c.mustRun("jobs", "run", "inactivity", "--now", time.Now().Add(85*24*time.Hour).UTC().Format(time.RFC3339))
	if !strings.Contains(out, "acme: 0 marked inactive, 1 warned") {
		t.Fatalf("output:\n%s", out)
	}
	files, err := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var warning string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "will be deactivated soon") {
			warning = string(b)
		}
	}
	if !strings.Contains(warning, "soon@acme.com") {
		t.Fatalf("no inactivity warning in the outbox (%d files)", len(files))
	}
	// A second run in the window does not warn again.
	if out := c.mustRun("jobs", "run", "inactivity", "--now", time.Now().Add(86*24*time.Hour).UTC().Format(time.RFC3339)); !strings.Contains(out, "0 warned") {
		t.Fatalf("second run:\n%s", out)
	}
}

func TestImportInvites(t *testing.T) {
	c := newCLI(t)
	outbox := filepath.Join(t.TempDir(), "outbox")
	c.env["ROSTER_MAIL_DRIVER"] = "file"
	c.env["ROSTER_MAIL_FROM"] = "Roster <no-reply@acme.com>"
	c.env["ROSTER_MAIL_OUTBOX_DIR"] = outbox
	c.env["ROSTER_HTTP_PUBLIC_URL"] = "https://roster.acme.com"
	c.env["ROSTER_AUTH_INVITE_TTL"] = "48h"
	c.now = func() time.Time { return time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC) }
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, []byte("userName,givenName,familyName,role\nana@acme.com,Ana,Lima,user\nbo@acme.com,Bo,Berg,org_viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	invitations := func() []string {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(outbox, "*-invitation-*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		return files
	}

	t.Run("a dry run sends nothing", func(t *testing.T) {
		out := c.mustRun("import", "--org", "acme", "--file", file, "--dry-run", "--invite")
		if !strings.Contains(out, "2 to create") {
			t.Fatalf("output:\n%s", out)
		}
		if got := invitations(); len(got) != 0 {
			t.Fatalf("a dry run sent %v", got)
		}
	})
	t.Run("each created user is invited as the API's import invites it", func(t *testing.T) {
		out := c.mustRun("import", "--org", "acme", "--file", file, "--invite")
		if !strings.Contains(out, "2 created") || !strings.Contains(out, "2 invitations sent, 0 not sent") {
			t.Fatalf("output:\n%s", out)
		}
		files := invitations()
		if len(files) != 2 {
			t.Fatalf("outbox holds %v, want two invitations", files)
		}
		to := map[string]bool{}
		for _, f := range files {
			msg := readFile(t, f)
			for _, want := range []string{"no-reply@acme.com", "https://roster.acme.com/set-password?token=", "3 May 2026 at 09:00 UTC"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the invitation lacks %q:\n%s", want, msg)
				}
			}
			for _, name := range []string{"ana@acme.com", "bo@acme.com"} {
				if strings.Contains(msg, "To: <"+name+">") {
					to[name] = true
				}
			}
		}
		if len(to) != 2 {
			t.Errorf("invitations went to %v, want ana and bo", to)
		}
		u, err := findUser(context.Background(), c.service(), "ana@acme.com")
		if err != nil || u.Status != directory.StatusPending {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("users updated, not created, are not invited", func(t *testing.T) {
		c.mustRun("import", "--org", "acme", "--file", file, "--mode", "upsert", "--invite")
		if got := invitations(); len(got) != 2 {
			t.Fatalf("outbox holds %v, want the two invitations of before", got)
		}
	})
}
