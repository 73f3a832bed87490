package importer

import "strings"

// Neutralize returns a cell value that a spreadsheet shows as text instead
// of running as a formula (CSV injection, OWASP): a value starting with =,
// @, a tab or a carriage return, or with + or - followed by anything but a
// number or phone number, gets a leading apostrophe. So does a value that
// already starts with apostrophes before such a character, so that the
// importer, which removes exactly one, reads back what was exported.
func Neutralize(s string) string {
	if runsAsFormula(strings.TrimLeft(s, "'")) {
		return "'" + s
	}
	return s
}

// unneutralize removes the apostrophe Neutralize added.
func unneutralize(s string) string {
	if strings.HasPrefix(s, "'") && runsAsFormula(strings.TrimLeft(s, "'")) {
		return s[1:]
	}
	return s
}

func runsAsFormula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@', '\t', '\r', '\n':
		return true
	case '+', '-':
		// "+1 (555) 010-0100" and "-3.5" are numbers to a spreadsheet, and
		// escaping them would mangle every phone number; anything with a
		// letter, a quote, a bar or a bracket could call a function.
		return strings.IndexFunc(s[1:], func(r rune) bool {
			return (r < '0' || r > '9') && !strings.ContainsRune(" ()./-+", r)
		}) >= 0
	}
	// Full-width forms that some spreadsheets read as their ASCII twins.
	return strings.HasPrefix(s, "＝") || strings.HasPrefix(s, "＋") || strings.HasPrefix(s, "－") || strings.HasPrefix(s, "＠")
}
