// Package apijson reads and writes the bodies of Roster's JSON APIs. One
// strict decoder reads requests (Decode); every answer carries the same
// headers, and every error the same shape and the same status for its
// code.
package apijson

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/roster/roster/internal/directory"
)

// Write answers v as JSON with status. An answer is never cached, and is
// never sniffed as anything but JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// ErrorDetail is an error as the APIs show it: {"error": detail} answers
// a request, and bulk answers give one per failed row.
type ErrorDetail struct {
	Code    directory.Code `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
}

// Detail describes err.
func Detail(err error) ErrorDetail {
	d := ErrorDetail{Code: directory.ErrorCode(err), Message: directory.ErrorMessage(err)}
	var e *directory.Error
	if errors.As(err, &e) {
		d.Field = e.Field
	}
	return d
}

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
	directory.CodeUnavailable:        http.StatusServiceUnavailable,
}

// RetryAfterUnavailable is the Retry-After, in seconds, of an answer that
// the database could not be reached: a restart or failover takes seconds.
const RetryAfterUnavailable = "2"

// Status is the HTTP status of err: 500 for a code it does not know.
func Status(err error) int {
	if status, ok := statusOf[directory.ErrorCode(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// WriteError answers err with its status and {"error": detail}, and with
// the authentication challenge when it is 401. Logging is the caller's.
func WriteError(w http.ResponseWriter, err error) {
	d := Detail(err)
	switch d.Code {
	case directory.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
	case directory.CodeUnavailable:
		w.Header().Set("Retry-After", RetryAfterUnavailable)
	}
	Write(w, Status(err), map[string]ErrorDetail{"error": d})
}
