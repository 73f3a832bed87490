package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrDestination is the error of a connection the policy refuses. Its text
// is the same whatever the address and whether anything listens there, so
// that an answer built from it cannot be used to map internal networks.
var ErrDestination = errors.New("the destination is not allowed: Roster connects to public addresses only, unless outbound.allow lists the host")

// Policy decides which destinations outbound connections may reach: public
// addresses, and the hosts and networks of an allow-list (an intranet LDAP
// server, say). It is checked after name resolution, on the addresses
// actually dialled, so a public name that resolves to an internal address
// is refused, and nothing is resolved twice.
type Policy struct {
	prefixes []netip.Prefix
	hosts    map[string]bool // allow-listed names, lower case, no final dot
	// lookup resolves names; tests replace it with a fake resolver.
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewPolicy returns the policy that allows public addresses and the
// entries of allow: IP addresses (10.1.2.3, ::1), networks in CIDR form
// (10.0.0.0/8, fd00::/8) and host names (ldap.corp.example, connected
// whatever they resolve to). No entry means public addresses only.
func NewPolicy(allow ...string) (*Policy, error) {
	p := &Policy{hosts: map[string]bool{}, lookup: net.DefaultResolver.LookupNetIP}
	var bad []string
	for _, e := range allow {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if prefix, err := netip.ParsePrefix(e); err == nil {
			p.prefixes = append(p.prefixes, prefix.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(e); err == nil && ip.Zone() == "" {
			p.prefixes = append(p.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		if !validHostName(e) {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		p.hosts[normalizeHost(e)] = true
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: each entry must be an IP address, a network such as 10.0.0.0/8, or a host name", strings.Join(bad, ", "))
	}
	return p, nil
}

// PublicOnly returns the default policy: public addresses only.
func PublicOnly() *Policy {
	p, _ := NewPolicy() // no entry, no error
	return p
}

// checkHost resolves host (unless it is allow-listed by name) and refuses
// it if any of its addresses is not allowed. It is for requests handed to
// a proxy, which connects in Roster's place; a name Roster cannot resolve
// is left to the proxy, which may see names Roster does not.
func (p *Policy) checkHost(ctx context.Context, host string) error {
	if p.hostAllowed(host) {
		return nil
	}
	addrs := []netip.Addr{}
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, ip)
	} else if addrs, err = p.lookup(ctx, "ip", host); err != nil {
		return nil //nolint:nilerr // the proxy resolves what Roster cannot
	}
	for _, ip := range addrs {
		if !p.Allowed(ip) {
			return ErrDestination
		}
	}
	return nil
}

// ParsePolicy reads the outbound.allow setting: entries separated by commas
// or spaces.
func ParsePolicy(allow string) (*Policy, error) {
	return NewPolicy(strings.FieldsFunc(allow, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })...)
}

// WithResolver returns a copy of p that resolves names with lookup, the
// signature of net.Resolver.LookupNetIP.
func (p *Policy) WithResolver(lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)) *Policy {
	c := *p
	c.lookup = lookup
	return &c
}

func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		if strings.ContainsFunc(label, notHostChar) {
			return false
		}
	}
	return true
}

func notHostChar(r rune) bool {
	return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
}

func normalizeHost(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// hostAllowed reports whether host, a name, is allow-listed by name.
func (p *Policy) hostAllowed(host string) bool { return p.hosts[normalizeHost(host)] }

// Allowed reports whether the policy lets a connection reach ip.
func (p *Policy) Allowed(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	for _, prefix := range p.prefixes {
		if prefix.Contains(ip) {
			return true
		}
	}
	return isPublic(ip)
}

// nonPublic are the special-purpose ranges (RFC 6890 and successors) that
// netip's predicates do not cover and that no public service lives in, or
// that can smuggle an internal IPv4 address inside an IPv6 one.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),  // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"), // IETF protocol assignments, Teredo
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4
	netip.MustParsePrefix("fec0::/10"), // site-local
}

func isPublic(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, prefix := range nonPublic {
		if prefix.Contains(ip) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer Control hook that refuses an address the policy
// does not allow. DialContext installs it; it is exported for dialers that
// resolve names themselves, where allow-listed names cannot be recognised.
func (p *Policy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return ErrDestination
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !p.Allowed(ip) {
		return ErrDestination
	}
	return nil
}

// DialContext connects to address (host:port) through d once the policy
// allows it: a host allow-listed by name is dialled as it is; otherwise the
// host is resolved, every address it resolves to must be allowed, and the
// connection is made to those very addresses, so that a second resolution
// cannot lead elsewhere. d is not modified.
func (p *Policy) DialContext(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	if p.hostAllowed(host) {
		return d.DialContext(ctx, network, address)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ipNet := "ip"
		switch network {
		case "tcp4", "udp4":
			ipNet = "ip4"
		case "tcp6", "udp6":
			ipNet = "ip6"
		}
		if addrs, err = p.lookup(ctx, ipNet, host); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	for _, ip := range addrs {
		if !p.Allowed(ip) {
			return nil, ErrDestination
		}
	}
	guarded := *d
	guarded.Control = p.Control
	if d.Control != nil {
		guarded.Control = func(network, address string, c syscall.RawConn) error {
			if err := p.Control(network, address, c); err != nil {
				return err
			}
			return d.Control(network, address, c)
		}
	}
	var first error
	for _, ip := range addrs {
		conn, err := guarded.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}
