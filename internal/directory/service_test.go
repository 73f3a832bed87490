package directory_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
)

// The service is tested over the real SQLite store: its promises (audit in
// the same transaction, retries on stale versions, atomic group changes) are
// about what reaches the database.

var (
	admin = directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Ada Admin"}
	scim  = directory.Actor{Kind: directory.ActorToken, ID: "token-1", Name: "Entra", Source: directory.SourceSCIM}
	ldap  = directory.Actor{Kind: directory.ActorConnector, ID: "conn-1", Name: "AD", Source: directory.SourceLDAP}
)

type fixture struct {
	svc   *directory.Service
	store directory.Store
	org   *directory.Org
	other *directory.Org
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := directory.NewService(st, time.Now)
	org, err := svc.CreateOrg(ctx, admin, &directory.Org{Slug: "acme", Name: "Acme", Domains: []directory.Domain{{Name: "acme.com", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}},
		UserProperties: []directory.PropertyDef{{Key: "badge", Label: "Badge", Type: directory.PropertyString}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateOrg(ctx, admin, &directory.Org{Slug: "globex", Name: "Globex", Domains: []directory.Domain{{Name: "globex.com", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: st, org: org, other: other, ctx: ctx}
}

func (f *fixture) user(t *testing.T, actor directory.Actor, userName string) *directory.User {
	t.Helper()
	u, err := f.svc.CreateUser(f.ctx, actor, f.org.ID, &directory.User{UserName: userName, GivenName: "Test", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) auditActions(t *testing.T, targetID string) []string {
	t.Helper()
	page, err := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{TargetID: targetID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Events) - 1; i >= 0; i-- { // oldest first
		out = append(out, page.Events[i].Action)
	}
	return out
}

func TestCreateUser(t *testing.T) {
	f := newFixture(t)
	t.Run("a local user without a password waits for its invitation", func(t *testing.T) {
		u, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "new@acme.com"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != directory.StatusPending || u.Version != 1 || u.ActivatedAt != nil {
			t.Fatalf("got status %s version %d activated %v", u.Status, u.Version, u.ActivatedAt)
		}
	})
	t.Run("a userName is unique within its organization regardless of case", func(t *testing.T) {
		f.user(t, admin, "taken@acme.com")
		_, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "TAKEN@acme.com"})
		if directory.ErrorCode(err) != directory.CodeConflict {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	t.Run("two organizations may each have jdoe", func(t *testing.T) {
		for _, org := range []*directory.Org{f.org, f.other} {
			if _, err := f.svc.CreateUser(f.ctx, admin, org.ID, &directory.User{UserName: "jdoe"}); err != nil {
				t.Fatalf("jdoe in %s: %v", org.Slug, err)
			}
		}
	})
	t.Run("a login email on a domain another organization verified is refused", func(t *testing.T) {
		_, err := f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "ceo@acme.com"})
		var e *directory.Error
		if !errors.As(err, &e) || e.Code != directory.CodeConflict || e.Field != "email" || !strings.Contains(e.Message, "acme.com") {
			t.Fatalf("got %v, want a conflict naming acme.com", err)
		}
		_, err = f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "ceo", Email: "CEO@Acme.com"})
		if directory.ErrorCode(err) != directory.CodeConflict {
			t.Fatalf("email given apart: got %v, want conflict", err)
		}
		u, err := f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "ceo", Email: "ceo@globex.com"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.UpdateUser(f.ctx, admin, f.other.ID, u.ID, 0, func(u *directory.User) error { u.Email = "ceo@acme.com"; return nil })
		if directory.ErrorCode(err) != directory.CodeConflict {
			t.Fatalf("update onto acme.com: got %v, want conflict", err)
		}
		// The organization that verified the domain may use it.
		if _, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "ceo@acme.com"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a user without an email address has no login email", func(t *testing.T) {
		u, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "E12345"})
		if err != nil || u.Email != "" {
			t.Fatalf("got %+v, %v", u, err)
		}
	})
	t.Run("the creation is audited with the actor", func(t *testing.T) {
		u := f.user(t, admin, "audited@acme.com")
		page, err := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{TargetID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 1 || page.Events[0].Action != "user.create" || page.Events[0].ActorID != admin.ID {
			t.Fatalf("audit events %+v", page.Events)
		}
		if _, ok := page.Events[0].Changes["password"]; ok {
			t.Fatal("audit event mentions the password")
		}
	})
	t.Run("an invalid user changes nothing", func(t *testing.T) {
		before, _ := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{Limit: 1000})
		_, err := f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "nope", Properties: map[string]any{"badge": 1.0}})
		if directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("got %v", err)
		}
		_, err = f.svc.CreateUser(f.ctx, admin, f.org.ID, &directory.User{UserName: "ok@acme.com", Properties: map[string]any{"badge": 1.0}})
		if directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("wrong property type: got %v", err)
		}
		after, _ := f.svc.ListAudit(f.ctx, f.org.ID, directory.AuditQuery{Limit: 1000})
		if len(after.Events) != len(before.Events) {
			t.Fatal("a refused create wrote an audit event")
		}
	})
	t.Run("an unknown organization is not found", func(t *testing.T) {
		_, err := f.svc.CreateUser(f.ctx, admin, directory.NewID(), &directory.User{UserName: "ghost@acme.com"})
		if directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, scim, "grace@acme.com")

	t.Run("a change that changes nothing keeps the version", func(t *testing.T) {
		got, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error { u.GivenName = "Test"; return nil })
		if err != nil || got.Version != u.Version {
			t.Fatalf("version %d -> %v, err %v", u.Version, got.Version, err)
		}
	})
	t.Run("a change moves the version and is audited", func(t *testing.T) {
		got, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error { u.Title = "Admiral"; return nil })
		if err != nil || got.Version == u.Version || got.Title != "Admiral" {
			t.Fatalf("got %+v, %v", got, err)
		}
		if acts := f.auditActions(t, u.ID); len(acts) != 2 || acts[1] != "user.update" {
			t.Fatalf("audit %v", acts)
		}
	})
	t.Run("a pinned stale version fails the precondition", func(t *testing.T) {
		_, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, u.Version, func(u *directory.User) error { u.Title = "x"; return nil })
		if directory.ErrorCode(err) != directory.CodePreconditionFailed {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("another organization's user is not found", func(t *testing.T) {
		_, err := f.svc.UpdateUser(f.ctx, admin, f.other.ID, u.ID, 0, func(u *directory.User) error { u.Title = "x"; return nil })
		if directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("concurrent unpinned updates all land", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error {
					u.Emails = append(u.Emails, directory.Email{Value: "alias" + string(rune('a'+i)) + "@acme.com"})
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := f.svc.GetUser(f.ctx, f.org.ID, u.ID)
		if len(got.Emails) != 8 {
			t.Fatalf("%d emails, want 8: an update was lost", len(got.Emails))
		}
	})
}

func TestStatusRulesThroughTheService(t *testing.T) {
	f := newFixture(t)
	setActive := func(actor directory.Actor, id string, active bool) *directory.User {
		t.Helper()
		u, err := f.svc.UpdateUser(f.ctx, actor, f.org.ID, id, 0, func(u *directory.User) error {
			u.Status, _ = directory.StatusFromDirectory(u, active, actor.StatusAuthority())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Run("an IdP re-sending active=true does not unban", func(t *testing.T) {
		u := f.user(t, scim, "banned@acme.com")
		if _, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, u.ID, directory.StatusSuspended, "policy violation"); err != nil {
			t.Fatal(err)
		}
		got := setActive(scim, u.ID, true)
		if got.Status != directory.StatusSuspended || got.StatusSetBy != directory.AuthorityAdmin {
			t.Fatalf("status %s set by %s", got.Status, got.StatusSetBy)
		}
	})
	t.Run("a mutator forcing active is ignored for a directory", func(t *testing.T) {
		u := f.user(t, scim, "forced@acme.com")
		if _, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, u.ID, directory.StatusSuspended, "ban"); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.UpdateUser(f.ctx, ldap, f.org.ID, u.ID, 0, func(u *directory.User) error { u.Status = directory.StatusActive; return nil })
		if err != nil || got.Status != directory.StatusSuspended {
			t.Fatalf("got %v, %v", got.Status, err)
		}
	})
	t.Run("SCIM suspends and lifts its own suspension", func(t *testing.T) {
		u := f.user(t, scim, "cycle@acme.com")
		if got := setActive(scim, u.ID, false); got.Status != directory.StatusSuspended || got.StatusSetBy != directory.AuthoritySCIM {
			t.Fatalf("after active=false: %s by %s", got.Status, got.StatusSetBy)
		}
		if got := setActive(scim, u.ID, true); got.Status != directory.StatusActive {
			t.Fatalf("after active=true: %s", got.Status)
		}
	})
	t.Run("another directory cannot lift SCIM's suspension", func(t *testing.T) {
		u := f.user(t, scim, "ldapless@acme.com")
		setActive(scim, u.ID, false)
		if got := setActive(ldap, u.ID, true); got.Status != directory.StatusSuspended {
			t.Fatalf("ldap lifted scim's suspension: %s", got.Status)
		}
	})
	t.Run("an admin unlocks a locked user and its failed logins reset", func(t *testing.T) {
		u := f.user(t, admin, "locked@acme.com")
		login := directory.Actor{Kind: directory.ActorSystem, Name: "login", Authority: directory.AuthorityLogin}
		if _, err := f.svc.SetStatus(f.ctx, login, f.org.ID, u.ID, directory.StatusLocked, "10 wrong passwords"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.ctx, scim, f.org.ID, u.ID, directory.StatusActive, ""); directory.ErrorCode(err) != directory.CodeForbidden {
			t.Fatalf("scim unlocking: got %v, want forbidden", err)
		}
		got, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, u.ID, directory.StatusActive, "unlocked")
		if err != nil || got.Status != directory.StatusActive || got.FailedLogins != 0 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("soft delete hides and restore brings back the previous status", func(t *testing.T) {
		u := f.user(t, scim, "gone@acme.com")
		if _, err := f.svc.SetStatus(f.ctx, admin, f.org.ID, u.ID, directory.StatusSuspended, "ban"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, u.ID, 0); err != nil {
			t.Fatal(err)
		}
		page, err := f.svc.ListUsers(f.ctx, f.org.ID, directory.UserQuery{Filter: directory.Eq(directory.UserUserName, "gone@acme.com")})
		if err != nil || len(page.Users) != 0 {
			t.Fatalf("deleted user still listed: %v %v", page, err)
		}
		if _, err := f.svc.UpdateUser(f.ctx, scim, f.org.ID, u.ID, 0, func(u *directory.User) error { u.Title = "x"; return nil }); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("updating a deleted user: %v", err)
		}
		got, err := f.svc.RestoreUser(f.ctx, scim, f.org.ID, u.ID)
		if err != nil || got.Status != directory.StatusSuspended || got.StatusSetBy != directory.AuthorityAdmin || got.DeletedAt != nil {
			t.Fatalf("restored to %+v, %v", got, err)
		}
		if acts := f.auditActions(t, u.ID); len(acts) != 4 || acts[2] != "user.delete" || acts[3] != "user.restore" {
			t.Fatalf("audit %v", acts)
		}
	})
}

func TestGroups(t *testing.T) {
	f := newFixture(t)
	a, b := f.user(t, scim, "a@acme.com"), f.user(t, scim, "b@acme.com")
	g, err := f.svc.CreateGroup(f.ctx, scim, f.org.ID, &directory.Group{DisplayName: "Pilots"}, []string{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	members := func() []string {
		page, err := f.svc.ListMembers(f.ctx, f.org.ID, g.ID, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Members {
			ids = append(ids, m.UserID)
		}
		return ids
	}
	t.Run("a rename with a bad member applies nothing", func(t *testing.T) {
		_, err := f.svc.UpdateGroup(f.ctx, scim, f.org.ID, g.ID, directory.GroupChange{
			Mutate: func(g *directory.Group) error { g.DisplayName = "Renamed"; return nil },
			Add:    []string{b.ID, directory.NewID()},
		})
		if directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("got %v", err)
		}
		got, _ := f.svc.GetGroup(f.ctx, f.org.ID, g.ID)
		if got.DisplayName != "Pilots" || len(members()) != 1 {
			t.Fatalf("partial change applied: %s %v", got.DisplayName, members())
		}
	})
	t.Run("another organization's user cannot be added", func(t *testing.T) {
		stranger, err := f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "x@globex.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdateGroup(f.ctx, scim, f.org.ID, g.ID, directory.GroupChange{Add: []string{stranger.ID}}); directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("membership changes move the version", func(t *testing.T) {
		got, err := f.svc.UpdateGroup(f.ctx, scim, f.org.ID, g.ID, directory.GroupChange{Add: []string{b.ID}, Remove: []string{a.ID}})
		if err != nil || got.Version == g.Version {
			t.Fatalf("got %+v, %v", got, err)
		}
		if m := members(); len(m) != 1 || m[0] != b.ID {
			t.Fatalf("members %v", m)
		}
	})
	t.Run("replace sets the exact member list", func(t *testing.T) {
		list := []string{a.ID, b.ID}
		if _, err := f.svc.UpdateGroup(f.ctx, scim, f.org.ID, g.ID, directory.GroupChange{Replace: &list}); err != nil {
			t.Fatal(err)
		}
		if m := members(); len(m) != 2 {
			t.Fatalf("members %v", m)
		}
	})
	t.Run("an unchanged group keeps its version", func(t *testing.T) {
		cur, _ := f.svc.GetGroup(f.ctx, f.org.ID, g.ID)
		got, err := f.svc.UpdateGroup(f.ctx, scim, f.org.ID, g.ID, directory.GroupChange{Add: []string{a.ID}})
		if err != nil || got.Version != cur.Version {
			t.Fatalf("version %d -> %d, %v", cur.Version, got.Version, err)
		}
	})
	t.Run("another organization cannot delete it", func(t *testing.T) {
		if err := f.svc.DeleteGroup(f.ctx, scim, f.other.ID, g.ID, 0); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	plain, tok, err := f.svc.CreateToken(f.ctx, admin, f.org.ID, "Entra provisioning")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the plaintext authenticates", func(t *testing.T) {
		got, err := f.svc.AuthenticateToken(f.ctx, directory.TokenSCIM, plain)
		if err != nil || got.OrgID != f.org.ID || got.LastUsedAt == nil {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	for name, bad := range map[string]string{
		"a wrong secret": plain[:len(plain)-2] + "xx",
		"garbage":        "hello",
		"an empty token": "",
		"an unknown id":  "rst_00000000000000000000000000000000_secret",
	} {
		t.Run(name+" is unauthorized", func(t *testing.T) {
			if _, err := f.svc.AuthenticateToken(f.ctx, directory.TokenSCIM, bad); directory.ErrorCode(err) != directory.CodeUnauthorized {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("another organization cannot revoke it", func(t *testing.T) {
		if err := f.svc.RevokeToken(f.ctx, admin, f.other.ID, tok.ID); directory.ErrorCode(err) != directory.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a revoked token no longer authenticates", func(t *testing.T) {
		if err := f.svc.RevokeToken(f.ctx, admin, f.org.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.AuthenticateToken(f.ctx, directory.TokenSCIM, plain)
		if directory.ErrorCode(err) != directory.CodeUnauthorized {
			t.Fatalf("got %v", err)
		}
	})
}

func TestUpdateOrg(t *testing.T) {
	f := newFixture(t)
	got, err := f.svc.UpdateOrg(f.ctx, admin, f.org.ID, f.org.Version, func(o *directory.Org) error {
		o.Settings.MFAPolicy = directory.MFARequired
		return nil
	})
	if err != nil || got.Settings.MFAPolicy != directory.MFARequired || got.Version == f.org.Version {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := f.svc.UpdateOrg(f.ctx, admin, f.org.ID, f.org.Version, func(o *directory.Org) error { o.Name = "x"; return nil }); directory.ErrorCode(err) != directory.CodePreconditionFailed {
		t.Fatalf("stale org update: %v", err)
	}
	if _, err := f.svc.UpdateOrg(f.ctx, admin, f.org.ID, 0, func(o *directory.Org) error { o.Settings.LockoutThreshold = 0; return nil }); directory.ErrorCode(err) != directory.CodeInvalid {
		t.Fatalf("invalid settings: %v", err)
	}
	if acts := f.auditActionsOrg(t); len(acts) != 2 || acts[1] != "org.update" {
		t.Fatalf("audit %v", acts)
	}
}

func (f *fixture) auditActionsOrg(t *testing.T) []string { return f.auditActions(t, f.org.ID) }

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := directory.NewService(st, time.Now)
	system := directory.Actor{Kind: directory.ActorSystem, Name: "bootstrap"}
	admin := &directory.User{UserName: "admin@acme.com", Role: directory.RoleOrgAdmin, Status: directory.StatusActive, PasswordHash: "hash"}

	t.Run("an invalid admin leaves the database empty", func(t *testing.T) {
		bad := &directory.User{UserName: "not an email"}
		if _, err := svc.Bootstrap(ctx, system, &directory.Org{Slug: "acme", Name: "Acme"}, bad, "bootstrap"); directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("got %v", err)
		}
		if n, _ := svc.CountOrgs(ctx); n != 0 {
			t.Fatalf("%d organizations after a failed setup", n)
		}
	})
	t.Run("the first call creates organization, admin and token", func(t *testing.T) {
		setup, err := svc.Bootstrap(ctx, system, &directory.Org{Slug: "acme", Name: "Acme"}, admin, "bootstrap")
		if err != nil || setup == nil {
			t.Fatalf("got %v, %v", setup, err)
		}
		if setup.Admin.Role != directory.RoleOrgAdmin || setup.Admin.Status != directory.StatusActive || setup.Admin.ActivatedAt == nil {
			t.Fatalf("admin %+v", setup.Admin)
		}
		tok, err := svc.AuthenticateToken(ctx, directory.TokenSCIM, setup.TokenPlain)
		if err != nil || tok.OrgID != setup.Org.ID {
			t.Fatalf("token %+v, %v", tok, err)
		}
	})
	t.Run("a second call finds the database set up", func(t *testing.T) {
		setup, err := svc.Bootstrap(ctx, system, &directory.Org{Slug: "other", Name: "Other"}, admin, "bootstrap")
		if err != nil || setup != nil {
			t.Fatalf("got %v, %v", setup, err)
		}
	})
}

func TestDeletePinsTheVersion(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, scim, "pinned@acme.com")
	g, err := f.svc.CreateGroup(f.ctx, scim, f.org.ID, &directory.Group{DisplayName: "Pinned"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a stale version deletes no user", func(t *testing.T) {
		if _, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, u.ID, u.Version+1); directory.ErrorCode(err) != directory.CodePreconditionFailed {
			t.Fatalf("got %v, want precondition failed", err)
		}
		if got, _ := f.svc.GetUser(f.ctx, f.org.ID, u.ID); got.Deleted() {
			t.Fatal("the user was deleted")
		}
	})
	t.Run("a stale version deletes no group", func(t *testing.T) {
		if err := f.svc.DeleteGroup(f.ctx, scim, f.org.ID, g.ID, g.Version+1); directory.ErrorCode(err) != directory.CodePreconditionFailed {
			t.Fatalf("got %v, want precondition failed", err)
		}
		if _, err := f.svc.GetGroup(f.ctx, f.org.ID, g.ID); err != nil {
			t.Fatalf("the group is gone: %v", err)
		}
	})
	t.Run("the current version deletes", func(t *testing.T) {
		if _, err := f.svc.DeleteUser(f.ctx, scim, f.org.ID, u.ID, u.Version); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteGroup(f.ctx, scim, f.org.ID, g.ID, g.Version); err != nil {
			t.Fatal(err)
		}
	})
}
