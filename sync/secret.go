package sync

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealer encrypts connector secrets at rest with AES-256-GCM under the
// configured key (security.encryption_key). The connector id is bound as
// additional data, so a sealed secret copied onto another connector does
// not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("sync: encryption key must be 32 bytes, not %d", len(key))
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

// sealVersion prefixes sealed secrets so that the format can change.
const sealVersion = 1

// Seal encrypts plaintext for the connector id.
func (s *Sealer) Seal(connectorID string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(append(out, sealVersion), nonce...)
	return s.aead.Seal(out, nonce, plaintext, []byte(connectorID)), nil
}

// ErrSealed is returned when a sealed secret does not open: wrong key,
// another connector's secret, or corrupted data.
var ErrSealed = errors.New("sync: connector secret does not decrypt with the configured key")

// Open decrypts a secret sealed for the connector id.
func (s *Sealer) Open(connectorID string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrSealed
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(connectorID))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}
