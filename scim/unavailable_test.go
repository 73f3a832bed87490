package scim

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// A database that cannot be reached (a restart, a failover) answers 503
// with Retry-After and the SCIM error schema, so that identity providers
// retry the request instead of counting it failed; the cause is not shown.
func TestAnUnavailableDatabaseAnswers503WithRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, errorFor(directory.Unavailable(errors.New("dial tcp 10.0.0.5:5432: connection refused"))))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != apijson.RetryAfterUnavailable {
		t.Fatalf("%d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	body := rec.Body.String()
	if !strings.Contains(body, "urn:ietf:params:scim:api:messages:2.0:Error") || !strings.Contains(body, `"status":"503"`) ||
		!strings.Contains(body, "briefly unavailable") || strings.Contains(body, "10.0.0.5") {
		t.Errorf("body %s", body)
	}
	rec = httptest.NewRecorder()
	writeError(rec, errorFor(errors.New("a bug")))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Retry-After") != "" {
		t.Errorf("an internal error: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

// POST /Users keeps the library's rule that a status SCIM does not list
// for POST is a 500, except a 503, which the client must retry.
func TestACreateTheDatabaseCouldNotTakeAnswers503(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, createError(errorFor(directory.Unavailable(errors.New("connection refused")))))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != apijson.RetryAfterUnavailable {
		t.Fatalf("an unavailable database: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{directory.Errorf(directory.CodeConflict, "userName taken"), http.StatusConflict},
		{directory.Errorf(directory.CodeInvalid, "bad email"), http.StatusBadRequest},
		{errors.New("a bug"), http.StatusInternalServerError},
	} {
		if got := createError(errorFor(tc.err)); got.Status != tc.want {
			t.Errorf("%v: status %d, want %d", tc.err, got.Status, tc.want)
		}
	}
}
