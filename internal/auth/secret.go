package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Prefixes of the secrets Roster hands out, so that secret scanners and
// people can tell them apart. SCIM tokens ("rst_") live in directory.
const (
	PrefixSession = "rss_" // a login session (cookie or bearer)
	PrefixAPI     = "rsp_" // a personal API token
	PrefixLink    = "rsl_" // a one-time link (password set or reset)
)

// NewSecret returns a random secret with 256 bits of entropy behind prefix,
// and the hash to store. Only the hash is ever stored: a database dump
// opens no session and no link.
func NewSecret(prefix string) (plaintext, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("read random secret: %w", err)
	}
	plaintext = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plaintext, HashSecret(plaintext), nil
}

// HashSecret is the stored form of a random secret: hex SHA-256. A fast
// hash is enough because the secret has 256 bits of entropy; stores look
// the hash up by an index, which reveals nothing about the secret.
func HashSecret(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}
