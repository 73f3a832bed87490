package ldap

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// SecretBindPassword names the bind password among a connector's secrets.
const SecretBindPassword = "bindPassword"

// The connector kinds of this package.
const (
	// KindLDAP reads OpenLDAP and other RFC 4512 servers, or Active
	// Directory when its settings' flavor says so (or the server's root
	// DSE does).
	KindLDAP directory.ConnectorKind = "ldap"
	// KindAD reads Active Directory, with its defaults.
	KindAD directory.ConnectorKind = "ad"
)

// Kinds returns the LDAP and Active Directory connector kinds for the
// runner. now is the clock OpenLDAP cursors are taken from (nil:
// time.Now); opts apply to every connector (WithPolicy). Both make users of source ldap, so that a directory's users
// stay its own whichever kind reads it.
func Kinds(now func() time.Time, opts ...Option) []engine.Kind {
	return []engine.Kind{
		{
			Name: KindLDAP, Label: "OpenLDAP / RFC 4512 LDAP", Source: directory.SourceLDAP,
			Settings: settingsSchema(""), Secrets: []string{SecretBindPassword},
			// Both flavors feed the same attributes; OpenLDAP's names
			// stand for them.
			Mapping: OpenLDAPMapping,
			New:     newKind(KindLDAP, "", now, opts),
		},
		{
			Name: KindAD, Label: "Active Directory", Source: directory.SourceLDAP,
			Settings: settingsSchema(FlavorAD), Secrets: []string{SecretBindPassword},
			Mapping: ADMapping,
			New:     newKind(KindAD, FlavorAD, now, opts),
		},
	}
}

// newKind builds the connectors of a kind; flavor, when set, is the only
// flavor the kind reads, and the one it uses when the settings name none.
func newKind(kind directory.ConnectorKind, flavor Flavor, now func() time.Time, opts []Option) func(json.RawMessage, engine.Mapping, map[string]string) (engine.Connector, error) {
	return func(raw json.RawMessage, mapping engine.Mapping, secrets map[string]string) (engine.Connector, error) {
		var s Settings
		if err := engine.DecodeSettings(raw, &s); err != nil {
			return nil, err
		}
		if len(s.Mapping) > 0 {
			return nil, errors.New("ldap: settings: set the mapping on the connector, not in its settings")
		}
		if flavor != "" {
			if s.Flavor != "" && s.Flavor != flavor {
				return nil, fmt.Errorf("ldap: settings: an %s connector reads flavor %s only, not %q", kind, flavor, s.Flavor)
			}
			s.Flavor = flavor
		}
		s.Mapping = mapping
		return New(s, secrets[SecretBindPassword], now, opts...)
	}
}

// settingsSchema is the JSON Schema of Settings (without the mapping,
// which is the connector's), for the API and the console's form. flavor,
// when set, is the only flavor allowed.
func settingsSchema(flavor Flavor) json.RawMessage {
	flavors := []Flavor{FlavorAD, FlavorOpenLDAP}
	flavorHelp := "ad or openldap; empty detects it from the server's root DSE"
	if flavor != "" {
		flavors, flavorHelp = []Flavor{flavor}, "always "+string(flavor)
	}
	str := func(title string) map[string]any { return map[string]any{"type": "string", "title": title} }
	boolean := func(title string) map[string]any { return map[string]any{"type": "boolean", "title": title} }
	integer := func(title string, minimum, maximum int) map[string]any {
		return map[string]any{"type": "integer", "title": title, "minimum": minimum, "maximum": maximum}
	}
	list := func(title string) map[string]any {
		return map[string]any{"type": "array", "title": title, "items": map[string]any{"type": "string"}}
	}
	schema := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"url", "bindDn", "userBaseDn"},
		"properties": map[string]any{
			"url":                str("Server URL (ldaps://host:636 or ldap://host:389)"),
			"startTls":           boolean("Upgrade an ldap:// connection with StartTLS"),
			"caCert":             str("PEM bundle of the CAs to trust instead of the system's"),
			"serverName":         str("Name to check in the server's certificate"),
			"allowInsecure":      boolean("Allow ldap:// without StartTLS (sends the password in clear; labs only)"),
			"bindDn":             str("DN to bind as"),
			"flavor":             map[string]any{"type": "string", "title": "Server flavor: " + flavorHelp, "enum": flavors},
			"userBaseDn":         str("Base DN of users"),
			"userFilter":         str("LDAP filter of users"),
			"disabledAttribute":  str("Attribute marking disabled users (servers without userAccountControl)"),
			"disabledValues":     list("Values of disabledAttribute that mean disabled (any, when none)"),
			"noGroups":           boolean("Skip groups"),
			"groupBaseDn":        str("Base DN of groups (defaults to the users')"),
			"groupFilter":        str("LDAP filter of groups"),
			"groupNameAttribute": str("Attribute naming groups (cn)"),
			"memberAttributes":   list("Attributes holding a group's members (member, uniqueMember)"),
			"memberKeyAttribute": str("User attribute that member values name, when not DNs (uid)"),
			"nestedGroups":       boolean("Count the members of groups within groups (every run reads all groups)"),
			"noContentSync":      boolean("Do not use RFC 4533 content synchronisation even if the server offers it"),
			"pageSize":           integer("Entries per page", 1, maxPageSize),
			"timeoutSeconds":     integer("Timeout of each request, in seconds (of a content synchronisation: how long the server may stay silent)", 1, 3600),
			"clockSkewSeconds":   integer("How far the server's clock may lag, in seconds", 0, 86400),
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic(err) // a literal of strings, booleans and numbers
	}
	return b
}
