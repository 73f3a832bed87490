package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPolicyAllows(t *testing.T) {
	allowList := mustPolicy("10.20.0.0/16", "192.168.1.7", "fd12::/16")
	for _, tc := range []struct {
		ip          string
		def, listed bool // allowed by the default policy, by allowList
	}{
		{"8.8.8.8", true, true},
		{"2606:4700:4700::1111", true, true},
		{"127.0.0.1", false, false},
		{"127.8.9.10", false, false},
		{"::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"169.254.169.254", false, false}, // cloud metadata
		{"fe80::1", false, false},
		{"10.0.0.1", false, false},
		{"10.20.3.4", false, true},
		{"172.16.0.1", false, false},
		{"192.168.1.7", false, true},
		{"192.168.1.8", false, false},
		{"100.64.0.1", false, false},
		{"fd00::1", false, false}, // unique local
		{"fd12::1", false, true},
		{"::ffff:127.0.0.1", false, false}, // IPv4-mapped
		{"::ffff:10.20.0.1", false, true},
		{"64:ff9b::a00:1", false, false}, // NAT64 of 10.0.0.1
		{"2002:a00:1::", false, false},   // 6to4 of 10.0.0.1
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := PublicOnly().Allowed(ip); got != tc.def {
			t.Errorf("default policy allows %s: %v, want %v", tc.ip, got, tc.def)
		}
		if got := allowList.Allowed(ip); got != tc.listed {
			t.Errorf("allow-list policy allows %s: %v, want %v", tc.ip, got, tc.listed)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy("10.0.0.0/8, ldap.corp.example  ::1,LDAP2.Corp.Example.")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allowed(netip.MustParseAddr("10.1.1.1")) || !p.Allowed(netip.MustParseAddr("::1")) ||
		!p.hostAllowed("LDAP.corp.example.") || !p.hostAllowed("ldap2.corp.example") || p.hostAllowed("corp.example") {
		t.Fatalf("policy %+v", p)
	}
	if _, err := ParsePolicy("10.0.0.0/33, http://x, ok.example, a b/c"); err == nil ||
		!strings.Contains(err.Error(), `"10.0.0.0/33", "http://x"`) || !strings.Contains(err.Error(), `"b/c"`) {
		t.Fatalf("err = %v, want each bad entry named", err)
	}
}

// fakeDNS resolves names from a table, as a resolver under an attacker's
// control could.
func fakeDNS(table map[string]string) func(context.Context, string, string) ([]netip.Addr, error) {
	return func(_ context.Context, _, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range strings.Fields(table[host]) {
			out = append(out, netip.MustParseAddr(a))
		}
		if len(out) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func TestClientRefusesInternalDestinations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-internal" {
			http.Redirect(w, r, "http://127.0.0.1:"+r.URL.Query().Get("port")+"/", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("reached"))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := fakeDNS(map[string]string{
		"idp.example":      "10.0.0.5",
		"mixed.example":    "8.8.8.8 127.0.0.1",
		"intranet.example": "127.0.0.1",
	})
	for _, tc := range []struct {
		name   string
		policy *Policy
		url    string
		reach  bool
	}{
		{"loopback is refused", PublicOnly(), srv.URL, false},
		{"the IPv6 loopback is refused", PublicOnly(), "http://[::1]:" + port, false},
		{"link-local metadata is refused", PublicOnly(), "http://169.254.169.254/latest/meta-data/", false},
		{"a private address is refused", PublicOnly(), "http://10.1.2.3:389/", false},
		{"a unique local IPv6 address is refused", PublicOnly(), "http://[fd00::1]/", false},
		{"a name resolving to a private address is refused", PublicOnly().WithResolver(dns), "http://idp.example/", false},
		{"a name resolving to one internal address among public ones is refused", PublicOnly().WithResolver(dns), "http://mixed.example/", false},
		{"an allow-listed network is reached", mustPolicy("127.0.0.0/8").WithResolver(dns), "http://intranet.example:" + port, true},
		{"an allow-listed host is reached", mustPolicy("localhost"), "http://localhost:" + port, true},
		{"a redirect to an internal address is refused", mustPolicy("localhost"), "http://localhost:" + port + "/to-internal?port=" + port, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{Policy: tc.policy, ConnectTimeout: time.Second})
			resp, err := get(t, c, tc.url)
			if tc.reach {
				if err != nil {
					t.Fatalf("err = %v, want the server reached", err)
				}
				resp.Body.Close()
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s was reached", tc.url)
			}
			if !errors.Is(err, ErrDestination) {
				t.Fatalf("err = %v, want ErrDestination", err)
			}
		})
	}
}

func TestProxiedRequestsAreChecked(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("proxied"))
	}))
	defer proxy.Close()
	u, _ := url.Parse(proxy.URL)
	dns := fakeDNS(map[string]string{"idp.example": "10.0.0.5", "public.example": "8.8.8.8"})
	// The proxy itself is on loopback: the operator chose it.
	c := New(Options{Policy: PublicOnly().WithResolver(dns), Proxy: http.ProxyURL(u)})
	for target, ok := range map[string]bool{
		"http://public.example/":     true,
		"http://unresolved.example/": true, // left to the proxy
		"http://idp.example/":        false,
		"http://10.1.2.3/":           false,
		"http://[::1]/":              false,
	} {
		resp, err := get(t, c, target)
		if ok {
			if err != nil {
				t.Errorf("%s: %v, want it handed to the proxy", target, err)
				continue
			}
			resp.Body.Close()
			continue
		}
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrDestination) {
			t.Errorf("%s: err = %v, want ErrDestination", target, err)
		}
	}
}

func TestRefusalIsTheSameForOpenAndClosedPorts(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	d := &net.Dialer{Timeout: time.Second}
	_, errOpen := PublicOnly().DialContext(t.Context(), d, "tcp", open.Addr().String())
	_, errClosed := PublicOnly().DialContext(t.Context(), d, "tcp", closedAddr)
	if errOpen == nil || errClosed == nil || errOpen.Error() != errClosed.Error() || !errors.Is(errOpen, ErrDestination) {
		t.Fatalf("open port: %v; closed port: %v; want the same refusal", errOpen, errClosed)
	}
	// Allowed, the same ports answer differently, as they should.
	conn, err := loopback.DialContext(t.Context(), d, "tcp", open.Addr().String())
	if err != nil {
		t.Fatalf("an allowed open port: %v", err)
	}
	conn.Close()
	if _, err := loopback.DialContext(t.Context(), d, "tcp", closedAddr); err == nil || errors.Is(err, ErrDestination) {
		t.Fatalf("an allowed closed port: %v, want connection refused", err)
	}
}
