package server

import (
	"net/http"
	"strings"
	"time"
)

// Back-pressure. Past the load the database can serve, every request that
// is let in makes every other one slower, until clients time out while
// the server still works through requests nobody waits for. So the server
// serves at most MaxInFlight requests at once; a request that finds no
// free slot within QueueTimeout is answered 503 with Retry-After at once,
// which SCIM clients (Entra, Okta) and the API's clients retry.

// Defaults of Config.MaxInFlight and Config.QueueTimeout.
const (
	DefaultMaxInFlight  = 256
	DefaultQueueTimeout = 100 * time.Millisecond
)

// shedRetryAfter is the Retry-After of a shed request, in seconds.
const shedRetryAfter = "1"

// exemptFromShedding are the probes and the scrape, which must answer
// however busy the server is: an orchestrator would otherwise restart a
// replica for being loaded.
func exemptFromShedding(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// shed admits a request when a slot is free within the queue timeout, and
// answers 503 otherwise.
func (s *Server) shed(next http.Handler) http.Handler {
	if s.cfg.MaxInFlight < 0 {
		return next
	}
	slots := make(chan struct{}, s.cfg.MaxInFlight)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exemptFromShedding(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(s.cfg.QueueTimeout)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				s.metrics.shed.Inc()
				writeOverloaded(w, r)
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// writeOverloaded answers a shed request in the error format of the API it
// was meant for: SCIM's error schema under /scim, the admin API's JSON
// error elsewhere.
func writeOverloaded(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Retry-After", shedRetryAfter)
	h.Set("Cache-Control", "no-store")
	const detail = "Roster is serving as many requests as it can; retry after a second"
	if strings.HasPrefix(r.URL.Path, "/scim/") {
		h.Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503","detail":"` + detail + `"}` + "\n"))
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"error":{"code":"overloaded","message":"` + detail + `"}}` + "\n"))
}
