package auth

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryEncoding is lower-case base32 without padding: no look-alikes
// beyond what base32 already avoids, easy to read aloud.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns n recovery codes to show the user once, and their
// hashes to store. Each code carries 80 random bits, so a plain SHA-256
// keeps a stolen table useless.
func NewRecoveryCodes(n int) (codes, hashes []string, err error) {
	for range n {
		var b [10]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, nil, fmt.Errorf("read recovery code: %w", err)
		}
		s := recoveryEncoding.EncodeToString(b[:]) // 16 characters
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes, nil
}

// recoveryCodeSet is a full set of recovery codes for a second factor's
// enrolment or a renewal: the codes to show once and the hashes the
// directory stores (see directory's enrolRecoveryCodes, which decides
// whether an enrolment keeps them).
func recoveryCodeSet() (codes, hashes []string, err error) {
	codes, hashes, err = NewRecoveryCodes(RecoveryCodeCount)
	if err != nil {
		return nil, nil, directory.Internal(err)
	}
	return codes, hashes, nil
}

// HashRecoveryCode is the stored form of a recovery code. Dashes, spaces
// and case do not matter.
func HashRecoveryCode(code string) string { return HashSecret(normalizeRecoveryCode(code)) }

func normalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}
