package engine

import (
	"errors"
	"fmt"

	"github.com/roster/roster/internal/seal"
)

// Sealer encrypts connector secrets at rest under the configured key
// (security.encryption_key). The connector id is bound as the context, so a
// sealed secret copied onto another connector does not open.
type Sealer struct {
	s *seal.Sealer
}

// NewSealer returns a Sealer for a 32-byte primary key that also opens
// secrets sealed under the previous keys.
func NewSealer(key []byte, previous ...[]byte) (*Sealer, error) {
	s, err := seal.New(key, previous...)
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	return &Sealer{s: s}, nil
}

// connectorContext binds a secret to its connector.
func connectorContext(connectorID string) string { return "connector:" + connectorID }

// Seal encrypts plaintext for the connector id.
func (s *Sealer) Seal(connectorID string, plaintext []byte) ([]byte, error) {
	return s.s.Seal(plaintext, connectorContext(connectorID))
}

// ErrSealed is returned when a sealed secret does not open: wrong key,
// another connector's secret, or corrupted data.
var ErrSealed = errors.New("sync: connector secret does not decrypt with the configured key")

// Open decrypts a secret sealed for the connector id.
func (s *Sealer) Open(connectorID string, sealed []byte) ([]byte, error) {
	plain, err := s.s.Open(sealed, connectorContext(connectorID))
	if errors.Is(err, seal.ErrOpen) {
		return nil, ErrSealed
	}
	return plain, err
}

// Reseal returns a connector's secret re-sealed under the primary key, and
// whether it had to (see seal.Sealer.Reseal).
func (s *Sealer) Reseal(connectorID string, sealed []byte) ([]byte, bool, error) {
	out, changed, err := s.s.Reseal(sealed, connectorContext(connectorID))
	if errors.Is(err, seal.ErrOpen) {
		return nil, false, ErrSealed
	}
	return out, changed, err
}
