// Package outboundtest helps tests check that a component makes its
// outbound calls through the client it was given.
package outboundtest

import (
	"net/http"
	"slices"
	"sync"
)

// Recorder is a transport that notes every request ("GET /path") before
// passing it on to Next.
type Recorder struct {
	Next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.Next.RoundTrip(req)
}

// Seen returns the requests made so far, in order.
func (r *Recorder) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}
