package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// session stores a login session of u expiring an hour after base.
func (f *fixture) session(u *directory.User, kind directory.SessionKind, stage directory.SessionStage, hash string) *directory.Session {
	f.t.Helper()
	s := &directory.Session{
		ID: newID(), OrgID: u.OrgID, UserID: u.ID, Kind: kind, Stage: stage, Method: "password",
		SecretHash: hash, CreatedAt: f.base, ExpiresAt: f.at(time.Hour),
	}
	must(f.t, "CreateSession", f.s.Sessions().CreateSession(f.ctx, s))
	return s
}

func testSessions(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada := f.user(a, "ada@"+a.Slug+".example")
	login := f.session(ada, directory.SessionLogin, directory.StageMFA, "hash-login")
	token := f.session(ada, directory.SessionAPIToken, directory.StageFull, "hash-token")
	if !login.CreatedAt.Equal(micro(f.base)) {
		t.Errorf("CreateSession left CreatedAt = %v", login.CreatedAt)
	}
	got, err := f.s.Sessions().GetSessionByHash(f.ctx, "hash-login")
	must(t, "GetSessionByHash", err)
	diff(t, "GetSessionByHash", login, got)
	_, err = f.s.Sessions().GetSessionByHash(f.ctx, "no-such-hash")
	wantCode(t, "GetSessionByHash(unknown)", err, directory.CodeNotFound, "")
	dup := &directory.Session{ID: newID(), OrgID: a.ID, UserID: ada.ID, Kind: directory.SessionLogin, Stage: directory.StageFull,
		SecretHash: "hash-login", CreatedAt: f.base, ExpiresAt: f.at(time.Hour)}
	wantCode(t, "CreateSession(same hash)", f.s.Sessions().CreateSession(f.ctx, dup), directory.CodeConflict, "")

	// One code completes one login: the second promotion finds the stage moved on.
	expires := f.at(12 * time.Hour)
	must(t, "PromoteSession", f.s.Sessions().PromoteSession(f.ctx, login.ID, directory.StageMFA, directory.StageFull, "totp", expires))
	wantStale(t, "PromoteSession again", f.s.Sessions().PromoteSession(f.ctx, login.ID, directory.StageMFA, directory.StageFull, "totp", expires))
	got, err = f.s.Sessions().GetSessionByHash(f.ctx, "hash-login")
	must(t, "GetSessionByHash", err)
	if got.Stage != directory.StageFull || got.Method != "totp" || !got.ExpiresAt.Equal(micro(expires)) {
		t.Errorf("promoted session = %+v", got)
	}

	used := f.at(time.Minute)
	must(t, "TouchSession", f.s.Sessions().TouchSession(f.ctx, login.ID, used))
	must(t, "TouchSession(earlier)", f.s.Sessions().TouchSession(f.ctx, login.ID, f.at(time.Second)))
	got, _ = f.s.Sessions().GetSessionByHash(f.ctx, "hash-login")
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(micro(used)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, micro(used))
	}

	list, err := f.s.Sessions().ListSessions(f.ctx, a.ID, ada.ID, directory.SessionAPIToken, f.at(time.Minute))
	must(t, "ListSessions", err)
	diff(t, "ListSessions(tokens)", []*directory.Session{token}, list)
	list, err = f.s.Sessions().ListSessions(f.ctx, b.ID, ada.ID, directory.SessionAPIToken, f.at(time.Minute))
	must(t, "ListSessions through another organization", err)
	if len(list) != 0 {
		t.Errorf("another organization lists %d sessions of ada", len(list))
	}

	wantCode(t, "RevokeSession through another organization", f.s.Sessions().RevokeSession(f.ctx, b.ID, login.ID, used), directory.CodeNotFound, "")
	n, err := f.s.Sessions().RevokeUserSessions(f.ctx, a.ID, ada.ID, false, used)
	must(t, "RevokeUserSessions(logins)", err)
	if n != 1 {
		t.Errorf("RevokeUserSessions(logins) revoked %d, want 1", n)
	}
	got, _ = f.s.Sessions().GetSessionByHash(f.ctx, "hash-token")
	if got.RevokedAt != nil {
		t.Error("revoking logins revoked the personal token too")
	}
	n, err = f.s.Sessions().RevokeUserSessions(f.ctx, a.ID, ada.ID, true, used)
	must(t, "RevokeUserSessions(all)", err)
	if n != 1 {
		t.Errorf("RevokeUserSessions(all) revoked %d, want 1 (the token)", n)
	}
	must(t, "RevokeSession twice", f.s.Sessions().RevokeSession(f.ctx, a.ID, token.ID, f.at(time.Hour)))
	got, _ = f.s.Sessions().GetSessionByHash(f.ctx, "hash-token")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(micro(used)) {
		t.Errorf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, micro(used))
	}
}

func testLinks(t *testing.T, f *fixture) {
	a := f.org("a")
	ada := f.user(a, "ada@"+a.Slug+".example")
	link := func(hash string, expires time.Duration) *directory.Link {
		l := &directory.Link{ID: newID(), OrgID: a.ID, UserID: ada.ID, Purpose: directory.LinkPasswordReset,
			SecretHash: hash, CreatedAt: f.base, ExpiresAt: f.at(expires)}
		must(t, "CreateLink", f.s.Links().CreateLink(f.ctx, l))
		return l
	}
	l := link("h1", time.Hour)
	got, err := f.s.Links().GetLink(f.ctx, "h1")
	must(t, "GetLink", err)
	diff(t, "GetLink", l, got)

	_, err = f.s.Links().ConsumeLink(f.ctx, "h1", f.at(2*time.Hour))
	wantCode(t, "ConsumeLink(expired)", err, directory.CodeNotFound, "")
	used, err := f.s.Links().ConsumeLink(f.ctx, "h1", f.at(time.Minute))
	must(t, "ConsumeLink", err)
	if used.ID != l.ID || used.UsedAt == nil || !used.UsedAt.Equal(micro(f.at(time.Minute))) {
		t.Errorf("ConsumeLink = %+v", used)
	}
	_, err = f.s.Links().ConsumeLink(f.ctx, "h1", f.at(time.Minute))
	wantCode(t, "ConsumeLink(used)", err, directory.CodeNotFound, "")
	_, err = f.s.Links().ConsumeLink(f.ctx, "unknown", f.at(time.Minute))
	wantCode(t, "ConsumeLink(unknown)", err, directory.CodeNotFound, "")

	link("h2", time.Hour)
	must(t, "InvalidateLinks", f.s.Links().InvalidateLinks(f.ctx, a.ID, ada.ID, f.at(time.Minute)))
	_, err = f.s.Links().ConsumeLink(f.ctx, "h2", f.at(2*time.Minute))
	wantCode(t, "ConsumeLink(invalidated)", err, directory.CodeNotFound, "")

	// Concurrent uses of one link: exactly one wins.
	link("h3", time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			if _, err := f.s.Links().ConsumeLink(f.ctx, "h3", f.at(time.Minute)); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent uses of one link succeeded, want 1", wins)
	}
}

func testMFA(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada := f.user(a, "ada@"+a.Slug+".example")
	m, err := f.s.MFA().GetMFA(f.ctx, a.ID, ada.ID)
	must(t, "GetMFA(none)", err)
	diff(t, "GetMFA(none)", &directory.MFAState{OrgID: a.ID, UserID: ada.ID}, m)
	// Recovery codes without TOTP (a passkey or a phone as the only
	// second factor) are counted too, in their organization only.
	bob := f.user(a, "bob@"+a.Slug+".example")
	must(t, "ReplaceRecoveryCodes(no TOTP)", f.s.MFA().ReplaceRecoveryCodes(f.ctx, a.ID, bob.ID, []string{"b1", "b2"}, f.at(0)))
	m, err = f.s.MFA().GetMFA(f.ctx, a.ID, bob.ID)
	must(t, "GetMFA(recovery codes only)", err)
	diff(t, "GetMFA(recovery codes only)", &directory.MFAState{OrgID: a.ID, UserID: bob.ID, RecoveryCodesLeft: 2}, m)
	if m, err = f.s.MFA().GetMFA(f.ctx, b.ID, bob.ID); err != nil || m.RecoveryCodesLeft != 0 {
		t.Errorf("GetMFA(recovery codes only) through another organization: %+v, %v", m, err)
	}

	enrolled := f.at(time.Minute)
	m = &directory.MFAState{OrgID: a.ID, UserID: ada.ID, TOTPSecret: "sealed", LastStep: 100, Required: true, EnrolledAt: &enrolled, UpdatedAt: enrolled}
	must(t, "PutMFA", f.s.MFA().PutMFA(f.ctx, m))
	must(t, "ReplaceRecoveryCodes", f.s.MFA().ReplaceRecoveryCodes(f.ctx, a.ID, ada.ID, []string{"r1", "r2", "r3"}, enrolled))
	got, err := f.s.MFA().GetMFA(f.ctx, a.ID, ada.ID)
	must(t, "GetMFA", err)
	want := *m
	want.EnrolledAt, want.UpdatedAt, want.RecoveryCodesLeft = ptr(micro(enrolled)), micro(enrolled), 3
	diff(t, "GetMFA", &want, got)

	other := &directory.MFAState{OrgID: b.ID, UserID: ada.ID, UpdatedAt: enrolled}
	wantCode(t, "PutMFA through another organization", f.s.MFA().PutMFA(f.ctx, other), directory.CodeNotFound, "")
	got, err = f.s.MFA().GetMFA(f.ctx, b.ID, ada.ID)
	must(t, "GetMFA through another organization", err)
	if got.Enrolled() || got.RecoveryCodesLeft != 0 {
		t.Errorf("another organization sees ada's second factor: %+v", got)
	}

	for _, c := range []struct {
		step int64
		ok   bool
	}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}} {
		ok, err := f.s.MFA().AdvanceTOTPStep(f.ctx, a.ID, ada.ID, c.step)
		must(t, "AdvanceTOTPStep", err)
		if ok != c.ok {
			t.Errorf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.ok)
		}
	}

	ok, err := f.s.MFA().ConsumeRecoveryCode(f.ctx, a.ID, ada.ID, "r2", f.at(time.Hour))
	must(t, "ConsumeRecoveryCode", err)
	again, _ := f.s.MFA().ConsumeRecoveryCode(f.ctx, a.ID, ada.ID, "r2", f.at(time.Hour))
	elsewhere, _ := f.s.MFA().ConsumeRecoveryCode(f.ctx, b.ID, ada.ID, "r1", f.at(time.Hour))
	if !ok || again || elsewhere {
		t.Errorf("ConsumeRecoveryCode: first %v, again %v, through another organization %v", ok, again, elsewhere)
	}
	got, _ = f.s.MFA().GetMFA(f.ctx, a.ID, ada.ID)
	if got.RecoveryCodesLeft != 2 {
		t.Errorf("RecoveryCodesLeft = %d, want 2", got.RecoveryCodesLeft)
	}
	must(t, "ReplaceRecoveryCodes(none)", f.s.MFA().ReplaceRecoveryCodes(f.ctx, a.ID, ada.ID, nil, f.at(time.Hour)))
	if ok, _ := f.s.MFA().ConsumeRecoveryCode(f.ctx, a.ID, ada.ID, "r1", f.at(time.Hour)); ok {
		t.Error("a replaced recovery code still works")
	}
}

func testOIDC(t *testing.T, f *fixture) {
	a := f.org("a")
	_, err := f.s.OIDC().GetOIDC(f.ctx, a.ID)
	wantCode(t, "GetOIDC(none)", err, directory.CodeNotFound, "")
	o := &directory.OIDCSettings{OrgID: a.ID, Issuer: "https://idp.example", ClientID: "roster", ClientSecret: "sealed", Enabled: true, UpdatedAt: f.base}
	must(t, "PutOIDC", f.s.OIDC().PutOIDC(f.ctx, o))
	o.ClientID, o.Enabled, o.UpdatedAt = "roster-2", false, f.at(time.Minute)
	must(t, "PutOIDC(update)", f.s.OIDC().PutOIDC(f.ctx, o))
	got, err := f.s.OIDC().GetOIDC(f.ctx, a.ID)
	must(t, "GetOIDC", err)
	diff(t, "GetOIDC", o, got)
	must(t, "DeleteOIDC", f.s.OIDC().DeleteOIDC(f.ctx, a.ID))
	wantCode(t, "DeleteOIDC again", f.s.OIDC().DeleteOIDC(f.ctx, a.ID), directory.CodeNotFound, "")
}

// testAuth runs the login stores' tests on one store, each subtest with
// its own organizations.
func testAuth(t *testing.T, f *fixture) {
	for i, tt := range []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"sessions", testSessions},
		{"links", testLinks},
		{"second factors", testMFA},
		{"single sign-on", testOIDC},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newFixture(t, f.s)
			g.seq.Store(int64(1000 * (i + 1))) // slugs apart from the other subtests'
			tt.run(t, g)
		})
	}
}
