package storetest

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func (f *fixture) passkey(u *directory.User, name string, at time.Duration) *directory.Passkey {
	f.t.Helper()
	p := &directory.Passkey{
		OrgID: u.OrgID, UserID: u.ID, CredentialID: []byte(rand.Text()), PublicKey: []byte{0xa5, 0x01, 0x02},
		SignCount: 7, Transports: []string{"usb", "nfc"}, AAGUID: make([]byte, 16), Flags: 0x1d,
		AttestationType: "none", Name: name, CreatedAt: f.at(at),
	}
	must(f.t, "CreatePasskey", f.s.Passkeys().CreatePasskey(f.ctx, p))
	return p
}

func testPasskeys(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada := f.user(a, "ada@"+a.Slug+".example")
	bob := f.user(a, "bob@"+a.Slug+".example")
	eve := f.user(b, "eve@"+b.Slug+".example")
	k1 := f.passkey(ada, "YubiKey", 0)
	k2 := f.passkey(ada, "laptop", time.Minute)
	kb := f.passkey(bob, "phone", 0)
	if !k1.CreatedAt.Equal(micro(f.base)) || k1.ID == "" {
		t.Errorf("CreatePasskey left %+v", k1)
	}

	list, err := f.s.Passkeys().ListPasskeys(f.ctx, a.ID, ada.ID)
	must(t, "ListPasskeys", err)
	diff(t, "ListPasskeys", []*directory.Passkey{k1, k2}, list)
	list, err = f.s.Passkeys().ListPasskeys(f.ctx, b.ID, ada.ID)
	must(t, "ListPasskeys(other org)", err)
	if len(list) != 0 {
		t.Errorf("another organization lists ada's passkeys: %v", list)
	}
	got, err := f.s.Passkeys().GetPasskeyByCredential(f.ctx, k2.CredentialID)
	must(t, "GetPasskeyByCredential", err)
	diff(t, "GetPasskeyByCredential", k2, got)
	_, err = f.s.Passkeys().GetPasskeyByCredential(f.ctx, []byte("nothing"))
	wantCode(t, "GetPasskeyByCredential(unknown)", err, directory.CodeNotFound, "")

	// A credential id is registered once, whoever registers it again.
	dup := *k1
	dup.ID, dup.OrgID, dup.UserID = "", b.ID, eve.ID
	wantCode(t, "CreatePasskey(same credential)", f.s.Passkeys().CreatePasskey(f.ctx, &dup), directory.CodeConflict, "")

	must(t, "RenamePasskey", f.s.Passkeys().RenamePasskey(f.ctx, a.ID, ada.ID, k1.ID, "YubiKey 5C"))
	wantCode(t, "RenamePasskey(another user's)", f.s.Passkeys().RenamePasskey(f.ctx, a.ID, ada.ID, kb.ID, "mine"), directory.CodeNotFound, "")
	wantCode(t, "RenamePasskey(another org)", f.s.Passkeys().RenamePasskey(f.ctx, b.ID, ada.ID, k1.ID, "mine"), directory.CodeNotFound, "")
	wantCode(t, "DeletePasskey(another user's)", f.s.Passkeys().DeletePasskey(f.ctx, a.ID, ada.ID, kb.ID), directory.CodeNotFound, "")
	wantCode(t, "DeletePasskey(another org)", f.s.Passkeys().DeletePasskey(f.ctx, b.ID, bob.ID, kb.ID), directory.CodeNotFound, "")

	// The counter moves once per value: of two uses that read the same
	// counter, one records.
	used := f.at(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 4 {
		wg.Go(func() {
			ok, err := f.s.Passkeys().RecordPasskeyUse(f.ctx, a.ID, k1.ID, 7, 8, used)
			if err != nil {
				t.Errorf("RecordPasskeyUse: %v", err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent uses with one counter recorded, want 1", wins)
	}
	if ok, err := f.s.Passkeys().RecordPasskeyUse(f.ctx, b.ID, k1.ID, 8, 9, used); ok || err != nil {
		t.Errorf("RecordPasskeyUse(another org) = %v, %v", ok, err)
	}
	got, _ = f.s.Passkeys().GetPasskeyByCredential(f.ctx, k1.CredentialID)
	if got.Name != "YubiKey 5C" || got.SignCount != 8 || got.LastUsedAt == nil || !got.LastUsedAt.Equal(micro(used)) {
		t.Errorf("renamed, used passkey = %+v", got)
	}

	must(t, "DeletePasskey", f.s.Passkeys().DeletePasskey(f.ctx, a.ID, ada.ID, k2.ID))
	wantCode(t, "DeletePasskey(again)", f.s.Passkeys().DeletePasskey(f.ctx, a.ID, ada.ID, k2.ID), directory.CodeNotFound, "")
	n, err := f.s.Passkeys().DeleteUserPasskeys(f.ctx, a.ID, ada.ID)
	must(t, "DeleteUserPasskeys", err)
	if n != 1 {
		t.Errorf("DeleteUserPasskeys removed %d, want 1", n)
	}
	if list, _ := f.s.Passkeys().ListPasskeys(f.ctx, a.ID, bob.ID); len(list) != 1 {
		t.Errorf("bob's passkeys after ada's removal: %v", list)
	}
}

func testPasskeyCeremonies(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada := f.user(a, "ada@"+a.Slug+".example")
	put := func(challenge string, kind directory.CeremonyKind, org *directory.Org, userID, sessionID string, ttl time.Duration) *directory.PasskeyCeremony {
		c := &directory.PasskeyCeremony{Challenge: challenge, OrgID: org.ID, UserID: userID, SessionID: sessionID, Kind: kind,
			Data: []byte(`{"challenge":"` + challenge + `"}`), ExpiresAt: f.at(ttl)}
		must(t, "PutCeremony", f.s.Passkeys().PutCeremony(f.ctx, c, f.base))
		return c
	}
	reg := put("reg", directory.CeremonyRegister, a, ada.ID, "sess-1", 5*time.Minute)
	put("pwl", directory.CeremonyPasswordless, a, "", "", 5*time.Minute)
	put("old", directory.CeremonyMFA, a, ada.ID, "sess-1", time.Second)
	wantCode(t, "PutCeremony(same challenge)", f.s.Passkeys().PutCeremony(f.ctx, &directory.PasskeyCeremony{
		Challenge: "reg", OrgID: b.ID, Kind: directory.CeremonyPasswordless, Data: []byte("{}"), ExpiresAt: f.at(time.Minute)}, f.base),
		directory.CodeConflict, "")

	now := f.at(time.Minute)
	for _, bad := range []struct {
		what         string
		challenge    string
		kind         directory.CeremonyKind
		org, session string
	}{
		{"another kind", "reg", directory.CeremonyMFA, a.ID, "sess-1"},
		{"another organization", "reg", directory.CeremonyRegister, b.ID, "sess-1"},
		{"another session", "reg", directory.CeremonyRegister, a.ID, "sess-2"},
		{"expired", "old", directory.CeremonyMFA, a.ID, "sess-1"},
		{"passwordless in another organization", "pwl", directory.CeremonyPasswordless, b.ID, ""},
		{"unknown", "nope", directory.CeremonyRegister, a.ID, "sess-1"},
	} {
		_, err := f.s.Passkeys().TakeCeremony(f.ctx, bad.challenge, bad.kind, bad.org, bad.session, now)
		wantCode(t, "TakeCeremony("+bad.what+")", err, directory.CodeNotFound, "")
	}
	got, err := f.s.Passkeys().TakeCeremony(f.ctx, "reg", directory.CeremonyRegister, a.ID, "sess-1", now)
	must(t, "TakeCeremony", err)
	diff(t, "TakeCeremony", reg, got)
	_, err = f.s.Passkeys().TakeCeremony(f.ctx, "reg", directory.CeremonyRegister, a.ID, "sess-1", now)
	wantCode(t, "TakeCeremony(again)", err, directory.CodeNotFound, "")
	if _, err := f.s.Passkeys().TakeCeremony(f.ctx, "pwl", directory.CeremonyPasswordless, a.ID, "", now); err != nil {
		t.Errorf("TakeCeremony(passwordless): %v", err)
	}

	// A new ceremony sweeps the expired ones.
	put("new", directory.CeremonyRegister, a, ada.ID, "sess-1", time.Hour)
	must(t, "PutCeremony", f.s.Passkeys().PutCeremony(f.ctx, &directory.PasskeyCeremony{Challenge: "newer", OrgID: a.ID,
		Kind: directory.CeremonyPasswordless, Data: []byte("{}"), ExpiresAt: f.at(time.Hour)}, f.at(time.Minute)))
	if _, err := f.s.Passkeys().TakeCeremony(f.ctx, "old", directory.CeremonyMFA, a.ID, "sess-1", f.base); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("an expired ceremony survived a sweep: %v", err)
	}
}
