package main

import (
	"fmt"
	"net/http"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/outbound"
)

// newOutbound builds, from the outbound.* settings, the destination policy
// every outbound connection follows (HTTP and LDAP) and the HTTP client of
// every call Roster makes to other servers (single sign-on providers,
// Microsoft Graph), which enforces it. One of each is built per process and
// shared.
func newOutbound(c config.Outbound) (*http.Client, *outbound.Policy, error) {
	proxy, err := outbound.ParseProxy(c.Proxy.Reveal())
	if err != nil {
		return nil, nil, fmt.Errorf("outbound.proxy: %w", err)
	}
	policy, err := outbound.ParsePolicy(c.Allow)
	if err != nil {
		return nil, nil, fmt.Errorf("outbound.allow: %w", err)
	}
	return outbound.New(outbound.Options{
		Policy:                policy,
		ConnectTimeout:        c.ConnectTimeout,
		TLSHandshakeTimeout:   c.TLSHandshakeTimeout,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		Timeout:               c.Timeout,
		Version:               versionString(),
		Proxy:                 proxy,
	}), policy, nil
}
