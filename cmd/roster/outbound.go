package main

import (
	"fmt"
	"net/http"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/outbound"
)

// newOutboundClient builds the HTTP client of every call Roster makes to
// other servers (single sign-on providers, Microsoft Graph) from the
// outbound.* settings. One is built per process and shared.
func newOutboundClient(c config.Outbound) (*http.Client, error) {
	proxy, err := outbound.ParseProxy(c.Proxy.Reveal())
	if err != nil {
		return nil, fmt.Errorf("outbound.proxy: %w", err)
	}
	policy, err := outboundPolicy(c)
	if err != nil {
		return nil, err
	}
	return outbound.New(outbound.Options{
		Policy:                policy,
		ConnectTimeout:        c.ConnectTimeout,
		TLSHandshakeTimeout:   c.TLSHandshakeTimeout,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		Timeout:               c.Timeout,
		Version:               versionString(),
		Proxy:                 proxy,
	}), nil
}

// outboundPolicy is the destination policy of outbound.allow, which LDAP
// connections follow too.
func outboundPolicy(c config.Outbound) (*outbound.Policy, error) {
	policy, err := outbound.ParsePolicy(c.Allow)
	if err != nil {
		return nil, fmt.Errorf("outbound.allow: %w", err)
	}
	return policy, nil
}
