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

// NewSealer returns a sealer under a 32-byte primary key that also opens
// values sealed under the previous keys.
func NewSealer(key []byte, previous ...[]byte) (*Sealer, error) {
	s, err := seal.New(key, previous...)
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

// Reseal returns sealed re-sealed under the primary key, and whether it had
// to (see seal.Sealer.Reseal).
func (s *Sealer) Reseal(sealed, context string) (string, bool, error) {
	body, ok := strings.CutPrefix(sealed, textPrefix)
	if !ok {
		return "", false, ErrUnseal
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", false, ErrUnseal
	}
	out, changed, err := s.s.Reseal(raw, context)
	if err != nil || !changed {
		return sealed, false, err
	}
	return textPrefix + base64.RawURLEncoding.EncodeToString(out), true, nil
}
