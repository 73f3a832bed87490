package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/outbound"
)

// session is one bound connection.
type session struct {
	conn *ldapv3.Conn
	c    *config
	stop func() bool // detaches the close-on-cancel hook
	// password binds wire, the connection of paged searches, opened at
	// the first.
	password string
	wire     *wireConn
}

// dial connects (TLS or StartTLS as configured) and binds. The connection
// is closed when ctx ends, which aborts a request in flight.
func (c *config) dial(ctx context.Context, password string) (*session, error) {
	u, _ := url.Parse(c.URL)
	tlsConf := c.tlsConfig(u)
	conn, err := c.connect(ctx, u, tlsConf)
	if err != nil {
		return nil, err
	}
	conn.SetTimeout(c.timeout)
	s := &session{conn: conn, c: c, stop: context.AfterFunc(ctx, func() { conn.Close() }), password: password}
	if c.StartTLS {
		if err := conn.StartTLS(tlsConf); err != nil {
			s.close()
			return nil, fmt.Errorf("ldap: StartTLS with %s: %w", u.Host, err)
		}
	}
	if err := conn.Bind(c.BindDN, password); err != nil {
		s.close()
		if ldapv3.IsErrorWithCode(err, ldapv3.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("ldap: bind as %s refused: invalid credentials", c.BindDN)
		}
		return nil, fmt.Errorf("ldap: bind as %s: %w", c.BindDN, err)
	}
	return s, nil
}

// tlsConfig is the TLS configuration of connections to the server of URL u.
func (c *config) tlsConfig(u *url.URL) *tls.Config {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.caPool, ServerName: c.ServerName}
	if conf.ServerName == "" {
		conf.ServerName = u.Hostname()
	}
	return conf
}

// connect opens a go-ldap connection to the server of URL u (see
// connectRaw).
func (c *config) connect(ctx context.Context, u *url.URL, tlsConf *tls.Config) (*ldapv3.Conn, error) {
	raw, err := c.connectRaw(ctx, u, tlsConf)
	if err != nil {
		return nil, err
	}
	conn := ldapv3.NewConn(raw, u.Scheme == "ldaps")
	conn.Start()
	return conn, nil
}

// connectRaw opens the connection to the server of URL u through the
// destination policy, which checks every address the host resolves to;
// ldaps:// connections are then wrapped in TLS. A refused destination is
// reported as outbound.ErrDestination alone, naming neither address nor
// port, so that the answer is the same whether anything listens there.
func (c *config) connectRaw(ctx context.Context, u *url.URL, tlsConf *tls.Config) (net.Conn, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"ldap": "389", "ldaps": "636"}[u.Scheme]
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	d := &net.Dialer{Timeout: c.timeout}
	policy := c.policy
	if policy == nil {
		policy = outbound.PublicOnly()
	}
	raw, err := policy.DialContext(ctx, d, "tcp", net.JoinHostPort(u.Hostname(), port))
	if errors.Is(err, outbound.ErrDestination) {
		return nil, fmt.Errorf("ldap: %w", outbound.ErrDestination)
	}
	if err != nil {
		return nil, fmt.Errorf("ldap: connecting to %s: %w", u.Host, err)
	}
	if u.Scheme == "ldaps" {
		tc := tls.Client(raw, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("ldap: connecting to %s: %w", u.Host, err)
		}
		raw = tc
	}
	return raw, nil
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
	if s.wire != nil {
		s.wire.close()
	}
}

// rootDSE reads the server's root entry.
func (s *session) rootDSE(attrs ...string) (*ldapv3.Entry, error) {
	res, err := s.conn.Search(ldapv3.NewSearchRequest("", ldapv3.ScopeBaseObject, ldapv3.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", attrs, nil))
	if err != nil {
		return nil, fmt.Errorf("ldap: reading the root DSE: %w", err)
	}
	if len(res.Entries) != 1 {
		return nil, errors.New("ldap: the server has no root DSE")
	}
	return res.Entries[0], nil
}

// adCapability is LDAP_CAP_ACTIVE_DIRECTORY_OID.
const adCapability = "1.2.840.113556.1.4.800"

// detectFlavor asks the root DSE whether the server is Active Directory.
func (s *session) detectFlavor() (Flavor, error) {
	if s.c.Flavor != "" {
		return s.c.Flavor, nil
	}
	e, err := s.rootDSE("supportedCapabilities")
	if err != nil {
		return "", err
	}
	for _, v := range e.GetAttributeValues("supportedCapabilities") {
		if v == adCapability {
			return FlavorAD, nil
		}
	}
	return FlavorOpenLDAP, nil
}

// adState reads the DC's replication identity and its highest committed
// USN. The USN is read before anything else so that changes made during
// the run are seen by the next one.
func (s *session) adState() (invocationID string, usn int64, err error) {
	e, err := s.rootDSE("highestCommittedUSN", "dsServiceName")
	if err != nil {
		return "", 0, err
	}
	usn, err = strconv.ParseInt(e.GetAttributeValue("highestCommittedUSN"), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("ldap: root DSE highestCommittedUSN %q: %w", e.GetAttributeValue("highestCommittedUSN"), err)
	}
	svc := e.GetAttributeValue("dsServiceName")
	if svc == "" {
		return "", 0, errors.New("ldap: root DSE has no dsServiceName")
	}
	res, err := s.conn.Search(ldapv3.NewSearchRequest(svc, ldapv3.ScopeBaseObject, ldapv3.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"invocationId"}, nil))
	if err != nil {
		return "", 0, fmt.Errorf("ldap: reading the DC's invocationId: %w", err)
	}
	if len(res.Entries) != 1 {
		return "", 0, fmt.Errorf("ldap: %s not found", svc)
	}
	raw := res.Entries[0].GetRawAttributeValue("invocationId")
	if len(raw) != 16 {
		return "", 0, fmt.Errorf("ldap: %s has no invocationId", svc)
	}
	return formatGUID(raw), usn, nil
}

// pageResult is one page of a paged search, or the error that ended it.
type pageResult struct {
	entries []*ldapv3.Entry
	err     error
}

// search streams a paged subtree search page by page: while fn works
// through one page, the next one is read, so the server and Roster work at
// the same time and at most two pages are held. controls are sent with
// every page's request, after the paging control.
func (s *session) search(ctx context.Context, base, filter string, attrs []string, fn func(*ldapv3.Entry) error, controls ...ldapv3.Control) error {
	w, err := s.wireConn(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan pageResult, 1)
	go s.readPages(ctx, w, base, filter, attrs, controls, pages)
	err = func() error {
		for p := range pages {
			if p.err != nil {
				return p.err
			}
			for _, e := range p.entries {
				if err := fn(e); err != nil {
					return err // cancel stops the reader
				}
			}
		}
		return ctx.Err()
	}()
	if err != nil {
		// The reader may be amid a page, or the stream broken: the next
		// search opens a new connection.
		w.close()
		s.wire = nil
	}
	return err
}

// wireConn returns the session's bare connection for long reads (see
// wireConn), opening it first.
func (s *session) wireConn(ctx context.Context) (*wireConn, error) {
	if s.wire == nil {
		w, err := s.c.dialWire(ctx, s.password)
		if err != nil {
			return nil, err
		}
		s.wire = w
	}
	return s.wire, nil
}

// readPages sends each page of the search to out and closes it at the end.
func (s *session) readPages(ctx context.Context, w *wireConn, base, filter string, attrs []string, controls []ldapv3.Control, out chan<- pageResult) {
	defer close(out)
	paging := ldapv3.NewControlPaging(uint32(s.c.PageSize)) //nolint:gosec // check keeps PageSize within 1..maxPageSize
	controls = append([]ldapv3.Control{paging}, controls...)
	for ctx.Err() == nil {
		entries := make([]*ldapv3.Entry, 0, s.c.PageSize)
		resControls, err := w.search(base, filter, attrs, controls, func(e *ldapv3.Entry) { entries = append(entries, e) })
		if err != nil {
			if ctx.Err() == nil {
				offer(ctx, out, pageResult{err: fmt.Errorf("ldap: searching %s for %s: %w", base, filter, err)})
			}
			return
		}
		if !offer(ctx, out, pageResult{entries: entries}) {
			return
		}
		ctrl, ok := ldapv3.FindControl(resControls, ldapv3.ControlTypePaging).(*ldapv3.ControlPaging)
		if !ok || len(ctrl.Cookie) == 0 {
			return
		}
		paging.SetCookie(ctrl.Cookie)
	}
}

// offer hands v to the reader of out, and reports false, leaving v, if
// ctx ends first: a reader that stopped reading never leaves its writer
// waiting.
func offer[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// values returns every value of a multi-valued attribute of e, following
// Active Directory's ranged retrieval ("member;range=0-1499") until the
// server says "*"; controls go with the follow-up reads.
func (s *session) values(e *ldapv3.Entry, attr string, controls ...ldapv3.Control) ([]string, error) {
	var out []string
	cur := e
	for {
		next := -1
		for _, a := range cur.Attributes {
			name, opts, _ := strings.Cut(a.Name, ";")
			if !strings.EqualFold(name, attr) {
				continue
			}
			out = append(out, a.Values...)
			if r, ok := strings.CutPrefix(strings.ToLower(opts), "range="); ok {
				_, end, _ := strings.Cut(r, "-")
				if end != "*" {
					n, err := strconv.Atoi(end)
					if err != nil {
						return nil, fmt.Errorf("ldap: %s of %s has a malformed range %q", attr, e.DN, a.Name)
					}
					next = n + 1
				}
			}
		}
		if next < 0 {
			return out, nil
		}
		ranged := fmt.Sprintf("%s;range=%d-*", attr, next)
		res, err := s.conn.Search(ldapv3.NewSearchRequest(e.DN, ldapv3.ScopeBaseObject, ldapv3.NeverDerefAliases,
			0, 0, false, "(objectClass=*)", []string{ranged}, controls))
		if err != nil {
			return nil, fmt.Errorf("ldap: reading %s of %s: %w", ranged, e.DN, err)
		}
		if len(res.Entries) != 1 {
			return nil, fmt.Errorf("ldap: %s vanished while reading its %s", e.DN, attr)
		}
		cur = res.Entries[0]
	}
}
