package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are labelled by route pattern, never by raw path, so that ids
// in URLs and scanners probing random paths cannot blow up cardinality.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	shed     prometheus.Counter
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	labels := []string{"route", "method", "code"}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "roster_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roster_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roster_http_requests_shed_total",
			Help: "HTTP requests answered 503 because the server was serving as many as it may at once.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight, m.shed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *httpMetrics) observe(route, method string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(route, method, c).Inc()
	m.duration.WithLabelValues(route, method, c).Observe(d.Seconds())
}

// routeLabel turns a ServeMux pattern ("GET /healthz", "/scim/v2/") into
// the route label: its path part, or "unmatched" for requests no route took.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
