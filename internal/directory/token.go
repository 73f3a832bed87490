package directory

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// TokenKind says what a token opens.
type TokenKind string

// Token kinds.
const (
	TokenSCIM TokenKind = "scim" // the organization's SCIM endpoint
)

// Token is a bearer credential. Only a hash of its secret is stored; the
// plaintext is shown once, when it is created.
type Token struct {
	ID         string
	OrgID      string
	Kind       TokenKind
	Name       string
	SecretHash string // hex SHA-256 of the secret part
	CreatedBy  string // actor description
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// tokenPrefix marks Roster tokens so that secret scanners can find them.
const tokenPrefix = "rst_"

// NewTokenSecret returns a plaintext token for the given id and the hash to
// store. The id is embedded so that lookup is by primary key and the secret
// is then compared in constant time.
func NewTokenSecret(id string) (plaintext, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", Internal(err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	return tokenPrefix + strings.ReplaceAll(id, "-", "") + "_" + secret, hashSecret(secret), nil
}

// ParseToken splits a plaintext token into its id and secret.
func ParseToken(plaintext string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(plaintext, tokenPrefix)
	if !found {
		return "", "", false
	}
	compact, secret, found := strings.Cut(rest, "_")
	if !found || len(compact) != 32 || secret == "" {
		return "", "", false
	}
	if _, err := hex.DecodeString(compact); err != nil {
		return "", "", false
	}
	id = compact[0:8] + "-" + compact[8:12] + "-" + compact[12:16] + "-" + compact[16:20] + "-" + compact[20:32]
	return id, secret, true
}

// Matches reports, in constant time, whether secret is this token's secret.
func (t *Token) Matches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.SecretHash)) == 1
}

// Revoked reports whether the token has been revoked.
func (t *Token) Revoked() bool { return t.RevokedAt != nil }

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
