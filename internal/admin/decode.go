package admin

import (
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// decode reads the JSON object of a request body into v with the strict
// decoder every JSON API of Roster shares (apijson.Decode), bounded by
// MaxBodyBytes.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return apijson.Decode(w, r, h.cfg.MaxBodyBytes, v)
}

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
