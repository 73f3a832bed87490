// Package seal encrypts secrets at rest (TOTP seeds, SSO client secrets,
// login-flow cookies, directory connector secrets) with AES-256-GCM under
// the configured key (security.encryption_key). Every sealed value is bound
// to a context, such as the row it belongs to, so that a sealed value copied
// elsewhere does not open.
//
// A Sealer seals under its primary key and opens under the primary key or
// any previous one (security.previous_encryption_keys), so that an operator
// can rotate the key: make the new key primary, keep the old one as
// previous, re-seal what is stored (Reseal), then drop the old key.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the length of the key in bytes.
const KeySize = 32

// version is the first byte of every sealed value, so that a later key or
// algorithm can be told apart from this one.
const version byte = 1

// ErrOpen is returned for a sealed value that was tampered with, sealed
// under another key, or sealed for another context.
var ErrOpen = errors.New("sealed value cannot be opened")

// Sealer seals values under its primary key and opens them under any of
// its keys. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD // the primary key's
	// previous open what was sealed before a rotation, newest first.
	previous []cipher.AEAD
}

// New returns a sealer under a KeySize-byte primary key that also opens
// values sealed under the previous keys.
func New(key []byte, previous ...[]byte) (*Sealer, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	s := &Sealer{aead: aead}
	for i, k := range previous {
		a, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i+1, err)
		}
		s.previous = append(s.previous, a)
	}
	return s, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext bound to context: version, random nonce, then
// the ciphertext with its tag.
func (s *Sealer) Seal(plaintext []byte, context string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("read nonce: %w", err)
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(append(out, version), nonce...)
	return s.aead.Seal(out, nonce, plaintext, []byte(context)), nil
}

// Open decrypts a value Seal produced for the same context, under the
// primary key or a previous one.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	plain, _, err := s.open(sealed, context)
	return plain, err
}

// open decrypts sealed and reports whether the primary key opened it.
func (s *Sealer) open(sealed []byte, context string) (plain []byte, primary bool, err error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != version {
		return nil, false, ErrOpen
	}
	nonce, body := sealed[1:1+n], sealed[1+n:]
	if plain, err := s.aead.Open(nil, nonce, body, []byte(context)); err == nil {
		return plain, true, nil
	}
	for _, a := range s.previous {
		if plain, err := a.Open(nil, nonce, body, []byte(context)); err == nil {
			return plain, false, nil
		}
	}
	return nil, false, ErrOpen
}

// Reseal returns sealed re-sealed under the primary key, and whether it had
// to: a value the primary key opens already comes back as it is. A value
// no key opens is ErrOpen.
func (s *Sealer) Reseal(sealed []byte, context string) ([]byte, bool, error) {
	plain, primary, err := s.open(sealed, context)
	if err != nil {
		return nil, false, err
	}
	if primary {
		return sealed, false, nil
	}
	out, err := s.Seal(plain, context)
	clear(plain)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}
