package ldaptest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldapv3 "github.com/go-ldap/ldap/v3"
)

// FakeAD is an in-process LDAP server that answers like an Active
// Directory domain controller: a root DSE with supportedCapabilities,
// highestCommittedUSN and dsServiceName; an NTDS Settings object with an
// invocationId; binary objectGUIDs; uSNChanged stamped on every change;
// paged results; and ranged retrieval of member values beyond RangeSize.
// It speaks plain LDAP (no TLS) and evaluates and, or, not, equality,
// presence, substrings and ordering filters, and the extensible match
// LDAP_MATCHING_RULE_IN_CHAIN on memberOf (membership through nested
// groups, computed from the groups' member values).
type FakeAD struct {
	URL          string
	BaseDN       string
	BindDN       string
	BindPassword string
	// RangeSize is MaxValRange: the most values of one attribute returned
	// at once before ranged retrieval kicks in.
	RangeSize int

	ln       net.Listener
	mu       sync.Mutex
	entries  []*adEntry
	usn      int64
	guids    int
	searches int
	// showDeleted counts searches with the Show Deleted control;
	// denyDeleted refuses them.
	showDeleted int
	denyDeleted bool
	// inChain counts the entries tested against an in-chain match.
	inChain int
	wg      sync.WaitGroup
}

type adEntry struct {
	dn    string
	attrs map[string][][]byte // lower-cased names
	names map[string]string   // lower-cased → as given
}

const dsService = "CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=corp,DC=test"

// StartFakeAD starts a fake DC for DC=corp,DC=test; it stops when the test
// ends.
func StartFakeAD(t testing.TB) *FakeAD {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &FakeAD{
		URL: "ldap://" + ln.Addr().String(), BaseDN: "DC=corp,DC=test",
		BindDN: "CN=svc-roster,CN=Users,DC=corp,DC=test", BindPassword: "P@ssw0rd",
		RangeSize: 1500, ln: ln, usn: 1000,
	}
	s.put(dsService, map[string][]string{"objectClass": {"nTDSDSA"}}, nil)
	s.SetInvocationID("6b3f2c1a-0d4e-4f5a-9b8c-7d6e5f4a3b2c")
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// SetInvocationID changes the DC's invocationId, as a restore from backup
// (or answering from another DC) does.
func (s *FakeAD) SetInvocationID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.find(dsService)
	e.set("invocationId", [][]byte{GUIDBytes(id)})
}

// GUIDBytes encodes a GUID string in Active Directory's byte order.
func GUIDBytes(id string) []byte {
	h := strings.ReplaceAll(id, "-", "")
	var raw [16]byte
	for i := range raw {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		raw[i] = byte(v)
	}
	out := make([]byte, 16)
	binary.LittleEndian.PutUint32(out[0:4], binary.BigEndian.Uint32(raw[0:4]))
	binary.LittleEndian.PutUint16(out[4:6], binary.BigEndian.Uint16(raw[4:6]))
	binary.LittleEndian.PutUint16(out[6:8], binary.BigEndian.Uint16(raw[6:8]))
	copy(out[8:], raw[8:])
	return out
}

// Add creates an entry with a fresh objectGUID and returns that GUID.
func (s *FakeAD) Add(dn string, attrs map[string][]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guids++
	guid := fmt.Sprintf("%08x-1111-4222-8333-%012x", s.guids, s.guids)
	s.put(dn, attrs, GUIDBytes(guid))
	return guid
}

// Modify replaces attributes of an entry (an empty list deletes one) and
// stamps a new uSNChanged.
func (s *FakeAD) Modify(dn string, attrs map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.find(dn)
	for k, v := range attrs {
		e.set(k, toBytes(v))
	}
	s.usn++
	e.set("uSNChanged", [][]byte{[]byte(strconv.FormatInt(s.usn, 10))})
}

// Delete deletes an entry as a DC does: it becomes a tombstone in
// CN=Deleted Objects (its RDN mangled with its GUID, isDeleted=TRUE,
// objectGUID and objectClass kept, the other attributes stripped, a new
// uSNChanged) that searches return only with the Show Deleted control.
// Entries without a GUID are removed outright.
func (s *FakeAD) Delete(dn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usn++
	e := s.find(dn)
	guid := e.attrs["objectguid"]
	if len(guid) == 0 {
		s.entries = slices.DeleteFunc(s.entries, func(e *adEntry) bool { return strings.EqualFold(e.dn, dn) })
		return
	}
	rdn, parent, _ := strings.Cut(dn, ",")
	_, name, _ := strings.Cut(rdn, "=")
	tomb := &adEntry{dn: "CN=" + name + "\\0ADEL:" + fmt.Sprintf("%x", guid[0]) + ",CN=Deleted Objects," + s.BaseDN,
		attrs: map[string][][]byte{}, names: map[string]string{}}
	tomb.set("objectGUID", guid)
	tomb.set("objectClass", e.attrs["objectclass"])
	tomb.set("isDeleted", [][]byte{[]byte("TRUE")})
	tomb.set("lastKnownParent", [][]byte{[]byte(parent)})
	tomb.set("uSNChanged", [][]byte{[]byte(strconv.FormatInt(s.usn, 10))})
	*e = *tomb
}

// Move gives an entry a new parent (a move out of, or into, a base DN),
// stamping a new uSNChanged.
func (s *FakeAD) Move(dn, newParent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.find(dn)
	rdn, _, _ := strings.Cut(dn, ",")
	e.dn = rdn + "," + newParent
	s.usn++
	e.set("uSNChanged", [][]byte{[]byte(strconv.FormatInt(s.usn, 10))})
}

// DenyDeletedObjects refuses searches with the Show Deleted control
// (insufficientAccessRights), as AD does to an account that may not list
// the Deleted Objects container.
func (s *FakeAD) DenyDeletedObjects() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyDeleted = true
}

// ShowDeletedSearches counts searches that carried the Show Deleted
// control, critical and without a value, as AD expects it.
func (s *FakeAD) ShowDeletedSearches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.showDeleted
}

// InChainTests counts the entries tested against an in-chain match.
func (s *FakeAD) InChainTests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inChain
}

// Searches counts search requests served.
func (s *FakeAD) Searches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.searches
}

func (s *FakeAD) put(dn string, attrs map[string][]string, guid []byte) {
	e := &adEntry{dn: dn, attrs: map[string][][]byte{}, names: map[string]string{}}
	for k, v := range attrs {
		e.set(k, toBytes(v))
	}
	if guid != nil {
		e.set("objectGUID", [][]byte{guid})
	}
	s.usn++
	e.set("uSNChanged", [][]byte{[]byte(strconv.FormatInt(s.usn, 10))})
	s.entries = append(s.entries, e)
}

func (s *FakeAD) find(dn string) *adEntry {
	for _, e := range s.entries {
		if strings.EqualFold(e.dn, dn) {
			return e
		}
	}
	panic("fakead: no entry " + dn)
}

func (e *adEntry) set(name string, vals [][]byte) {
	k := strings.ToLower(name)
	if len(vals) == 0 {
		delete(e.attrs, k)
		delete(e.names, k)
		return
	}
	e.attrs[k], e.names[k] = vals, name
}

func toBytes(vals []string) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out
}

func (s *FakeAD) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.conn(c)
		}()
	}
}

// LDAP protocol op tags (RFC 4511).
const (
	opBindRequest  = 0
	opBindResponse = 1
	opUnbind       = 2
	opSearch       = 3
	opSearchEntry  = 4
	opSearchDone   = 5
)

func (s *FakeAD) conn(c net.Conn) {
	bound := false
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id := p.Children[0].Value.(int64)
		op := p.Children[1]
		var out []*ber.Packet
		switch op.Tag {
		case opBindRequest:
			name, pw := str(op.Children[1]), op.Children[2].Data.String()
			code := ldapv3.LDAPResultInvalidCredentials
			if strings.EqualFold(name, s.BindDN) && pw == s.BindPassword {
				code, bound = ldapv3.LDAPResultSuccess, true
			}
			out = append(out, message(id, result(opBindResponse, code, ""), nil))
		case opUnbind:
			return
		case opSearch:
			if !bound {
				out = append(out, message(id, result(opSearchDone, ldapv3.LDAPResultOperationsError, "bind first"), nil))
				break
			}
			var controls []*ber.Packet
			if len(p.Children) > 2 {
				controls = p.Children[2].Children
			}
			out = s.search(id, op, controls)
		default:
			return
		}
		for _, r := range out {
			if _, err := c.Write(r.Bytes()); err != nil {
				return
			}
		}
	}
}

func str(p *ber.Packet) string { return p.Data.String() }

func message(id int64, op *ber.Packet, controls []ldapv3.Control) *ber.Packet {
	m := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	m.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "id"))
	m.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
		for _, c := range controls {
			cs.AppendChild(c.Encode())
		}
		m.AppendChild(cs)
	}
	return m
}

func result(tag ber.Tag, code int, msg string) *ber.Packet {
	r := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "result")
	r.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), "code"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, msg, "message"))
	return r
}

func (s *FakeAD) search(id int64, op *ber.Packet, controls []*ber.Packet) []*ber.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searches++
	base, scope := str(op.Children[0]), op.Children[1].Value.(int64)
	filter := op.Children[6]
	var attrs []string
	for _, a := range op.Children[7].Children {
		attrs = append(attrs, str(a))
	}
	var paging *ldapv3.ControlPaging
	tombstones := false
	for _, cp := range controls {
		if isShowDeleted(cp) {
			tombstones = true
			continue
		}
		if c, err := ldapv3.DecodeControl(cp); err == nil {
			if pc, ok := c.(*ldapv3.ControlPaging); ok {
				paging = pc
			}
		}
	}
	if tombstones {
		s.showDeleted++
		if s.denyDeleted {
			return []*ber.Packet{message(id, result(opSearchDone, ldapv3.LDAPResultInsufficientAccessRights, "no access to deleted objects"), nil)}
		}
	}

	var matched []*adEntry
	if base == "" && scope == ldapv3.ScopeBaseObject {
		matched = []*adEntry{s.rootDSE()}
	} else {
		for _, e := range s.entries {
			if e.attrs["isdeleted"] != nil && !tombstones {
				continue
			}
			if inScope(e.dn, base, scope) && s.match(e, filter) {
				matched = append(matched, e)
			}
		}
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].dn < matched[j].dn })
	}
	if len(matched) == 0 && scope == ldapv3.ScopeBaseObject && base != "" {
		return []*ber.Packet{message(id, result(opSearchDone, ldapv3.LDAPResultNoSuchObject, "no such object"), nil)}
	}
	var doneControls []ldapv3.Control
	if paging != nil && paging.PagingSize > 0 {
		off, _ := strconv.Atoi(string(paging.Cookie))
		off = min(max(off, 0), len(matched))
		end := min(off+int(paging.PagingSize), len(matched))
		cookie := ""
		if end < len(matched) {
			cookie = strconv.Itoa(end)
		}
		matched = matched[off:end]
		reply := ldapv3.NewControlPaging(0)
		reply.SetCookie([]byte(cookie))
		doneControls = append(doneControls, reply)
	}
	var out []*ber.Packet
	for _, e := range matched {
		out = append(out, message(id, s.entryPacket(e, attrs), nil))
	}
	return append(out, message(id, result(opSearchDone, ldapv3.LDAPResultSuccess, ""), doneControls))
}

// isShowDeleted reports whether a control is LDAP_SERVER_SHOW_DELETED_OID
// as Roster sends it: the OID, criticality TRUE, and no value.
func isShowDeleted(cp *ber.Packet) bool {
	if len(cp.Children) != 2 || str(cp.Children[0]) != ldapv3.ControlTypeMicrosoftShowDeleted {
		return false
	}
	crit := cp.Children[1]
	return crit.Tag == ber.TagBoolean && len(crit.Data.Bytes()) == 1 && crit.Data.Bytes()[0] != 0
}

func (s *FakeAD) rootDSE() *adEntry {
	e := &adEntry{attrs: map[string][][]byte{}, names: map[string]string{}}
	e.set("supportedCapabilities", toBytes([]string{"1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670"}))
	e.set("highestCommittedUSN", toBytes([]string{strconv.FormatInt(s.usn, 10)}))
	e.set("dsServiceName", toBytes([]string{dsService}))
	e.set("defaultNamingContext", toBytes([]string{s.BaseDN}))
	return e
}

func inScope(dn, base string, scope int64) bool {
	d, b := strings.ToLower(dn), strings.ToLower(base)
	switch scope {
	case ldapv3.ScopeBaseObject:
		return d == b
	case ldapv3.ScopeSingleLevel:
		_, parent, _ := strings.Cut(d, ",")
		return parent == b
	default:
		return d == b || strings.HasSuffix(d, ","+b)
	}
}

// entryPacket renders the requested attributes, splitting multi-valued
// ones larger than RangeSize into ranges as AD does.
func (s *FakeAD) entryPacket(e *adEntry, want []string) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, opSearchEntry, nil, "entry")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, e.dn, "dn"))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attributes")
	add := func(name string, vals [][]byte) {
		a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attribute")
		a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, "type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "values")
		for _, v := range vals {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(v), "value"))
		}
		a.AppendChild(set)
		list.AppendChild(a)
	}
	ranged := func(name string, vals [][]byte, from int) {
		if from >= len(vals) {
			add(fmt.Sprintf("%s;range=%d-*", name, from), nil)
			return
		}
		to := min(from+s.RangeSize, len(vals))
		if from == 0 && to == len(vals) {
			add(name, vals)
			return
		}
		end := strconv.Itoa(to - 1)
		if to == len(vals) {
			end = "*"
		}
		add(fmt.Sprintf("%s;range=%d-%s", name, from, end), vals[from:to])
	}
	all := len(want) == 0 || slices.Contains(want, "*")
	for _, w := range want {
		name, opts, _ := strings.Cut(w, ";")
		vals, ok := e.attrs[strings.ToLower(name)]
		if !ok || name == "*" || name == "1.1" {
			continue
		}
		from := 0
		if r, ok := strings.CutPrefix(strings.ToLower(opts), "range="); ok {
			lo, _, _ := strings.Cut(r, "-")
			from, _ = strconv.Atoi(lo)
		}
		ranged(e.names[strings.ToLower(name)], vals, from)
	}
	if all {
		for k, vals := range e.attrs {
			if !slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(w, k) }) {
				ranged(e.names[k], vals, 0)
			}
		}
	}
	p.AppendChild(list)
	return p
}

// Filter choice tags (RFC 4511 section 4.5.1).
const (
	filterAnd        = 0
	filterOr         = 1
	filterNot        = 2
	filterEquality   = 3
	filterSubstring  = 4
	filterGreater    = 5
	filterLess       = 6
	filterPresent    = 7
	filterExtensible = 9
)

// inChainRule is LDAP_MATCHING_RULE_IN_CHAIN.
const inChainRule = "1.2.840.113556.1.4.1941"

func (s *FakeAD) match(e *adEntry, f *ber.Packet) bool {
	switch f.Tag {
	case filterAnd:
		for _, c := range f.Children {
			if !s.match(e, c) {
				return false
			}
		}
		return true
	case filterOr:
		for _, c := range f.Children {
			if s.match(e, c) {
				return true
			}
		}
		return false
	case filterNot:
		return !s.match(e, f.Children[0])
	case filterPresent:
		_, ok := e.attrs[strings.ToLower(f.Data.String())]
		return ok
	case filterEquality, filterGreater, filterLess:
		attr, want := strings.ToLower(str(f.Children[0])), f.Children[1].Data.Bytes()
		for _, v := range e.attrs[attr] {
			c := compare(v, want)
			if (f.Tag == filterEquality && c == 0) || (f.Tag == filterGreater && c >= 0) || (f.Tag == filterLess && c <= 0) {
				return true
			}
		}
		return false
	case filterExtensible:
		var rule, attr, value string
		for _, c := range f.Children {
			switch c.Tag {
			case 1:
				rule = c.Data.String()
			case 2:
				attr = strings.ToLower(c.Data.String())
			case 3:
				value = c.Data.String()
			}
		}
		s.inChain++
		return rule == inChainRule && attr == "memberof" && s.memberInChain(e.dn, value)
	case filterSubstring:
		attr := strings.ToLower(str(f.Children[0]))
		for _, v := range e.attrs[attr] {
			if matchSubstrings(strings.ToLower(string(v)), f.Children[1].Children) {
				return true
			}
		}
		return false
	}
	return false
}

// memberInChain reports whether dn is a member of group, directly or
// through groups nested in it, as a domain controller evaluates
// memberOf:1.2.840.113556.1.4.1941: (cycles end).
func (s *FakeAD) memberInChain(dn, group string) bool {
	seen := map[string]bool{}
	todo := []string{strings.ToLower(dn)}
	for len(todo) > 0 {
		cur := todo[0]
		todo = todo[1:]
		for _, g := range s.entries {
			if g.attrs["isdeleted"] != nil || seen[strings.ToLower(g.dn)] {
				continue
			}
			for _, m := range g.attrs["member"] {
				if strings.EqualFold(string(m), cur) {
					if strings.EqualFold(g.dn, group) {
						return true
					}
					seen[strings.ToLower(g.dn)] = true
					todo = append(todo, strings.ToLower(g.dn))
					break
				}
			}
		}
	}
	return false
}

// compare orders integers numerically and everything else without regard
// to case.
func compare(a, b []byte) int {
	x, errA := strconv.ParseInt(string(a), 10, 64)
	y, errB := strconv.ParseInt(string(b), 10, 64)
	if errA == nil && errB == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return bytes.Compare(bytes.ToLower(a), bytes.ToLower(b))
}

func matchSubstrings(v string, parts []*ber.Packet) bool {
	for _, p := range parts {
		sub := strings.ToLower(p.Data.String())
		switch p.Tag {
		case 0:
			if !strings.HasPrefix(v, sub) {
				return false
			}
			v = v[len(sub):]
		case 1:
			i := strings.Index(v, sub)
			if i < 0 {
				return false
			}
			v = v[i+len(sub):]
		case 2:
			if !strings.HasSuffix(v, sub) {
				return false
			}
		}
	}
	return true
}
