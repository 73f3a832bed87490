package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// Protocol errors raised by this package are the library's ScimError, so
// that the library formats them unchanged on the routes it serves.

// scimTypeInvalidCursor is the detail keyword RFC 9865 adds for cursors.
const scimTypeInvalidCursor scimerrors.ScimType = "invalidCursor"

func badRequest(t scimerrors.ScimType, format string, args ...any) error {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: fmt.Sprintf(format, args...)}
}

func invalidValue(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeInvalidValue, format, args...)
}

func invalidFilter(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeInvalidFilter, format, args...)
}

func invalidPath(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeInvalidPath, format, args...)
}

func invalidSyntax(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeInvalidSyntax, format, args...)
}

func noTarget(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeNoTarget, format, args...)
}

func mutability(format string, args ...any) error {
	return badRequest(scimerrors.ScimTypeMutability, format, args...)
}

// errorFor maps any error to the RFC 7644 error the client is shown. It is
// the one place where the domain's error codes become HTTP statuses and
// scimTypes; everything in this package reports failures through it.
func errorFor(err error) scimerrors.ScimError {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	var sp *scimerrors.ScimError
	if errors.As(err, &sp) && sp != nil {
		return *sp
	}
	msg := directory.ErrorMessage(err)
	switch directory.ErrorCode(err) {
	case directory.CodeInvalid:
		t := scimerrors.ScimTypeInvalidValue
		var de *directory.Error
		if errors.As(err, &de) && de.Field == "filter" {
			t = scimerrors.ScimTypeInvalidFilter
		}
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: msg}
	case directory.CodeNotFound:
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: msg}
	case directory.CodeConflict:
		var de *directory.Error
		if errors.Is(err, directory.ErrOwnedByConnector) {
			// The attribute is the directory's: the write cannot be made
			// here, whatever the value.
			return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeMutability, Detail: msg}
		}
		if errors.As(err, &de) && de.Field == "services" {
			// A service without a free seat: a conflict with the
			// organization's state, not a duplicate user, so no
			// scimType that would send a client looking for a match.
			return scimerrors.ScimError{Status: http.StatusConflict, Detail: msg}
		}
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: msg}
	case directory.CodeForbidden:
		return scimerrors.ScimError{Status: http.StatusForbidden, Detail: msg}
	case directory.CodeUnauthorized:
		return scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: msg}
	case directory.CodePreconditionFailed:
		return scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: msg}
	case directory.CodeRateLimited:
		return scimerrors.ScimError{Status: http.StatusTooManyRequests, Detail: msg}
	case directory.CodeTooLarge:
		return scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: msg}
	case directory.CodeUnavailable:
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: msg}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: "the request took too long"}
	}
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
}

// report turns err into the error the client sees, logging what the client
// is not shown.
func (h *handler) report(r *http.Request, err error) scimerrors.ScimError {
	se := errorFor(err)
	if se.Status >= http.StatusInternalServerError && !errors.Is(err, context.Canceled) {
		h.log.ErrorContext(r.Context(), "scim request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("request_id", directory.RequestID(r.Context())), slog.Any("error", err))
	}
	return se
}

// fail writes the error response for err.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, h.report(r, err))
}

func writeError(w http.ResponseWriter, se scimerrors.ScimError) {
	body, _ := json.Marshal(se) // a struct of strings cannot fail to encode
	w.Header().Set("Content-Type", contentType)
	if se.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		// Identity providers retry a 503 after this long rather than
		// counting the request as failed.
		w.Header().Set("Retry-After", apijson.RetryAfterUnavailable)
	}
	w.WriteHeader(se.Status)
	_, _ = w.Write(body)
}
