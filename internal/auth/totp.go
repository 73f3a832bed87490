package auth

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: the ones every authenticator app understands.
const (
	totpPeriod = 30 // seconds per step
	totpDigits = otp.DigitsSix
	// totpSkew accepts the step before and after the current one, for
	// clocks that drift and users who type slowly.
	totpSkew = 1
	// qrSize is the width and height of the enrolment QR code, in pixels.
	qrSize = 256
)

// TOTP errors. Callers show both as the same "invalid code" to users; they
// differ for the audit log.
var (
	ErrCodeInvalid  = errors.New("the code is not valid")
	ErrCodeReplayed = errors.New("the code was already used")
)

// TOTP enrols and checks time-based one-time passwords (RFC 6238). Seeds are
// sealed under the user's id before they leave this type.
type TOTP struct {
	// Issuer names Roster (or the organization) in authenticator apps.
	Issuer string
	Sealer *Sealer
}

// Enrollment is a new, not yet confirmed TOTP seed.
type Enrollment struct {
	// SealedSecret is what to store, opened only with the user's id.
	SealedSecret string
	// URI is the otpauth:// URI authenticator apps import; it holds the
	// seed, so it is shown to the user once and never logged.
	URI string
	// QRCode is URI as a PNG image.
	QRCode []byte
}

// TOTPSeedContext binds a sealed TOTP seed (enrolled or pending) to its
// user.
func TOTPSeedContext(userID string) string { return "totp:" + userID }

// Enroll makes a new seed for a user; account is the name apps show (the
// login email).
func (t *TOTP) Enroll(userID, account string) (*Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: t.Issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("generate totp seed: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("draw totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode totp qr code: %w", err)
	}
	sealed, err := t.Sealer.Seal([]byte(key.Secret()), TOTPSeedContext(userID))
	if err != nil {
		return nil, err
	}
	return &Enrollment{SealedSecret: sealed, URI: key.URL(), QRCode: buf.Bytes()}, nil
}

// Step is the TOTP time step that holds t.
func Step(t time.Time) int64 { return t.Unix() / totpPeriod }

// Verify checks code against the user's sealed seed at time now and returns
// the step it matched. A step at or before lastStep (the last one the user
// spent) is refused, so that a code works once even within its window.
func (t *TOTP) Verify(userID, sealedSecret, code string, lastStep int64, now time.Time) (int64, error) {
	secret, err := t.Sealer.Open(sealedSecret, TOTPSeedContext(userID))
	if err != nil {
		return 0, fmt.Errorf("open totp seed: %w", err)
	}
	if len(code) != totpDigits.Length() {
		return 0, ErrCodeInvalid
	}
	opts := hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	current := Step(now)
	matched := int64(-1)
	// Every candidate step is computed, matched or not, so that timing
	// does not tell which one matched.
	for step := max(current-totpSkew, 0); step <= current+totpSkew; step++ {
		ok, err := hotp.ValidateCustom(code, uint64(step), string(secret), opts) // #nosec G115 -- step is not negative
		if err != nil {
			return 0, ErrCodeInvalid
		}
		if ok && matched < 0 {
			matched = step
		}
	}
	switch {
	case matched < 0:
		return 0, ErrCodeInvalid
	case matched <= lastStep:
		return 0, ErrCodeReplayed
	}
	return matched, nil
}

// Code returns the code for a sealed seed at time at. Tests and the CLI's
// diagnostics use it; the login flow only verifies.
func (t *TOTP) Code(userID, sealedSecret string, at time.Time) (string, error) {
	secret, err := t.Sealer.Open(sealedSecret, TOTPSeedContext(userID))
	if err != nil {
		return "", err
	}
	return CodeFor(string(secret), at)
}

// CodeFor returns the code of a plain base32 seed (as an enrolment page
// shows it) at time at, with the parameters Roster enrols. Browser tests
// type it where a user would type its app's code.
func CodeFor(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}
