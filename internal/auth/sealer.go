package auth

import (
	"encoding/base64"
	"strings"

	"github.com/roster/roster/internal/seal"
)

// textPrefix marks a sealed value in text form (cookies, text columns).
const textPrefix = "v1."

// ErrUnseal is returned for a sealed value that was tampered with, sealed
// under another key, or sealed for another context.
var ErrUnseal = seal.ErrOpen

// Sealer seals secrets at rest (TOTP seeds, OIDC client secrets, login flow
// cookies) as text, over the shared seal package.
type Sealer struct {
	s *seal.Sealer
}

// NewSealer returns a sealer under a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	s, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{s: s}, nil
}

// Seal encrypts plaintext bound to context (e.g. "totp:" + user id): the
// result opens only with the same context, so a sealed value copied onto
// another row is useless.
func (s *Sealer) Seal(plaintext []byte, context string) (string, error) {
	out, err := s.s.Seal(plaintext, context)
	if err != nil {
		return "", err
	}
	return textPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal produced for the same context.
func (s *Sealer) Open(sealed, context string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, textPrefix)
	if !ok {
		return nil, ErrUnseal
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrUnseal
	}
	return s.s.Open(raw, context)
}
