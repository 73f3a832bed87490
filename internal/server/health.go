package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers 200 while the process can serve HTTP at all; orchestrators
// restart the process when it stops answering.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

// readyz answers 200 when Roster can do useful work (its database answers)
// and 503 otherwise or once shutdown has begun, so that load balancers send
// traffic elsewhere.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.logger.WarnContext(r.Context(), "readiness check failed: database does not answer", "error", err)
		writeStatus(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	writeStatus(w, http.StatusOK, "ok")
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError),
		// Count scrape failures on the same registry.
		Registry: s.cfg.Registry,
	})
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status}) // the client may be gone; nothing to do
}
