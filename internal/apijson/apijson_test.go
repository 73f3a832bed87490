package apijson

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestWriteError(t *testing.T) {
	for _, c := range []struct {
		err       error
		status    int
		body      string
		challenge bool
	}{
		{directory.FieldErrorf(directory.CodeConflict, "userName", "taken"), http.StatusConflict,
			`{"error":{"code":"conflict","message":"taken","field":"userName"}}`, false},
		{directory.Errorf(directory.CodeUnauthorized, "no token"), http.StatusUnauthorized,
			`{"error":{"code":"unauthorized","message":"no token"}}`, true},
		{directory.ErrStale, http.StatusPreconditionFailed,
			`{"error":{"code":"precondition_failed","message":"` + directory.ErrStale.Message + `"}}`, false},
		{errors.New("disk on fire"), http.StatusInternalServerError,
			`{"error":{"code":"internal","message":"internal error"}}`, false},
		{directory.Unavailable(errors.New("dial tcp 10.0.0.5:5432: connection refused")), http.StatusServiceUnavailable,
			`{"error":{"code":"unavailable","message":"the service is briefly unavailable; try again"}}`, false},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, c.err)
		if rec.Code != c.status || rec.Body.String() != c.body+"\n" {
			t.Errorf("%v: %d %s, want %d %s", c.err, rec.Code, rec.Body, c.status, c.body)
		}
		if got, want := rec.Header().Get("Retry-After"), map[bool]string{true: RetryAfterUnavailable}[c.status == http.StatusServiceUnavailable]; got != want {
			t.Errorf("%v: Retry-After %q, want %q", c.err, got, want)
		}
		if got := rec.Header().Get("WWW-Authenticate") != ""; got != c.challenge {
			t.Errorf("%v: challenge %v, want %v", c.err, got, c.challenge)
		}
		for h, want := range map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := rec.Header().Get(h); got != want {
				t.Errorf("%v: %s %q, want %q", c.err, h, got, want)
			}
		}
	}
}
