package ldap

import (
	"fmt"
	"slices"
	"strings"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/directory"
)

// checkSchema reads the directory's subschema (RFC 4512: the root DSE's
// subschemaSubentry, its attributeTypes) and reports every attribute the
// connector reads that the schema does not define: a typo in the mapping
// would otherwise fill Roster's attributes with nothing. A server that
// publishes no subschema is not checked.
func (k *Connector) checkSchema(s *session, p profile) error {
	dse, err := s.rootDSE("subschemaSubentry")
	if err != nil {
		return err
	}
	sub := dse.GetAttributeValue("subschemaSubentry")
	if sub == "" {
		return nil
	}
	res, err := s.conn.Search(ldapv3.NewSearchRequest(sub, ldapv3.ScopeBaseObject, ldapv3.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"attributeTypes"}, nil))
	if err != nil {
		return fmt.Errorf("ldap: reading the schema at %s: %w", sub, err)
	}
	if len(res.Entries) != 1 {
		return nil
	}
	known := attributeNames(res.Entries[0].GetEqualFoldAttributeValues("attributeTypes"))
	if len(known) == 0 {
		return nil
	}
	var missing []string
	check := func(attr, use string) {
		name, _, _ := strings.Cut(attr, ";")
		if attr != "" && !known[strings.ToLower(name)] {
			missing = append(missing, fmt.Sprintf("%s (%s)", attr, use))
		}
	}
	fields := make([]directory.Attr, 0, len(p.mapping))
	for f := range p.mapping {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		check(p.mapping[f], "mapped to "+string(f))
	}
	check(k.c.DisabledAttribute, "disabledAttribute")
	check(k.c.MemberKeyAttribute, "memberKeyAttribute")
	if !k.c.NoGroups {
		check(k.c.GroupNameAttribute, "groupNameAttribute")
		for _, a := range k.c.MemberAttributes {
			check(a, "memberAttributes")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("ldap: the directory's schema defines no attribute %s; check the mapping and settings for typos",
			strings.Join(missing, ", "))
	}
	return nil
}

// attributeNames collects the names and OIDs that attribute type
// definitions declare, lower-cased: "( 2.5.4.3 NAME ( 'cn' 'commonName' ) …".
func attributeNames(defs []string) map[string]bool {
	out := make(map[string]bool, 2*len(defs))
	for _, d := range defs {
		fields := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(d))
		if len(fields) > 1 && fields[0] == "(" {
			out[strings.ToLower(fields[1])] = true
		}
		for i := 0; i < len(fields); i++ {
			if fields[i] != "NAME" {
				continue
			}
			for j := i + 1; j < len(fields); j++ {
				f := fields[j]
				if f == "(" {
					continue
				}
				if !strings.HasPrefix(f, "'") {
					break
				}
				out[strings.ToLower(strings.Trim(f, "'"))] = true
				if fields[i+1] != "(" {
					break
				}
			}
			break
		}
	}
	return out
}
