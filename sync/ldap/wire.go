package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldapv3 "github.com/go-ldap/ldap/v3"
)

// wireConn is a second, bare connection to the directory that serves the
// paged searches of a run (every user, every reference of the scan of
// removals, every group), which read tens of thousands of entries. The
// go-ldap client decodes each response into a tree of BER packets, a few
// hundred allocations an entry; wireConn reads a search result entry as
// one buffer and slices its DN and values out of it, with a handful. It
// speaks the little of LDAPv3 a paged search and an RFC 4533 refresh
// need: StartTLS, a simple bind, search requests (encoded by go-ldap), and
// their responses. Other messages (the root DSE, ranged values) go
// through the session's go-ldap connection.
type wireConn struct {
	nc      net.Conn
	r       *bufio.Reader
	timeout time.Duration
	id      int64
	stop    func() bool // detaches the close-on-cancel hook
}

// maxWireMessage bounds one response (an entry with its values): a larger
// length is a corrupt or hostile stream.
const maxWireMessage = 64 << 20

// LDAP protocol operation tags (RFC 4511), constructed, application class.
const (
	tagBindResponse      = 0x61
	tagSearchEntry       = 0x64
	tagSearchDone        = 0x65
	tagSearchReference   = 0x73
	tagExtendedResponse  = 0x78
	tagIntermediate      = 0x79
	tagSequence          = 0x30
	tagSet               = 0x31
	tagOctetString       = 0x04
	tagInteger           = 0x02
	tagBoolean           = 0x01
	tagEnumerated        = 0x0a
	startTLSOID          = "1.3.6.1.4.1.1466.20037"
	applicationBindReq   = ldapv3.ApplicationBindRequest
	applicationExtendReq = ldapv3.ApplicationExtendedRequest
)

// dialWire opens a wireConn as dial opens the session's connection: the
// same destination policy, TLS or StartTLS, and bind. The connection is
// closed when ctx ends.
func (c *config) dialWire(ctx context.Context, password string) (*wireConn, error) {
	u, _ := url.Parse(c.URL)
	tlsConf := c.tlsConfig(u)
	nc, err := c.connectRaw(ctx, u, tlsConf)
	if err != nil {
		return nil, err
	}
	w := &wireConn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), timeout: c.timeout}
	w.stop = context.AfterFunc(ctx, func() { _ = nc.Close() })
	if c.StartTLS {
		if err := w.startTLS(ctx, tlsConf); err != nil {
			w.close()
			return nil, fmt.Errorf("ldap: StartTLS with %s: %w", u.Host, err)
		}
	}
	if err := w.bind(c.BindDN, password); err != nil {
		w.close()
		if ldapv3.IsErrorWithCode(err, ldapv3.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("ldap: bind as %s refused: invalid credentials", c.BindDN)
		}
		return nil, fmt.Errorf("ldap: bind as %s: %w", c.BindDN, err)
	}
	return w, nil
}

func (w *wireConn) close() {
	w.stop()
	_ = w.nc.Close()
}

// send writes one LDAPMessage carrying op and controls, and returns its id.
func (w *wireConn) send(op *ber.Packet, controls []ldapv3.Control) (int64, error) {
	w.id++
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, w.id, "MessageID"))
	msg.AppendChild(op)
	if len(controls) > 0 {
		cp := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
		for _, c := range controls {
			cp.AppendChild(c.Encode())
		}
		msg.AppendChild(cp)
	}
	if err := w.nc.SetDeadline(time.Now().Add(w.timeout)); err != nil {
		return 0, err
	}
	if _, err := w.nc.Write(msg.Bytes()); err != nil {
		return 0, ldapv3.NewError(ldapv3.ErrorNetwork, err)
	}
	return w.id, nil
}

// read reads the next LDAPMessage whole, its header included.
func (w *wireConn) read() ([]byte, error) {
	var hdr [6]byte
	tag, err := w.r.ReadByte()
	if err != nil {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, err)
	}
	if tag != tagSequence {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, fmt.Errorf("a response starts with tag %#x, not a sequence", tag))
	}
	b, err := w.r.ReadByte()
	if err != nil {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, err)
	}
	hdr[0], hdr[1] = tag, b
	h, n := 2, int(b)
	if b&0x80 != 0 {
		k := int(b & 0x7f)
		if k == 0 || k > 4 {
			return nil, ldapv3.NewError(ldapv3.ErrorNetwork, errors.New("a response has an indefinite or oversized length"))
		}
		n = 0
		for range k {
			if b, err = w.r.ReadByte(); err != nil {
				return nil, ldapv3.NewError(ldapv3.ErrorNetwork, err)
			}
			hdr[h], h, n = b, h+1, n<<8|int(b)
		}
	}
	if n > maxWireMessage {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, fmt.Errorf("a response of %d bytes is over the limit of %d", n, maxWireMessage))
	}
	msg := make([]byte, h+n)
	copy(msg, hdr[:h])
	if _, err := io.ReadFull(w.r, msg[h:]); err != nil {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, err)
	}
	return msg, nil
}

// response is a decoded LDAPMessage header: its id, the tag of its
// protocol operation and where the operation's content lies in the
// message.
type response struct {
	id         int64
	op         byte
	start, end int
}

// parseResponse reads the message id and the operation of msg.
func parseResponse(msg []byte) (response, error) {
	tag, s, e, err := tlv(msg, 0)
	if err != nil || tag != tagSequence || e != len(msg) {
		return response{}, errMalformed
	}
	tag, s, e, err = tlv(msg, s)
	if err != nil {
		return response{}, err
	}
	if tag != tagInteger || e-s == 0 || e-s > 4 {
		return response{}, errors.New("ldap: a response has no message id")
	}
	var id int64
	for _, b := range msg[s:e] {
		id = id<<8 | int64(b)
	}
	op, os, oe, err := tlv(msg, e)
	if err != nil {
		return response{}, err
	}
	return response{id: id, op: op, start: os, end: oe}, nil
}

// tlv reads the BER element at off of b (single-byte tag, definite
// length) and returns its tag and the bounds of its content.
func tlv(b []byte, off int) (tag byte, start, end int, err error) {
	if off+2 > len(b) {
		return 0, 0, 0, errMalformed
	}
	tag = b[off]
	if tag&0x1f == 0x1f {
		return 0, 0, 0, errMalformed // multi-byte tags do not occur in LDAP responses
	}
	n := int(b[off+1])
	start = off + 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || start+k > len(b) {
			return 0, 0, 0, errMalformed
		}
		n = 0
		for _, x := range b[start : start+k] {
			n = n<<8 | int(x)
		}
		start += k
	}
	if n < 0 || n > len(b)-start {
		return 0, 0, 0, errMalformed
	}
	return tag, start, start + n, nil
}

var errMalformed = ldapv3.NewError(ldapv3.ErrorNetwork, errors.New("ldap: malformed response"))

// entry decodes a SearchResultEntry whose content is msg[start:end]. The
// DN and values are sliced out of one string copy of the message (values
// as bytes out of msg itself), so that an entry costs a few allocations
// whatever its number of values.
func entry(msg []byte, start, end int) (*ldapv3.Entry, error) {
	str := string(msg)
	tag, ds, de, err := tlv(msg, start)
	if err != nil || tag != tagOctetString {
		return nil, errMalformed
	}
	tag, as, ae, err := tlv(msg, de)
	if err != nil || tag != tagSequence || ae > end {
		return nil, errMalformed
	}
	// First pass: count the attributes and values, to allocate them at once.
	nattrs, nvals := 0, 0
	for off := as; off < ae; {
		tag, s, e, err := tlv(msg, off)
		if err != nil || tag != tagSequence || e > ae {
			return nil, errMalformed
		}
		tag, _, ne, err := tlv(msg, s)
		if err != nil || tag != tagOctetString || ne > e {
			return nil, errMalformed
		}
		tag, vs, ve, err := tlv(msg, ne)
		if err != nil || tag != tagSet || ve > e {
			return nil, errMalformed
		}
		for v := vs; v < ve; {
			tag, _, x, err := tlv(msg, v)
			if err != nil || tag != tagOctetString || x > ve {
				return nil, errMalformed
			}
			nvals++
			v = x
		}
		nattrs++
		off = e
	}
	attrs := make([]ldapv3.EntryAttribute, nattrs)
	ptrs := make([]*ldapv3.EntryAttribute, nattrs)
	vals := make([]string, nvals)
	raws := make([][]byte, nvals)
	i, j := 0, 0
	for off := as; off < ae; i++ {
		_, s, e, _ := tlv(msg, off)
		_, ns, ne, _ := tlv(msg, s)
		_, vs, ve, _ := tlv(msg, ne)
		first := j
		for v := vs; v < ve; j++ {
			_, x, y, _ := tlv(msg, v)
			vals[j], raws[j] = str[x:y], msg[x:y:y]
			v = y
		}
		attrs[i] = ldapv3.EntryAttribute{Name: str[ns:ne], Values: vals[first:j:j], ByteValues: raws[first:j:j]}
		ptrs[i] = &attrs[i]
		off = e
	}
	return &ldapv3.Entry{DN: str[ds:de], Attributes: ptrs}, nil
}

// result reads what a response carrying an LDAPResult says: nil for
// success, the server's error otherwise, and the response's controls.
// It is decoded by go-ldap: one message a request.
func result(msg []byte) ([]ldapv3.Control, error) {
	p, err := ber.DecodePacketErr(msg)
	if err != nil {
		return nil, ldapv3.NewError(ldapv3.ErrorNetwork, err)
	}
	var controls []ldapv3.Control
	if len(p.Children) > 2 {
		for _, cp := range p.Children[2].Children {
			c, err := ldapv3.DecodeControl(cp)
			if err != nil {
				return nil, err
			}
			controls = append(controls, c)
		}
	}
	return controls, ldapv3.GetLDAPError(p)
}

// await reads the response to request id, which must be an op.
func (w *wireConn) await(id int64, op byte) ([]byte, error) {
	msg, err := w.read()
	if err != nil {
		return nil, err
	}
	r, err := parseResponse(msg)
	if err != nil {
		return nil, err
	}
	if r.id != id || r.op != op {
		return nil, ldapv3.NewError(ldapv3.ErrorUnexpectedResponse, fmt.Errorf("ldap: unexpected response %#x to message %d", r.op, id))
	}
	return msg, nil
}

func (w *wireConn) startTLS(ctx context.Context, conf *tls.Config) error {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, applicationExtendReq, nil, "Start TLS")
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, startTLSOID, "TLS Extended Command"))
	id, err := w.send(req, nil)
	if err != nil {
		return err
	}
	msg, err := w.await(id, tagExtendedResponse)
	if err != nil {
		return err
	}
	if _, err := result(msg); err != nil {
		return err
	}
	if w.r.Buffered() > 0 {
		return ldapv3.NewError(ldapv3.ErrorNetwork, errors.New("ldap: data after the StartTLS response"))
	}
	tc := tls.Client(w.nc, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	w.nc, w.r = tc, bufio.NewReaderSize(tc, 64<<10)
	return nil
}

func (w *wireConn) bind(dn, password string) error {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, applicationBindReq, nil, "Bind Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, "Version"))
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, "User Name"))
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, "Password"))
	id, err := w.send(req, nil)
	if err != nil {
		return err
	}
	msg, err := w.await(id, tagBindResponse)
	if err != nil {
		return err
	}
	_, err = result(msg)
	return err
}

// searchRequest encodes a subtree search of base for filter, reading
// attrs.
func searchRequest(base, filter string, attrs []string) (*ber.Packet, error) {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldapv3.ApplicationSearchRequest, nil, "Search Request")
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, base, "Base DN"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(ldapv3.ScopeWholeSubtree), "Scope"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(ldapv3.NeverDerefAliases), "Deref Aliases"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(0), "Size Limit"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(0), "Time Limit"))
	req.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, "Types Only"))
	fp, err := ldapv3.CompileFilter(filter)
	if err != nil {
		return nil, err
	}
	req.AppendChild(fp)
	ap := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	for _, a := range attrs {
		ap.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, "Attribute"))
	}
	req.AppendChild(ap)
	return req, nil
}

// search sends one page's search request and calls fn with each entry of
// its answer, then returns the controls of the search result done.
func (w *wireConn) search(base, filter string, attrs []string, controls []ldapv3.Control, fn func(*ldapv3.Entry)) ([]ldapv3.Control, error) {
	req, err := searchRequest(base, filter, attrs)
	if err != nil {
		return nil, err
	}
	id, err := w.send(req, controls)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if n%256 == 255 {
			// The deadline bounds the wait for each stretch of the
			// answer, not the reading of a whole page.
			if err := w.nc.SetReadDeadline(time.Now().Add(w.timeout)); err != nil {
				return nil, err
			}
		}
		msg, r, err := w.answer(id)
		if err != nil {
			return nil, err
		}
		switch r.op {
		case tagSearchEntry:
			e, err := entry(msg, r.start, r.end)
			if err != nil {
				return nil, err
			}
			fn(e)
		case tagSearchReference, tagIntermediate:
			// Continuation references are not chased (nor were they by
			// the go-ldap client's paged searches).
		case tagSearchDone:
			return result(msg)
		default:
			return nil, ldapv3.NewError(ldapv3.ErrorUnexpectedResponse, fmt.Errorf("ldap: unexpected response %#x to a search", r.op))
		}
	}
}

// answer reads the next message of the answer to request id.
func (w *wireConn) answer(id int64) ([]byte, response, error) {
	msg, err := w.read()
	if err != nil {
		return nil, response{}, err
	}
	r, err := parseResponse(msg)
	if err != nil {
		return nil, response{}, err
	}
	if r.id != id {
		if r.id == 0 {
			// A notice of disconnection.
			_, err := result(msg)
			return nil, response{}, ldapv3.NewError(ldapv3.ErrorNetwork, fmt.Errorf("ldap: the server ended the connection: %w", err))
		}
		return nil, response{}, ldapv3.NewError(ldapv3.ErrorUnexpectedResponse, fmt.Errorf("ldap: a response to message %d while searching with %d", r.id, id))
	}
	return msg, r, nil
}

// syncItem is one message of a content synchronisation's answer (RFC
// 4533): an entry with its sync state, a syncInfo message, or, last, the
// controls of the search result done.
type syncItem struct {
	entry *ldapv3.Entry
	state ldapv3.ControlSyncStateState
	uuid  [16]byte
	info  *ldapv3.ControlSyncInfo
	done  []ldapv3.Control
}

// syncRefresh sends a refreshOnly content synchronisation of base for
// filter from cookie (nil: all of it), and hands its answer to fn a batch
// of up to batch items at a time, the last batch ending with the done
// item. fn returning false stops it. Entries are sliced out of their
// message as a paged search's are, and their sync state is read in
// place; only the few syncInfo messages go through go-ldap's decoder. The
// timeout bounds each wait for the server, not the whole refresh, nor
// the time fn takes.
func (w *wireConn) syncRefresh(base, filter string, attrs []string, cookie []byte, batch int, fn func([]syncItem) bool) error {
	req, err := searchRequest(base, filter, attrs)
	if err != nil {
		return err
	}
	id, err := w.send(req, []ldapv3.Control{ldapv3.NewControlSyncRequest(ldapv3.SyncRequestModeRefreshOnly, cookie, false)})
	if err != nil {
		return err
	}
	// The deadline bounds each stretch of the answer, as in search, and
	// starts again when fn returns: the time fn takes is not the server's.
	rearm := func() error { return w.nc.SetReadDeadline(time.Now().Add(w.timeout)) }
	if err := rearm(); err != nil {
		return err
	}
	items := make([]syncItem, 0, batch)
	for n := 1; ; n++ {
		if n%256 == 0 {
			if err := rearm(); err != nil {
				return err
			}
		}
		msg, r, err := w.answer(id)
		if err != nil {
			return err
		}
		var it syncItem
		switch r.op {
		case tagSearchEntry:
			if it.entry, err = entry(msg, r.start, r.end); err != nil {
				return err
			}
			state, uuid, found, err := syncState(msg, r.end)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("ldap: %s came without its sync state", it.entry.DN)
			}
			it.state, it.uuid = state, uuid
		case tagIntermediate:
			if it.info, err = syncInfoMessage(msg); err != nil {
				return err
			}
			if it.info == nil {
				continue // another intermediate response: not ours to read
			}
		case tagSearchReference:
			continue
		case tagSearchDone:
			controls, err := result(msg)
			if err != nil {
				return err
			}
			fn(append(items, syncItem{done: controls}))
			return nil
		default:
			return ldapv3.NewError(ldapv3.ErrorUnexpectedResponse, fmt.Errorf("ldap: unexpected response %#x to a content synchronisation", r.op))
		}
		if items = append(items, it); len(items) == batch {
			if !fn(items) {
				return nil
			}
			items = make([]syncItem, 0, batch)
			if err := rearm(); err != nil {
				return err
			}
		}
	}
}

// tagControls is the context-specific, constructed [0] that holds an
// LDAPMessage's controls.
const tagControls = 0xa0

// syncState finds the Sync State control among the controls that follow
// an entry (from off in msg): its state and the entry's UUID.
func syncState(msg []byte, off int) (state ldapv3.ControlSyncStateState, uuid [16]byte, found bool, err error) {
	if off == len(msg) {
		return 0, uuid, false, nil
	}
	tag, cs, ce, err := tlv(msg, off)
	if err != nil || tag != tagControls {
		return 0, uuid, false, errMalformed
	}
	for c := cs; c < ce; {
		// Control ::= SEQUENCE { controlType, criticality BOOLEAN
		// DEFAULT FALSE, controlValue OCTET STRING OPTIONAL }
		tag, s, e, err := tlv(msg, c)
		if err != nil || tag != tagSequence || e > ce {
			return 0, uuid, false, errMalformed
		}
		c = e
		tag, ts, te, err := tlv(msg, s)
		if err != nil || tag != tagOctetString || te > e {
			return 0, uuid, false, errMalformed
		}
		if string(msg[ts:te]) != ldapv3.ControlTypeSyncState {
			continue
		}
		v := te
		if v < e && msg[v] == tagBoolean {
			if _, _, v, err = tlv(msg, v); err != nil {
				return 0, uuid, false, errMalformed
			}
		}
		// syncStateValue ::= SEQUENCE { state ENUMERATED, entryUUID
		// OCTET STRING (SIZE(16)), cookie OCTET STRING OPTIONAL }
		tag, vs, ve, err := tlv(msg, v)
		if err != nil || tag != tagOctetString || ve > e {
			return 0, uuid, false, errMalformed
		}
		tag, ss, se, err := tlv(msg, vs)
		if err != nil || tag != tagSequence || se > ve {
			return 0, uuid, false, errMalformed
		}
		tag, es, ee, err := tlv(msg, ss)
		if err != nil || tag != tagEnumerated || ee-es != 1 || ee > se {
			return 0, uuid, false, errMalformed
		}
		state = ldapv3.ControlSyncStateState(msg[es])
		tag, us, ue, err := tlv(msg, ee)
		if err != nil || tag != tagOctetString || ue-us != 16 || ue > se {
			return 0, uuid, false, errMalformed
		}
		copy(uuid[:], msg[us:ue])
		return state, uuid, true, nil
	}
	return 0, uuid, false, nil
}

// syncInfoMessage decodes an intermediate response carrying a syncInfo
// message (nil, nil for another kind).
func syncInfoMessage(msg []byte) (*ldapv3.ControlSyncInfo, error) {
	p, err := ber.DecodePacketErr(msg)
	if err != nil || len(p.Children) < 2 {
		return nil, errMalformed
	}
	c, err := ldapv3.DecodeControl(p.Children[1])
	if err != nil {
		return nil, fmt.Errorf("ldap: a malformed syncInfo message: %w", err)
	}
	info, _ := c.(*ldapv3.ControlSyncInfo)
	return info, nil
}
