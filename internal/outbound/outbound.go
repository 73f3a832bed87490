// Package outbound builds the one HTTP client every outbound call of Roster
// goes through: OpenID Connect discovery, tokens and keys, the Microsoft
// Graph token and API calls, and whatever calls out next. It bounds each
// step of a request with a timeout, names Roster in the User-Agent, routes
// through the configured proxy and reaches only the destinations its
// Policy allows (public addresses, unless allow-listed).
package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of the zero fields of Options.
const (
	DefaultConnectTimeout        = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultTimeout               = 60 * time.Second
)

// Product names Roster in the User-Agent: "Roster/<version>".
const Product = "Roster"

// Options configures the client. A zero timeout takes its default.
type Options struct {
	// ConnectTimeout bounds opening a TCP connection (to the destination,
	// or to the proxy).
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response headers once
	// the request is written.
	ResponseHeaderTimeout time.Duration
	// Timeout bounds the whole exchange: connecting, redirects, reading
	// the body.
	Timeout time.Duration
	// Version is Roster's version, sent as User-Agent "Roster/<Version>";
	// empty sends "Roster".
	Version string
	// Proxy chooses the proxy of each request; nil means none. See
	// ParseProxy.
	Proxy func(*http.Request) (*url.URL, error)
	// Policy says which destinations requests may reach, checked on every
	// connection after name resolution, and so on every redirect; nil
	// allows public addresses only. Through a proxy, the proxy (which the
	// operator configured) may be reached wherever it is, and the
	// request's host is resolved and checked before it is handed over.
	Policy *Policy
	// Control, if set, is called for every new connection once its address
	// is resolved and before it is dialled (see net.Dialer.Control); an
	// error refuses the connection. Through a proxy, the address is the
	// proxy's.
	Control func(network, address string, c syscall.RawConn) error
}

// New returns a client configured by o. Each call returns a client with a
// transport, and so a connection pool, of its own: build one per process
// and share it.
func New(o Options) *http.Client {
	o = o.withDefaults()
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second, Control: o.Control}
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t = &http.Transport{ForceAttemptHTTP2: true, MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second}
	}
	t = t.Clone()
	g := &guard{policy: o.Policy, proxies: map[string]bool{}}
	t.Proxy = nil
	if o.Proxy != nil {
		t.Proxy = g.proxy(o.Proxy)
	}
	t.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if g.isProxy(address) {
			return dialer.DialContext(ctx, network, address)
		}
		return g.policy.DialContext(ctx, dialer, network, address)
	}
	t.TLSHandshakeTimeout = o.TLSHandshakeTimeout
	t.ResponseHeaderTimeout = o.ResponseHeaderTimeout
	return &http.Client{
		Transport: &userAgent{next: t, value: UserAgent(o.Version)},
		Timeout:   o.Timeout,
	}
}

// guard applies the policy to the connections of one client.
type guard struct {
	policy *Policy
	mu     sync.Mutex
	// proxies are the host:port addresses of the proxies requests went
	// through: connections to them are the operator's choice.
	proxies map[string]bool
}

// proxy wraps the proxy chooser of a transport: a proxied request's host
// is checked here, since the connection only reaches the proxy.
func (g *guard) proxy(choose func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		u, err := choose(r)
		if err != nil || u == nil {
			return u, err
		}
		if err := g.policy.checkHost(r.Context(), r.URL.Hostname()); err != nil {
			return nil, err
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
		}
		g.mu.Lock()
		g.proxies[net.JoinHostPort(u.Hostname(), port)] = true
		g.mu.Unlock()
		return u, nil
	}
}

func (g *guard) isProxy(address string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.proxies[address]
}

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if o.ResponseHeaderTimeout <= 0 {
		o.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Policy == nil {
		o.Policy = PublicOnly()
	}
	return o
}

// UserAgent returns the User-Agent of version: "Roster/<version>", or
// "Roster" without one. Characters a product token cannot hold become
// dashes.
func UserAgent(version string) string {
	version = strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(version))
	if version == "" {
		return Product
	}
	return Product + "/" + version
}

// userAgent sets the User-Agent of every request, redirects included.
type userAgent struct {
	next  http.RoundTripper
	value string
}

func (u *userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context()) // a RoundTripper must not change its request
	r.Header.Set("User-Agent", u.value)
	return u.next.RoundTrip(r)
}

// Proxy settings, as written in the configuration.
const (
	// ProxyNone connects directly, whatever the environment says.
	ProxyNone = "none"
	// ProxyEnvironment uses HTTPS_PROXY, HTTP_PROXY and NO_PROXY (and
	// their lower-case forms), as Go programs usually do.
	ProxyEnvironment = "environment"
)

// errProxy is ParseProxy's error. It never repeats the setting, which may
// carry the proxy's password.
var errProxy = errors.New("must be " + ProxyNone + ", " + ProxyEnvironment +
	" or the URL of a proxy, such as http://proxy.example.com:3128 (http, https, socks5 or socks5h, no path)")

// ParseProxy reads a proxy setting: ProxyNone, ProxyEnvironment, or the URL
// of a proxy (http://, https://, socks5:// or socks5h://, host and port,
// perhaps user:password@) that every request goes through. The function it
// returns is Options.Proxy; nil for ProxyNone.
func ParseProxy(s string) (func(*http.Request) (*url.URL, error), error) {
	switch s {
	case ProxyNone:
		return nil, nil
	case ProxyEnvironment:
		return http.ProxyFromEnvironment, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errProxy
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, errProxy
	}
	return http.ProxyURL(u), nil
}
