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
