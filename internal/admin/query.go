package admin

import (
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/directory"
)

// queryInt reads an optional integer query parameter within [min, max].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, directory.FieldErrorf(directory.CodeInvalid, name, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}
