package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// middleware wraps the routes in what every request goes through, in
// order: panic recovery, the request id, authentication, the per-token rate
// limit, the body limit and the refusal of attributes given twice. Rate
// limiting and body limits answer here, before the library, because the
// library turns 429 and 413 into 500s.
func (h *handler) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer h.recoverPanic(w, r)
		ctx := withRequestID(w, r)

		tok, ok := h.authenticate(ctx, w, r)
		if !ok {
			return
		}
		// One copy of the request carries both the request id and the
		// token.
		r = r.WithContext(context.WithValue(ctx, tokenKey{}, tok))

		if h.limiter != nil {
			if ok, wait := h.limiter.Allow(tok.ID); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				writeError(w, scimerrors.ScimError{Status: http.StatusTooManyRequests,
					Detail: "too many requests for this token; retry after the number of seconds in Retry-After"})
				return
			}
		}
		if err := apijson.CheckURL(r); err != nil {
			writeError(w, errorFor(invalidValue("%s", directory.ErrorMessage(err))))
			return
		}
		if !h.readBody(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanic answers a panicking request with a 500 and logs the stack.
func (h *handler) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(v)
	}
	h.log.ErrorContext(r.Context(), "scim handler panicked", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
	h.fail(w, r, directory.Internal(fmt.Errorf("panic: %v", v)))
}

// withRequestID returns the request's context with the id its audit events
// record: the caller's (an outer middleware's, or a sane X-Request-Id), or
// a new one.
func withRequestID(w http.ResponseWriter, r *http.Request) context.Context {
	if directory.RequestID(r.Context()) != "" {
		return r.Context()
	}
	id := r.Header.Get("X-Request-Id")
	if len(id) == 0 || len(id) > 128 || strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		id = directory.NewID()
	}
	w.Header().Set("X-Request-Id", id)
	return directory.WithRequestID(r.Context(), id)
}

// readBody reads the whole body into memory, answering 413 past the limit,
// so that neither the library (which ignores read errors) nor the handlers
// see a truncated body.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if r.ContentLength > h.maxBody {
		writeError(w, tooLarge(h.maxBody))
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
	if err != nil {
		writeError(w, errorFor(invalidSyntax("could not read the request body")))
		return false
	}
	if int64(len(body)) > h.maxBody {
		writeError(w, tooLarge(h.maxBody))
		return false
	}
	if err := checkDuplicateKeys(body); err != nil {
		writeError(w, errorFor(err))
		return false
	}
	r.Body = &bufferedBody{Reader: *bytes.NewReader(body), data: body}
	r.ContentLength = int64(len(body))
	return true
}

// checkDuplicateKeys refuses a body in which one object gives an attribute
// twice, in any case ("userName" and "username"): the library and
// encoding/json would keep one of them silently. It also refuses NUL and
// invalid UTF-8 in any string (invalidValue naming the attribute), which
// encoding/json would keep or quietly replace. Malformed JSON is left to
// the route, which reports it in its own words.
func checkDuplicateKeys(body []byte) error {
	if !json.Valid(body) {
		return nil
	}
	err := apijson.CheckDuplicatesFold(body)
	if err == nil {
		return nil
	}
	var de *directory.Error
	switch {
	case !errors.As(err, &de):
	case errors.Is(err, apijson.ErrText):
		return invalidValue("%s", de.Message)
	default:
		return invalidSyntax("the attribute %q is given more than once", de.Field)
	}
	return err
}

func tooLarge(limit int64) scimerrors.ScimError {
	return scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge,
		Detail: "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
}
