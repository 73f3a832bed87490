package admin

import (
	"errors"
	"net/http"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// writeError renders err. Internal errors are logged with their cause and
// shown as "internal error"; the others are the caller's to read.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if apijson.Status(err) >= 500 {
		h.logger.ErrorContext(r.Context(), "admin api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else if cause := errors.Unwrap(err); cause != nil {
		h.logger.DebugContext(r.Context(), "admin api request refused", "code", string(directory.ErrorCode(err)), "cause", cause.Error())
	}
	apijson.WriteError(w, err)
}
