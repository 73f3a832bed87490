package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/logtest"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// runWithStdin runs one command line with stdin as its standard input.
func (c *cli) runWithStdin(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut logtest.Buffer
	a := c.app(&out, &errOut)
	a.stdin = strings.NewReader(stdin)
	code = a.run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// An operator gets an organization's admin back in: unlock lifts a lock
// (for good or temporary), reset-password prints a one-time link or takes
// the new password on stdin, reset-mfa removes the second factor; each
// ends what it should and is audited as the operator's.
func TestUserRecoveryCommands(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testUserRecovery(t, newCLI(t)) })
	t.Run("postgres", func(t *testing.T) {
		c := newCLI(t)
		c.env["ROSTER_DATABASE_URL"] = pgtest.NewEmptyDatabaseURL(t)
		c.env["ROSTER_SECURITY_ENCRYPTION_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
		testUserRecovery(t, c)
	})
}

func testUserRecovery(t *testing.T, c *cli) {
	ctx := context.Background()
	c.env["ROSTER_HTTP_PUBLIC_URL"] = "https://roster.example.com"
	c.mustRun("org", "create", "--slug", "acme", "--name", "Acme")
	c.mustRun("user", "create", "--org", "acme", "--email", "boss@acme.com", "--role", "org_admin", "--generate-password")
	c.mustRun("user", "create", "--org", "acme", "--email", "ada@acme.com", "--role", "user", "--generate-password")
	svc := c.service()
	org, err := svc.GetOrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	find := func(email string) *directory.User {
		t.Helper()
		u, err := svc.FindUserByEmail(ctx, org.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	boss, ada := find("boss@acme.com"), find("ada@acme.com")
	login := func(u *directory.User) *directory.Session {
		t.Helper()
		sess := &directory.Session{OrgID: org.ID, UserID: u.ID, Kind: directory.SessionAPIToken, Stage: directory.StageFull,
			Name: "automation", SecretHash: directory.NewID(), ExpiresAt: time.Now().Add(time.Hour)}
		if err := svc.StartSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	alive := func(sess *directory.Session) bool {
		t.Helper()
		_, _, err := svc.AuthenticateSession(ctx, sess.SecretHash)
		if err != nil && !directory.IsCode(err, directory.CodeUnauthorized) {
			t.Fatal(err)
		}
		return err == nil
	}
	lastAuditBy := func(u *directory.User, action string) {
		t.Helper()
		page, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{TargetID: u.ID, Action: action})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 || page.Events[0].ActorKind != directory.ActorOperator || page.Events[0].ActorName != "cli" {
			t.Errorf("no %s event by the operator CLI for %s: %+v", action, u.UserName, page.Events)
		}
	}

	t.Run("unlock lifts a lock for good and a temporary one", func(t *testing.T) {
		if _, err := svc.SetStatus(ctx, directory.Actor{Kind: directory.ActorSystem, Authority: directory.AuthorityLogin}, org.ID, ada.ID, directory.StatusLocked, "10 wrong passwords in a row"); err != nil {
			t.Fatal(err)
		}
		out := c.mustRun("user", "unlock", "--org", "acme", "--email", "ada@acme.com")
		if !strings.Contains(out, "Unlocked ada@acme.com in acme: status active") {
			t.Errorf("unlock printed %q", out)
		}
		lastAuditBy(ada, "user.unlock")

		for range org.Settings.LockoutThreshold {
			if _, _, err := svc.RecordFailedLogin(ctx, org.ID, boss.ID, directory.FactorPassword); err != nil {
				t.Fatal(err)
			}
		}
		if u := find("boss@acme.com"); u.Status != directory.StatusActive || u.LockedUntil == nil {
			t.Fatalf("the last admin after %d wrong passwords: %s, locked until %v", org.Settings.LockoutThreshold, u.Status, u.LockedUntil)
		}
		c.mustRun("user", "unlock", "--org", "acme", "--email", "boss@acme.com")
		if u := find("boss@acme.com"); u.LockedUntil != nil || u.FailedLogins != 0 {
			t.Errorf("after unlock: locked until %v, %d failed logins", u.LockedUntil, u.FailedLogins)
		}
		lastAuditBy(boss, "user.unlock")

		code, _, stderr := c.run("user", "unlock", "--org", "acme", "--email", "boss@acme.com")
		if code != 1 || !strings.Contains(stderr, "not locked") {
			t.Errorf("unlocking an unlocked user: exit %d, %q", code, stderr)
		}
	})

	t.Run("reset-password takes the new password on stdin, never from the command line", func(t *testing.T) {
		token := login(boss)
		code, _, stderr := c.runWithStdin("short\n", "user", "reset-password", "--org", "acme", "--email", "boss@acme.com", "--password-stdin")
		if code != 1 || !strings.Contains(stderr, "at least 12 characters") || strings.Contains(stderr, "short") {
			t.Errorf("a weak password: exit %d, %q", code, stderr)
		}
		code, _, stderr = c.run("user", "reset-password", "--org", "acme", "--email", "boss@acme.com", "--password", "Correct-Horse-42")
		if code != 2 {
			t.Errorf("a password on the command line: exit %d, %q; want a usage error", code, stderr)
		}
		code, stdout, stderr := c.runWithStdin("Correct-Horse-42\n", "user", "reset-password", "--org", "acme", "--email", "boss@acme.com", "--password-stdin")
		if code != 0 || strings.Contains(stdout+stderr, "Correct-Horse-42") {
			t.Fatalf("reset-password: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if ok, err := auth.VerifyPassword("Correct-Horse-42", find("boss@acme.com").PasswordHash); err != nil || !ok {
			t.Errorf("the new password does not verify: %v", err)
		}
		if alive(token) {
			t.Error("a personal token outlived the operator's password reset")
		}
		lastAuditBy(boss, "user.password.reset")
	})

	t.Run("reset-password prints a one-time link that sets the password", func(t *testing.T) {
		out := c.mustRun("user", "reset-password", "--org", "acme", "--email", "ada@acme.com")
		raw := capture(t, `(https://roster\.example\.com/reset-password\?token=\S+)`, out)
		link, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		hash := auth.HashSecret(link.Query().Get("token"))
		if _, err := svc.UsePasswordLink(ctx, hash, "new-hash"); err != nil {
			t.Fatalf("the printed link does not work: %v", err)
		}
		if _, err := svc.UsePasswordLink(ctx, hash, "other-hash"); !directory.IsCode(err, directory.CodeNotFound) {
			t.Errorf("the link worked twice: %v", err)
		}
		lastAuditBy(ada, "user.link.create")

		code, _, stderr := c.run("user", "reset-password", "--org", "acme", "--email", "nobody@acme.com")
		if code != 1 || !strings.Contains(stderr, "no user of acme") {
			t.Errorf("an unknown email: exit %d, %q", code, stderr)
		}
		code, _, stderr = c.run("user", "reset-password", "--org", "globex", "--email", "ada@acme.com")
		if code != 1 || !strings.Contains(stderr, `no organization with slug "globex"`) {
			t.Errorf("an unknown organization: exit %d, %q", code, stderr)
		}
	})

	t.Run("reset-mfa removes the second factor and ends sessions", func(t *testing.T) {
		if err := svc.StartTOTPEnrolment(ctx, org.ID, boss.ID, "sealed-seed"); err != nil {
			t.Fatal(err)
		}
		if err := svc.ConfirmTOTP(ctx, directory.Actor{Kind: directory.ActorUser, ID: boss.ID}, org.ID, boss.ID, "sealed-seed", 1, []string{"code-hash"}); err != nil {
			t.Fatal(err)
		}
		token := login(boss)
		out := c.mustRun("user", "reset-mfa", "--org", "acme", "--email", "boss@acme.com")
		if !strings.Contains(out, "Reset the second factor of boss@acme.com") {
			t.Errorf("reset-mfa printed %q", out)
		}
		m, err := svc.GetMFA(ctx, org.ID, boss.ID)
		if err != nil || m.Enrolled() || m.RecoveryCodesLeft != 0 {
			t.Errorf("after reset-mfa: %+v, %v", m, err)
		}
		if alive(token) {
			t.Error("a personal token outlived the MFA reset")
		}
		lastAuditBy(boss, "user.sessions.revoke")
		page, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{TargetID: boss.ID, Action: "user.mfa.reset"})
		if err != nil || len(page.Events) != 1 || page.Events[0].ActorKind != directory.ActorOperator {
			t.Errorf("user.mfa.reset events: %+v, %v", page, err)
		}
	})

	t.Run("the flags are required", func(t *testing.T) {
		for _, sub := range []string{"unlock", "reset-password", "reset-mfa"} {
			if code, _, stderr := c.run("user", sub, "--org", "acme"); code != 2 || !strings.Contains(stderr, "--email is required") {
				t.Errorf("user %s without --email: exit %d, %q", sub, code, stderr)
			}
		}
	})
}
