package ldap

import (
	"bufio"
	"bytes"
	"slices"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldapv3 "github.com/go-ldap/ldap/v3"
)

// entryMessage encodes a SearchResultEntry as a server sends it.
func entryMessage(id int64, dn string, attrs map[string][]string, order []string) []byte {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldapv3.ApplicationSearchResultEntry, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, name := range order {
		a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
		for _, v := range attrs[name] {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
		}
		a.AppendChild(set)
		list.AppendChild(a)
	}
	op.AppendChild(list)
	msg.AppendChild(op)
	return msg.Bytes()
}

func doneMessage(id int64, code int64, text string) []byte {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldapv3.ApplicationSearchResultDone, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, text, ""))
	msg.AppendChild(op)
	ctl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
	p := ldapv3.NewControlPaging(10)
	p.SetCookie([]byte("next"))
	ctl.AppendChild(p.Encode())
	msg.AppendChild(ctl)
	return msg.Bytes()
}

func wireOver(b []byte) *wireConn {
	return &wireConn{r: bufio.NewReader(bytes.NewReader(b))}
}

func TestWireEntry(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 300)) // a long-form length
	b := entryMessage(7, "uid=u1,ou=people,dc=example,dc=org",
		map[string][]string{"cn": {"User One"}, "mail": {"a@example.org", "b@example.org"}, "description": {long}, "empty": {}},
		[]string{"cn", "mail", "description", "empty"})
	w := wireOver(b)
	msg, err := w.read()
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseResponse(msg)
	if err != nil || r.id != 7 || r.op != tagSearchEntry {
		t.Fatalf("response %+v, %v", r, err)
	}
	e, err := entry(msg, r.start, r.end)
	if err != nil {
		t.Fatal(err)
	}
	if e.DN != "uid=u1,ou=people,dc=example,dc=org" || len(e.Attributes) != 4 {
		t.Fatalf("entry %s with %d attributes", e.DN, len(e.Attributes))
	}
	if got := e.GetAttributeValues("mail"); !slices.Equal(got, []string{"a@example.org", "b@example.org"}) {
		t.Errorf("mail %q", got)
	}
	if got := e.GetEqualFoldAttributeValue("CN"); got != "User One" {
		t.Errorf("cn %q", got)
	}
	if got := string(e.GetRawAttributeValue("description")); got != long {
		t.Errorf("description of %d bytes", len(got))
	}
	if got := e.GetAttributeValues("empty"); len(got) != 0 {
		t.Errorf("empty has %q", got)
	}
}

// A truncated or corrupted response is an error, never a panic nor a
// wrong entry.
func TestWireMalformed(t *testing.T) {
	b := entryMessage(1, "cn=x", map[string][]string{"cn": {"x"}, "sn": {"y", "z"}}, []string{"cn", "sn"})
	for n := range len(b) {
		if _, err := wireOver(b[:n]).read(); err == nil {
			t.Errorf("%d of %d bytes read as a message", n, len(b))
		}
	}
	msg, err := wireOver(b).read()
	if err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		for _, x := range []byte{0x00, 0x7f, 0x84, 0xff} {
			bad := slices.Clone(msg)
			bad[i] = x
			r, err := parseResponse(bad)
			if err != nil {
				continue
			}
			_, _ = entry(bad, r.start, r.end) // must not panic
		}
	}
	if _, err := wireOver([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}).read(); err == nil {
		t.Error("a 2 GB length was accepted")
	}
	if _, err := wireOver([]byte{0x04, 0x01, 0x00}).read(); err == nil {
		t.Error("a response that is no sequence was accepted")
	}
}

func TestWireDone(t *testing.T) {
	msg, err := wireOver(doneMessage(3, 0, "")).read()
	if err != nil {
		t.Fatal(err)
	}
	controls, err := result(msg)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ldapv3.FindControl(controls, ldapv3.ControlTypePaging).(*ldapv3.ControlPaging)
	if !ok || string(p.Cookie) != "next" {
		t.Fatalf("controls %v", controls)
	}
	msg, err = wireOver(doneMessage(3, int64(ldapv3.LDAPResultInsufficientAccessRights), "no")).read()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := result(msg); !ldapv3.IsErrorWithCode(err, ldapv3.LDAPResultInsufficientAccessRights) {
		t.Fatalf("result %v", err)
	}
}
