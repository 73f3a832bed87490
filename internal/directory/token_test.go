package directory

import (
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	id := NewID()
	plain, hash, err := NewTokenSecret(id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, hash) {
		t.Fatal("plaintext contains the stored hash")
	}
	gotID, secret, ok := ParseToken(plain)
	if !ok || gotID != id {
		t.Fatalf("ParseToken = %q, %v; want id %q", gotID, ok, id)
	}
	tok := &Token{ID: id, SecretHash: hash}
	if !tok.Matches(secret) {
		t.Fatal("secret does not match its own hash")
	}
	if tok.Matches(secret + "x") {
		t.Fatal("a different secret matches")
	}
}

func TestParseTokenRejectsMalformed(t *testing.T) {
	for _, s := range []string{
		"", "rst_", "Bearer rst_x", "rst_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_secret",
		"rst_0123456789abcdef0123456789abcdef", "rst_0123456789abcdef0123456789abcdef_",
		"xyz_0123456789abcdef0123456789abcdef_secret", "rst_0123_secret",
	} {
		if _, _, ok := ParseToken(s); ok {
			t.Errorf("ParseToken(%q) accepted", s)
		}
	}
}
