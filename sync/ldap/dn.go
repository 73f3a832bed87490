package ldap

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	ldapv3 "github.com/go-ldap/ldap/v3"
)

// normDN returns a canonical form of a DN for comparing member values with
// entry DNs: attribute types and values lower-cased, spacing removed, and
// multi-valued RDNs sorted. It is a key, not a DN to send to a server.
func normDN(dn string) string {
	if plainDN(dn) {
		// What parsing gives for a DN of plain RDNs, without its cost
		// (it runs for every user of every run).
		return strings.ToLower(dn)
	}
	return parseNormDN(dn)
}

// plainDN reports whether dn is RDNs of one type=value each, made of
// letters, digits and -._@ alone: no spaces, escapes, quotes nor
// multi-valued RDNs, so that its normal form is its lower case.
func plainDN(dn string) bool {
	if dn == "" {
		return false
	}
	eq, part := false, 0 // part: bytes since the last separator
	for i := range len(dn) {
		switch c := dn[i]; {
		case c == '=':
			if eq || part == 0 {
				return false
			}
			eq, part = true, 0
		case c == ',':
			if !eq || part == 0 {
				return false
			}
			eq, part = false, 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '@':
			part++
		default:
			return false
		}
	}
	return eq && part > 0
}

// parseNormDN is normDN by go-ldap's parser.
func parseNormDN(dn string) string {
	parsed, err := ldapv3.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		parts := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + escapeDNValue(strings.ToLower(a.Value))
		}
		sort.Strings(parts)
		rdns[i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ",")
}

// escapeDNValue escapes the characters that separate RDNs and their parts,
// so that distinct DNs keep distinct keys.
func escapeDNValue(v string) string { return dnEscaper.Replace(v) }

var dnEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `+`, `\+`, `=`, `\=`)

// formatGUID renders a 16-byte Active Directory GUID (objectGUID,
// invocationId) in its registry form: the first three groups are stored
// little-endian.
func formatGUID(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]),
		b[8:10], b[10:16])
}
