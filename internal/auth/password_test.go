package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// cheap keeps the tests fast; the format and logic do not depend on cost.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashPasswordProducesPHCString(t *testing.T) {
	h, err := HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Fatalf("hash %q is not in PHC format", h)
	}
	h2, err := HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Fatal("two hashes of the same password are equal; the salt is not random")
	}
}

func TestVerifyPassword(t *testing.T) {
	h, err := HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		password string
		want     bool
	}{
		{"the right password matches", "correct horse", true},
		{"a wrong password does not match", "correct horse!", false},
		{"an empty password does not match", "", false},
		{"case matters", "Correct horse", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyPassword(tc.password, h)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("VerifyPassword(%q) = %v, want %v", tc.password, got, tc.want)
			}
		})
	}
}

func TestVerifyPasswordKnownVector(t *testing.T) {
	// Made with the reference implementation (Debian package argon2):
	// echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4 -l 24
	const h = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$F1jG2CV3/Nr+yRuIsPKw0J9r4s7cJHBU"
	ok, err := VerifyPassword("password", h)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("the reference vector does not verify")
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	good, err := HashPassword("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"missing params", strings.Join([]string{"", parts[1], parts[2], "m=64,t=1", parts[4], parts[5]}, "$")},
		{"zero iterations", strings.Replace(good, "t=1", "t=0", 1)},
		{"huge memory", strings.Replace(good, "m=64", "m=99999999", 1)},
		{"salt not base64", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$")},
		{"short key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$")},
		{"extra field", good + "$x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword("pw", tc.hash)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("VerifyPassword = %v, %v; want false, ErrMalformedHash", ok, err)
			}
		})
	}
}

func TestHashPasswordRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
		{Memory: 4, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	} {
		if _, err := HashPassword("pw", p); err == nil {
			t.Errorf("HashPassword accepted %+v", p)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, err := HashPassword("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(h, cheap) {
		t.Error("a hash made with the current params needs no rehash")
	}
	stronger := cheap
	stronger.Iterations = 2
	if !NeedsRehash(h, stronger) {
		t.Error("a hash made with weaker params needs a rehash")
	}
	if !NeedsRehash("garbage", cheap) {
		t.Error("a malformed hash needs a rehash")
	}
}

func TestDefaultParamsAreValid(t *testing.T) {
	if err := DefaultParams().validate(); err != nil {
		t.Fatal(err)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != GeneratedPasswordLength {
			t.Fatalf("len(%q) = %d, want %d", pw, len(pw), GeneratedPasswordLength)
		}
		if strings.Trim(pw, allChars) != "" {
			t.Fatalf("%q has characters outside the alphabet", pw)
		}
		strict := directory.PasswordPolicy{MinLength: 16, RequireUpper: true, RequireLower: true, RequireDigit: true, RequireSymbol: true}
		if err := CheckPasswordPolicy(pw, strict); err != nil {
			t.Fatalf("generated password %q breaks the strictest policy: %v", pw, err)
		}
		if seen[pw] {
			t.Fatalf("generated %q twice", pw)
		}
		seen[pw] = true
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	all := directory.PasswordPolicy{MinLength: 12, RequireUpper: true, RequireLower: true, RequireDigit: true, RequireSymbol: true}
	for _, tc := range []struct {
		name     string
		password string
		policy   directory.PasswordPolicy
		wantErr  string
	}{
		{"a long enough password passes the default policy", "twelve chars", directory.PasswordPolicy{MinLength: 12}, ""},
		{"a short password fails", "short", directory.PasswordPolicy{MinLength: 12}, "at least 12 characters (it has 5)"},
		{"length counts characters, not bytes", "ééééééééééé", directory.PasswordPolicy{MinLength: 12}, "(it has 11)"},
		{"a password with every class passes", "Abcdefgh1234!", all, ""},
		{"every missing class is listed", "abcdefghijkl", all, "an upper-case letter, a digit, a symbol"},
		{"an overlong password fails", strings.Repeat("a", 1025), directory.PasswordPolicy{MinLength: 8}, "at most 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tc.password, tc.policy)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if !directory.IsCode(err, directory.CodeInvalid) {
				t.Fatalf("error code = %s, want invalid", directory.ErrorCode(err))
			}
		})
	}
}
