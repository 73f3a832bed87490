package directory

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text hygiene: every text a client, an import or a directory gives Roster
// is valid UTF-8 without NUL, whatever store keeps it (PostgreSQL refuses
// NUL in text, SQLite would keep it), and names, identifiers and other
// single-line values hold no control characters at all. The checks live
// here, where every write passes, so that each transport answers the same
// 400 naming the attribute.

// CheckText checks a single-line text value of the attribute field: valid
// UTF-8, no control characters (NUL, line breaks, tabs …), at most
// maxAttr bytes.
func CheckText(field, v string) error {
	return checkText(field, v, false)
}

// checkMultiline is CheckText for text that may span lines (a postal
// address): line breaks and tabs are allowed, other control characters
// are not.
func checkMultiline(field, v string) error {
	return checkText(field, v, true)
}

func checkText(field, v string, multiline bool) error {
	if len(v) > maxAttr {
		return FieldErrorf(CodeInvalid, field, "%s is longer than %d characters", field, maxAttr)
	}
	return checkChars(field, v, multiline)
}

// checkChars refuses invalid UTF-8 and control characters (but line
// breaks and tabs where multiline).
func checkChars(field, v string, multiline bool) error {
	if !utf8.ValidString(v) {
		return FieldErrorf(CodeInvalid, field, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return FieldErrorf(CodeInvalid, field, "%s must not contain NUL characters", field)
	}
	bad := strings.IndexFunc(v, func(r rune) bool {
		lineBreakOrTab := r == '\n' || r == '\r' || r == '\t'
		return unicode.IsControl(r) && (!multiline || !lineBreakOrTab)
	})
	if bad >= 0 {
		if multiline {
			return FieldErrorf(CodeInvalid, field, "%s must not contain control characters other than line breaks and tabs", field)
		}
		return FieldErrorf(CodeInvalid, field, "%s must not contain control characters (line breaks, tabs …)", field)
	}
	return nil
}

// validate checks the profile's text: single-line values, but for the
// lines of a postal address.
func (p *Profile) validate() error {
	for _, f := range [...]struct{ name, v string }{
		{"name.middleName", p.MiddleName}, {"name.honorificPrefix", p.HonorificPrefix},
		{"name.honorificSuffix", p.HonorificSuffix}, {"nickName", p.NickName}, {"profileUrl", p.ProfileURL},
		{"userType", p.UserType}, {"preferredLanguage", p.PreferredLanguage}, {"locale", p.Locale},
		{"timezone", p.Timezone},
	} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	for _, n := range p.PhoneNumbers {
		if err := CheckText("phoneNumbers.value", n.Value); err != nil {
			return err
		}
		if err := CheckText("phoneNumbers.type", n.Type); err != nil {
			return err
		}
	}
	for _, a := range p.Addresses {
		for _, f := range [...]struct{ name, v string }{
			{"addresses.type", a.Type}, {"addresses.locality", a.Locality}, {"addresses.region", a.Region},
			{"addresses.postalCode", a.PostalCode}, {"addresses.country", a.Country},
		} {
			if err := CheckText(f.name, f.v); err != nil {
				return err
			}
		}
		if err := checkMultiline("addresses.formatted", a.Formatted); err != nil {
			return err
		}
		if err := checkMultiline("addresses.streetAddress", a.StreetAddress); err != nil {
			return err
		}
	}
	return nil
}
