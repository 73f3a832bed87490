package auth

import (
	"bytes"
	"errors"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTripAndRefusals(t *testing.T) {
	s := testSealer(t)
	sealed, err := s.Seal([]byte("seed"), "totp:u1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "seed") || !strings.HasPrefix(sealed, "v1.") {
		t.Fatalf("sealed %q", sealed)
	}
	got, err := s.Open(sealed, "totp:u1")
	if err != nil || string(got) != "seed" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, err := NewSealer(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(sealed)
	flipped[len(flipped)-2] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another context":   func() ([]byte, error) { return s.Open(sealed, "totp:u2") },
		"another key":       func() ([]byte, error) { return other.Open(sealed, "totp:u1") },
		"a flipped bit":     func() ([]byte, error) { return s.Open(string(flipped), "totp:u1") },
		"no version":        func() ([]byte, error) { return s.Open(strings.TrimPrefix(sealed, "v1."), "totp:u1") },
		"a short value":     func() ([]byte, error) { return s.Open("v1.AAAA", "totp:u1") },
		"not base64 at all": func() ([]byte, error) { return s.Open("v1.!!", "totp:u1") },
	} {
		t.Run(name+" does not open", func(t *testing.T) {
			if _, err := open(); !errors.Is(err, ErrUnseal) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestNewSecretIsRandomAndHashed(t *testing.T) {
	a, ha, err := NewSecret(PrefixLink)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := NewSecret(PrefixLink)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(a, PrefixLink) || len(a) != len(PrefixLink)+43 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if ha != HashSecret(a) || strings.Contains(ha, a[len(PrefixLink):]) || len(ha) != 64 {
		t.Fatalf("hash %q", ha)
	}
}

func TestTOTPEnrolmentAndSingleUseCodes(t *testing.T) {
	tp := &TOTP{Issuer: "Roster", Sealer: testSealer(t)}
	e, err := tp.Enroll("user-1", "ada@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("issuer") != "Roster" || !strings.Contains(u.Path, "ada@acme.example") {
		t.Fatalf("uri %q", e.URI)
	}
	secret := u.Query().Get("secret")
	if strings.Contains(e.SealedSecret, secret) {
		t.Fatal("the sealed secret shows the seed")
	}
	img, err := png.Decode(bytes.NewReader(e.QRCode))
	if err != nil || img.Bounds().Dx() != qrSize {
		t.Fatalf("qr code: %v", err)
	}

	now := time.Date(2026, 4, 1, 10, 0, 15, 0, time.UTC)
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(secret, at) // an authenticator app's view
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	step, err := tp.Verify("user-1", e.SealedSecret, code(now), 0, now)
	if err != nil || step != Step(now) {
		t.Fatalf("fresh code: step %d, %v", step, err)
	}
	if _, err := tp.Verify("user-1", e.SealedSecret, code(now), step, now.Add(10*time.Second)); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("replayed code: %v", err)
	}
	if _, err := tp.Verify("user-1", e.SealedSecret, code(now.Add(-30*time.Second)), step, now); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("an older step after a newer one: %v", err)
	}
	next, err := tp.Verify("user-1", e.SealedSecret, code(now.Add(30*time.Second)), step, now.Add(30*time.Second))
	if err != nil || next != step+1 {
		t.Fatalf("next step: %d %v", next, err)
	}
	late, err := tp.Verify("user-1", e.SealedSecret, code(now.Add(60*time.Second)), next, now.Add(80*time.Second))
	if err != nil || late != step+2 {
		t.Fatalf("a code from the previous step is accepted (skew): %d %v", late, err)
	}

	cases := map[string]struct {
		user, code string
		at         time.Time
	}{
		"a code two steps old":       {"user-1", code(now), now.Add(90 * time.Second)},
		"a code of the wrong length": {"user-1", "12345", now},
		"letters":                    {"user-1", "abcdef", now},
		"another user's sealed seed": {"user-2", code(now), now},
		"a code off by one digit":    {"user-1", offByOne(code(now)), now},
	}
	for name, c := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			if _, err := tp.Verify(c.user, e.SealedSecret, c.code, 0, c.at); err == nil || errors.Is(err, ErrCodeReplayed) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func offByOne(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestCodeMatchesAuthenticatorApps(t *testing.T) {
	tp := &TOTP{Issuer: "Roster", Sealer: testSealer(t)}
	e, err := tp.Enroll("u", "u@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.URI)
	at := time.Unix(1_800_000_000, 0)
	want, _ := totp.GenerateCode(u.Query().Get("secret"), at)
	got, err := tp.Code("u", e.SealedSecret, at)
	if err != nil || got != want {
		t.Fatalf("code %q %v, want %q", got, err, want)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes, err := NewRecoveryCodes(RecoveryCodeCount)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	shape := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for i, c := range codes {
		if !shape.MatchString(c) || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Fatal("hash holds the code")
		}
	}
	if HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))) != hashes[3] {
		t.Fatal("a code typed with spaces in capitals does not hash like the code")
	}
	if HashRecoveryCode("aaaa-bbbb-cccc-dddd") == hashes[0] {
		t.Fatal("a made-up code hashes like a real one")
	}
}
