package admin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/roster/roster/internal/directory"
)

// statusOf is the one map from domain error codes to HTTP statuses.
var statusOf = map[directory.Code]int{
	directory.CodeInvalid:            http.StatusBadRequest,
	directory.CodeNotFound:           http.StatusNotFound,
	directory.CodeConflict:           http.StatusConflict,
	directory.CodeForbidden:          http.StatusForbidden,
	directory.CodeUnauthorized:       http.StatusUnauthorized,
	directory.CodePreconditionFailed: http.StatusPreconditionFailed,
	directory.CodeRateLimited:        http.StatusTooManyRequests,
	directory.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	directory.CodeInternal:           http.StatusInternalServerError,
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    directory.Code `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
}

func detailOf(err error) errorDetail {
	d := errorDetail{Code: directory.ErrorCode(err), Message: directory.ErrorMessage(err)}
	var e *directory.Error
	if errors.As(err, &e) {
		d.Field = e.Field
	}
	return d
}

// writeError renders err. Internal errors are logged with their cause and
// shown as "internal error"; the others are the caller's to read.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	d := detailOf(err)
	status, ok := statusOf[d.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		h.logger.ErrorContext(r.Context(), "admin api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else if cause := errors.Unwrap(err); cause != nil {
		h.logger.DebugContext(r.Context(), "admin api request refused", "code", string(d.Code), "cause", cause.Error())
	}
	if d.Code == directory.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
	}
	writeJSON(w, status, errorBody{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
