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
