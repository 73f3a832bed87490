package storetest

import (
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

func (f *fixture) token(org *directory.Org, name string) (*directory.Token, string) {
	f.t.Helper()
	id := newID()
	plain, hash, err := directory.NewTokenSecret(id)
	must(f.t, "NewTokenSecret", err)
	tok := &directory.Token{
		ID: id, OrgID: org.ID, Kind: directory.TokenSCIM, Name: name, SecretHash: hash,
		CreatedBy: "operator", CreatedAt: f.base,
	}
	must(f.t, "CreateToken", f.s.Tokens().CreateToken(f.ctx, tok))
	return tok, plain
}

func testTokens(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	tok, plain := f.token(a, "Entra provisioning")
	second, _ := f.token(a, "Okta")
	f.token(b, "elsewhere")
	if !tok.CreatedAt.Equal(micro(f.base)) {
		t.Errorf("CreateToken left CreatedAt = %v", tok.CreatedAt)
	}

	id, secret, ok := directory.ParseToken(plain)
	if !ok || id != tok.ID {
		t.Fatalf("ParseToken(%q) = %q, %v", plain, id, ok)
	}
	got, err := f.s.Tokens().GetToken(f.ctx, id)
	must(t, "GetToken", err)
	diff(t, "GetToken", tok, got)
	if !got.Matches(secret) || got.Revoked() {
		t.Errorf("the stored token does not match its secret, or is revoked")
	}
	_, err = f.s.Tokens().GetToken(f.ctx, newID())
	wantCode(t, "GetToken(unknown)", err, directory.CodeNotFound, "")

	list, err := f.s.Tokens().ListTokens(f.ctx, a.ID)
	must(t, "ListTokens", err)
	diff(t, "ListTokens", []*directory.Token{tok, second}, list)

	used := f.at(time.Minute)
	must(t, "TouchToken", f.s.Tokens().TouchToken(f.ctx, tok.ID, used))
	must(t, "TouchToken(earlier)", f.s.Tokens().TouchToken(f.ctx, tok.ID, f.at(time.Second)))
	got, err = f.s.Tokens().GetToken(f.ctx, tok.ID)
	must(t, "GetToken", err)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(micro(used)) {
		t.Errorf("LastUsedAt = %v, want %v (an earlier touch does not go back)", got.LastUsedAt, micro(used))
	}
	wantCode(t, "TouchToken(unknown)", f.s.Tokens().TouchToken(f.ctx, newID(), used), directory.CodeNotFound, "")

	wantCode(t, "RevokeToken through another organization", f.s.Tokens().RevokeToken(f.ctx, b.ID, tok.ID, used), directory.CodeNotFound, "")
	wantCode(t, "RevokeToken(unknown)", f.s.Tokens().RevokeToken(f.ctx, a.ID, newID(), used), directory.CodeNotFound, "")
	got, err = f.s.Tokens().GetToken(f.ctx, tok.ID)
	must(t, "GetToken", err)
	if got.Revoked() {
		t.Fatal("a refused revocation revoked the token")
	}

	revoked := f.at(time.Hour)
	must(t, "RevokeToken", f.s.Tokens().RevokeToken(f.ctx, a.ID, tok.ID, revoked))
	must(t, "RevokeToken again", f.s.Tokens().RevokeToken(f.ctx, a.ID, tok.ID, f.at(2*time.Hour)))
	got, err = f.s.Tokens().GetToken(f.ctx, tok.ID)
	must(t, "GetToken", err)
	if !got.Revoked() || !got.RevokedAt.Equal(micro(revoked)) {
		t.Errorf("RevokedAt = %v, want %v (a second revocation keeps the first time)", got.RevokedAt, micro(revoked))
	}
	got, err = f.s.Tokens().GetToken(f.ctx, second.ID)
	must(t, "GetToken", err)
	if got.Revoked() {
		t.Error("revoking one token revoked another")
	}
}
