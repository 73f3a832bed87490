package directory

import (
	"errors"
	"fmt"
)

// Code classifies an error so that each transport can map it to its own
// response (HTTP status, SCIM scimType, CLI exit message) in one place.
type Code string

// Error codes. Transports map them; they never match on messages.
const (
	CodeInvalid            Code = "invalid"             // the input is malformed or breaks a rule
	CodeNotFound           Code = "not_found"           // no such object in the caller's organization
	CodeConflict           Code = "conflict"            // a uniqueness rule would be broken
	CodeForbidden          Code = "forbidden"           // the actor may not do this
	CodeUnauthorized       Code = "unauthorized"        // the caller is not authenticated
	CodePreconditionFailed Code = "precondition_failed" // the object changed since the caller read it
	CodeRateLimited        Code = "rate_limited"        // too many requests
	CodeTooLarge           Code = "too_large"           // the request or a value is too big
	CodeInternal           Code = "internal"            // a bug or a failure without a known cause
	CodeUnavailable        Code = "unavailable"         // the database cannot answer now (restart, failover): try again
)

// Error is the one error type of the domain. Message is safe to show to the
// caller; Err (if any) is for logs only.
type Error struct {
	Code    Code
	Message string
	// Field names the offending attribute for CodeInvalid and CodeConflict,
	// when there is one (e.g. "userName").
	Field string
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf builds an Error about one attribute.
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. Its message never leaks the cause.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// Unavailable wraps a failure to reach the database, which a client may
// cure by trying again in a moment. Its message never leaks the cause.
func Unavailable(err error) *Error {
	return &Error{Code: CodeUnavailable, Message: "the service is briefly unavailable; try again", Err: err}
}

// IsServerFault reports whether err is the server's fault rather than the
// request's (internal or unavailable): what transports log.
func IsServerFault(err error) bool {
	c := ErrorCode(err)
	return c == CodeInternal || c == CodeUnavailable
}

// ErrorCode returns the code of err, CodeInternal for foreign errors and ""
// for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// ErrStale is returned by stores when an update names a version that is no
// longer current. The service retries or reports CodePreconditionFailed.
var ErrStale = &Error{Code: CodePreconditionFailed, Message: "the object was changed by someone else; read it again"}
