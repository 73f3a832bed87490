package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/outbound"
)

func TestOutboundClientFollowsTheConfiguration(t *testing.T) {
	seen := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen <- r.URL.String() + " " + r.UserAgent()
	}))
	defer proxy.Close()
	cfg, err := config.Load("", []string{"ROSTER_OUTBOUND_PROXY=" + proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := newOutbound(cfg.Outbound)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://idp.invalid/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "http://idp.invalid/.well-known/openid-configuration " + outbound.UserAgent(versionString())
	if got := <-seen; got != want {
		t.Fatalf("the proxy saw %q, want %q", got, want)
	}
	if client.Timeout != cfg.Outbound.Timeout {
		t.Fatalf("timeout %s, want %s", client.Timeout, cfg.Outbound.Timeout)
	}
}
