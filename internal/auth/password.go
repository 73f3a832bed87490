package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/roster/roster/internal/directory"
)

// Params are the argon2id cost parameters. They are stored in every hash,
// so raising them later only affects new hashes (see NeedsRehash).
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultParams follows the second recommendation of RFC 9106 section 4
// (64 MiB, 3 passes), with 2 lanes to match small servers.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}
}

// Limits on parameters read back from a stored hash, so that a corrupted or
// planted hash cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemory     = 1 << 20 // 1 GiB in KiB
	maxIterations = 100
	maxKeyLength  = 1024
	minSaltLength = 8
)

// ErrMalformedHash is returned when a stored hash is not an argon2id PHC string.
var ErrMalformedHash = errors.New("password hash is not a valid argon2id PHC string")

var b64 = base64.RawStdEncoding // the PHC string format's "B64"

// HashPassword hashes password with argon2id and a fresh random salt, and
// returns it in PHC string format:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>.
func HashPassword(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC hash encoded. The
// comparison takes constant time. A malformed hash is an error, never a
// match.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p,
// so that a successful login can upgrade it.
func NeedsRehash(encoded string, p Params) bool {
	have, _, _, err := decodeHash(encoded)
	return err != nil || have != p
}

func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if len(salt) > maxKeyLength || len(key) > maxKeyLength {
		return p, nil, nil, ErrMalformedHash
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key)) //nolint:gosec // both at most maxKeyLength, checked above
	if err := p.validate(); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

func (p Params) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("argon2id iterations must be between 1 and %d", maxIterations)
	case p.Parallelism < 1:
		return errors.New("argon2id parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		return fmt.Errorf("argon2id memory must be between 8 KiB per lane and %d KiB", maxMemory)
	case p.SaltLength < minSaltLength || p.SaltLength > maxKeyLength:
		return fmt.Errorf("argon2id salt must be between %d and %d bytes", minSaltLength, maxKeyLength)
	case p.KeyLength < 16 || p.KeyLength > maxKeyLength:
		return fmt.Errorf("argon2id key must be between 16 and %d bytes", maxKeyLength)
	}
	return nil
}

// Alphabets for generated passwords. Look-alike characters (0/O, 1/l/I) are
// left out because these passwords are read off a terminal and typed; the
// symbols need no quoting in a shell.
const (
	upperChars  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	lowerChars  = "abcdefghijkmnopqrstuvwxyz"
	digitChars  = "23456789"
	symbolChars = "-_.,:+=@%^"
	allChars    = upperChars + lowerChars + digitChars + symbolChars

	// GeneratedPasswordLength gives about 122 bits of entropy over allChars.
	GeneratedPasswordLength = 20
)

// GeneratePassword returns a random password of GeneratedPasswordLength
// characters with at least one upper-case letter, lower-case letter, digit
// and symbol, so that it satisfies any organization's password policy.
func GeneratePassword() (string, error) {
	limit := big.NewInt(int64(len(allChars)))
	buf := make([]byte, GeneratedPasswordLength)
	// Redrawing the whole password until every class appears keeps each
	// accepted password uniformly distributed; a redraw is needed about
	// once in 25 calls.
	for {
		for i := range buf {
			n, err := rand.Int(rand.Reader, limit)
			if err != nil {
				return "", fmt.Errorf("read random password: %w", err)
			}
			buf[i] = allChars[n.Int64()]
		}
		s := string(buf)
		if strings.ContainsAny(s, upperChars) && strings.ContainsAny(s, lowerChars) &&
			strings.ContainsAny(s, digitChars) && strings.ContainsAny(s, symbolChars) {
			return s, nil
		}
	}
}

// CheckPasswordPolicy reports, as a CodeInvalid error on field "password",
// how password falls short of the organization's policy (see
// directory.PasswordPolicy.Check).
func CheckPasswordPolicy(password string, policy directory.PasswordPolicy) error {
	return policy.Check(password)
}

// maxPasswordBytes bounds what is fed to argon2id.
const maxPasswordBytes = directory.MaxPasswordBytes
