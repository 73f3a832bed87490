package apijson

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
)

// CheckURL refuses a request whose path or query parameters, once
// decoded, hold NUL or invalid UTF-8 (%00, %FF): no identifier, filter or
// search holds them, and PostgreSQL would fail the query where SQLite
// answers "not found". The error (CodeInvalid, wrapping ErrText) names the
// parameter, or "path".
func CheckURL(r *http.Request) error {
	if !cleanText(r.URL.Path) {
		return textError("path", "the path")
	}
	for key, values := range r.URL.Query() {
		if !cleanText(key) {
			return textError("query", "a query parameter name")
		}
		for _, v := range values {
			if !cleanText(v) {
				return textError(key, "the query parameter "+key)
			}
		}
	}
	return nil
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func textError(field, what string) error {
	e := directory.FieldErrorf(directory.CodeInvalid, field, "%s must be valid UTF-8 without NUL characters", what)
	e.Err = ErrText
	return e
}
