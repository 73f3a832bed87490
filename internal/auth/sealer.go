package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealVersion prefixes every sealed value, so that a later key or algorithm
// can be told apart from this one.
const sealVersion = "v1."

// ErrUnseal is returned for a sealed value that was tampered with, sealed
// under another key, or sealed for another context.
var ErrUnseal = errors.New("sealed value cannot be opened")

// Sealer encrypts secrets at rest (TOTP seeds, OIDC client secrets, login
// flow cookies) with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a sealer under a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("encryption key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to context (e.g. "totp:" + user id): the
// result opens only with the same context, so a sealed value copied onto
// another row is useless.
func (s *Sealer) Seal(plaintext []byte, context string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, plaintext, []byte(context))
	return sealVersion + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal produced for the same context.
func (s *Sealer) Open(sealed, context string) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, sealVersion)
	if !ok {
		return nil, ErrUnseal
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
