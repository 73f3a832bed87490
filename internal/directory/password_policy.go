package directory

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxPasswordBytes bounds what is fed to the password hash; long enough
// for any passphrase or password manager.
const MaxPasswordBytes = 1024

// Check reports, as a CodeInvalid error on field "password", how password
// falls short of the policy, naming every rule it breaks. Every way a
// password is set checks it: the user's own change or reset, an admin's
// create, edit or unlock, the operator's CLI, and SCIM (create, replace,
// PATCH, /Bulk).
func (p PasswordPolicy) Check(password string) error {
	var missing []string
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			symbol = true
		}
	}
	if n := len([]rune(password)); n < p.MinLength {
		missing = append(missing, fmt.Sprintf("at least %d characters (it has %d)", p.MinLength, n))
	}
	if p.RequireUpper && !upper {
		missing = append(missing, "an upper-case letter")
	}
	if p.RequireLower && !lower {
		missing = append(missing, "a lower-case letter")
	}
	if p.RequireDigit && !digit {
		missing = append(missing, "a digit")
	}
	if p.RequireSymbol && !symbol {
		missing = append(missing, "a symbol")
	}
	if len([]byte(password)) > MaxPasswordBytes {
		missing = append(missing, fmt.Sprintf("at most %d bytes", MaxPasswordBytes))
	}
	if len(missing) > 0 {
		return FieldErrorf(CodeInvalid, "password", "the password needs %s", strings.Join(missing, ", "))
	}
	return nil
}
