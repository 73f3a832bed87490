package ldap

import (
	"strings"
	"testing"
	"unicode/utf8"

	ldapv3 "github.com/go-ldap/ldap/v3"
)

// FuzzEntryValues reads a directory entry whose DN and attribute values are
// anything a server could send, as a sync run reads users: its reference,
// member key, active flag and mapped attributes. Nothing panics, and what
// comes out has the shapes the engine relies on.
func FuzzEntryValues(f *testing.F) {
	f.Add("CN=Ana Ng,OU=Staff,DC=corp,DC=test", []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"), "ana@corp.test", "514")
	f.Add("uid=bo+cn=Bo,ou=people,dc=example,dc=org", []byte("4e2b0d9c-1111-2222-3333-444455556666"), " Bo ", "disabled")
	f.Add(`cn=a\,b\+c,dc=x`, []byte{}, "\x00\xff", "-9223372036854775808")
	f.Add("not a dn ,,==", []byte("\xff\xfe"), "2024-01-01T00:00:00Z", "0")
	s := Settings{URL: "ldaps://ldap.example.com", BindDN: "cn=roster", UserBaseDN: "dc=x",
		DisabledAttribute: "employeeType", DisabledValues: []string{"disabled"}}
	c, err := s.check()
	if err != nil {
		f.Fatal(err)
	}
	k := &Connector{c: c}
	keyed := &Connector{c: &config{Settings: Settings{MemberKeyAttribute: "uid"}}}
	profiles := []profile{c.profile(FlavorAD), c.profile(FlavorOpenLDAP)}
	f.Fuzz(func(t *testing.T, dn string, raw []byte, value, uac string) {
		e := &ldapv3.Entry{DN: dn}
		for _, name := range []string{"objectGUID", "entryUUID", "uid"} {
			e.Attributes = append(e.Attributes, &ldapv3.EntryAttribute{Name: name, Values: []string{string(raw)}, ByteValues: [][]byte{raw}})
		}
		e.Attributes = append(e.Attributes,
			&ldapv3.EntryAttribute{Name: "userAccountControl", Values: []string{uac}, ByteValues: [][]byte{[]byte(uac)}},
			&ldapv3.EntryAttribute{Name: "employeeType", Values: []string{value, uac}, ByteValues: [][]byte{[]byte(value), []byte(uac)}})
		for _, p := range profiles {
			for _, a := range p.mapping.Attributes() {
				e.Attributes = append(e.Attributes, &ldapv3.EntryAttribute{Name: a, Values: []string{value}, ByteValues: [][]byte{[]byte(value)}})
			}
			ref, err := reference(p, e)
			switch {
			case err != nil && ref != "":
				t.Fatalf("reference %q with error %v", ref, err)
			case err == nil && p.binaryRef && len(ref) != 36:
				t.Fatalf("objectGUID %x read as %q", raw, ref)
			}
			_ = k.active(p, e)
			for attr, v := range p.mapping.Apply(e.GetEqualFoldAttributeValue) {
				if v == "" || v != strings.TrimSpace(v) {
					t.Fatalf("%s mapped to %q: empty or untrimmed", attr, v)
				}
			}
		}
		key := k.memberKey(e)
		if utf8.ValidString(dn) && !utf8.ValidString(key) {
			t.Fatalf("member key %q of a valid DN %q is not UTF-8", key, dn)
		}
		if plainDN(dn) && key != parseNormDN(dn) {
			t.Fatalf("member key %q of the plain DN %q differs from the parsed %q", key, dn, parseNormDN(dn))
		}
		_ = keyed.memberKey(e)
		if g := formatGUID(raw); g != "" && len(g) != 36 {
			t.Fatalf("formatGUID(%x) = %q", raw, g)
		}
	})
}
