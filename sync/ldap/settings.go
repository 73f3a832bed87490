// Package ldap reads users and groups from an LDAP directory: OpenLDAP (and
// other RFC 4512 servers) or Microsoft Active Directory. It streams paged
// searches page by page, so memory stays flat whatever the directory's size.
package ldap

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/roster/roster/internal/outbound"
	"github.com/roster/roster/sync/engine"
)

// Flavor is the kind of server, which decides the source reference, the
// disabled flag and the change cursor.
type Flavor string

// Flavors.
const (
	// FlavorAD: objectGUID references, userAccountControl's disabled bit,
	// incremental runs by uSNChanged pinned to one DC's invocationId,
	// ranged retrieval of large member attributes.
	FlavorAD Flavor = "ad"
	// FlavorOpenLDAP: entryUUID references, incremental runs by
	// modifyTimestamp.
	FlavorOpenLDAP Flavor = "openldap"
)

// Settings configure an LDAP connector. They are stored with the
// connector; the bind password is kept apart and sealed.
type Settings struct {
	// URL is ldaps://host:636 or ldap://host:389.
	URL string `json:"url"`
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool `json:"startTls,omitempty"`
	// CACert is a PEM bundle of the CAs to trust instead of the system's.
	CACert string `json:"caCert,omitempty"`
	// ServerName overrides the name checked in the server's certificate.
	ServerName string `json:"serverName,omitempty"`
	// AllowInsecure permits a plain ldap:// connection without StartTLS,
	// which sends the bind password in clear. For labs only.
	AllowInsecure bool `json:"allowInsecure,omitempty"`
	// BindDN is the account the connector binds as (simple bind).
	BindDN string `json:"bindDn"`
	// Flavor is "ad" or "openldap"; empty detects it from the root DSE.
	Flavor Flavor `json:"flavor,omitempty"`

	UserBaseDN string `json:"userBaseDn"`
	UserFilter string `json:"userFilter,omitempty"`
	// Mapping overrides the flavor's default mapping field by field.
	Mapping engine.Mapping `json:"mapping,omitempty"`
	// DisabledAttribute and DisabledValues mark disabled users on servers
	// without userAccountControl: a user is disabled when the attribute
	// holds one of the values (any value, when none are listed).
	DisabledAttribute string   `json:"disabledAttribute,omitempty"`
	DisabledValues    []string `json:"disabledValues,omitempty"`

	// NoGroups skips groups altogether.
	NoGroups    bool   `json:"noGroups,omitempty"`
	GroupBaseDN string `json:"groupBaseDn,omitempty"` // defaults to UserBaseDN
	GroupFilter string `json:"groupFilter,omitempty"`
	// GroupNameAttribute names groups (cn).
	GroupNameAttribute string `json:"groupNameAttribute,omitempty"`
	// MemberAttributes hold a group's members (member, uniqueMember,
	// memberUid).
	MemberAttributes []string `json:"memberAttributes,omitempty"`
	// MemberKeyAttribute is the user attribute member values name, when
	// they are not DNs (uid, for posixGroup's memberUid).
	MemberKeyAttribute string `json:"memberKeyAttribute,omitempty"`
	// NestedGroups gives each group its effective members: its own and
	// those of the groups inside it, transitively (on Active Directory,
	// through LDAP_MATCHING_RULE_IN_CHAIN). Every run then reads all
	// groups.
	NestedGroups bool `json:"nestedGroups,omitempty"`

	// NoContentSync reads an OpenLDAP server that offers RFC 4533 content
	// synchronisation (syncprov) as one that does not: changes by
	// modifyTimestamp, and removals by a scan of entryUUIDs.
	NoContentSync bool `json:"noContentSync,omitempty"`

	// PageSize is the number of entries per page of a paged search.
	PageSize int `json:"pageSize,omitempty"`
	// TimeoutSeconds bounds each LDAP request; in a content
	// synchronisation, which is one request however large the directory,
	// how long the server may stay silent.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// ClockSkewSeconds is how far the server's clock may lag Roster's:
	// OpenLDAP incremental runs start that long before the previous run
	// did, so that no change stamped by a slower clock is missed.
	ClockSkewSeconds *int `json:"clockSkewSeconds,omitempty"`
}

// Defaults shared by both flavors.
const (
	defaultPageSize  = 500
	defaultTimeout   = 60
	defaultClockSkew = 120
	maxPageSize      = 5000
)

// ADMapping maps Active Directory attributes onto Roster's: the
// catalogue's "ad" sources.
var ADMapping = engine.DefaultMapping("ad")

// OpenLDAPMapping maps inetOrgPerson attributes onto Roster's: the
// catalogue's "ldap" sources.
var OpenLDAPMapping = engine.DefaultMapping("ldap")

// config is Settings checked and completed for one flavor.
type config struct {
	Settings
	scheme  string
	caPool  *x509.CertPool
	timeout time.Duration
	skew    time.Duration
	policy  *outbound.Policy // where connections may go
}

// check validates s, returning every problem at once.
func (s Settings) check() (*config, error) {
	c := &config{Settings: s}
	var problems []string
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || u.Host == "":
		problems = append(problems, fmt.Sprintf("url %q is not an ldap:// or ldaps:// URL", s.URL))
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		problems = append(problems, fmt.Sprintf("url scheme must be ldap or ldaps, not %q", u.Scheme))
	default:
		c.scheme = u.Scheme
	}
	if c.scheme == "ldaps" && s.StartTLS {
		problems = append(problems, "startTls is for ldap:// URLs; ldaps:// is already encrypted")
	}
	if c.scheme == "ldap" && !s.StartTLS && !s.AllowInsecure {
		problems = append(problems, "ldap:// without startTls sends the bind password in clear; use ldaps://, startTls, or allowInsecure")
	}
	if s.CACert != "" {
		c.caPool = x509.NewCertPool()
		if !c.caPool.AppendCertsFromPEM([]byte(s.CACert)) {
			problems = append(problems, "caCert holds no PEM certificate")
		}
	}
	if s.BindDN == "" {
		problems = append(problems, "bindDn is required")
	}
	if s.UserBaseDN == "" {
		problems = append(problems, "userBaseDn is required")
	}
	switch s.Flavor {
	case "", FlavorAD, FlavorOpenLDAP:
	default:
		problems = append(problems, fmt.Sprintf("flavor must be ad or openldap, not %q", s.Flavor))
	}
	for name, f := range map[string]string{"userFilter": s.UserFilter, "groupFilter": s.GroupFilter} {
		if f != "" && (!strings.HasPrefix(f, "(") || !strings.HasSuffix(f, ")")) {
			problems = append(problems, fmt.Sprintf("%s %q must be a parenthesized LDAP filter", name, f))
		}
	}
	if err := OpenLDAPMapping.With(s.Mapping).Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if s.PageSize < 0 || s.PageSize > maxPageSize {
		problems = append(problems, fmt.Sprintf("pageSize must be between 1 and %d", maxPageSize))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("ldap: %s", strings.Join(problems, "; "))
	}
	if c.PageSize == 0 {
		c.PageSize = defaultPageSize
	}
	if c.TimeoutSeconds <= 0 {
		c.TimeoutSeconds = defaultTimeout
	}
	c.timeout = time.Duration(c.TimeoutSeconds) * time.Second
	c.skew = defaultClockSkew * time.Second
	if s.ClockSkewSeconds != nil {
		c.skew = time.Duration(max(*s.ClockSkewSeconds, 0)) * time.Second
	}
	if c.GroupBaseDN == "" {
		c.GroupBaseDN = c.UserBaseDN
	}
	if c.GroupNameAttribute == "" {
		c.GroupNameAttribute = "cn"
	}
	if len(c.MemberAttributes) == 0 {
		c.MemberAttributes = []string{"member", "uniqueMember"}
	}
	return c, nil
}

// profile is what a flavor decides.
type profile struct {
	flavor      Flavor
	refAttr     string // the source reference attribute
	binaryRef   bool   // objectGUID is 16 raw bytes
	userFilter  string
	groupFilter string
	mapping     engine.Mapping
}

func (c *config) profile(f Flavor) profile {
	p := profile{flavor: f, refAttr: "entryUUID", userFilter: "(objectClass=inetOrgPerson)",
		groupFilter: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))", mapping: OpenLDAPMapping}
	if f == FlavorAD {
		p = profile{flavor: f, refAttr: "objectGUID", binaryRef: true,
			userFilter: "(&(objectCategory=person)(objectClass=user))", groupFilter: "(objectClass=group)", mapping: ADMapping}
	}
	if c.UserFilter != "" {
		p.userFilter = c.UserFilter
	}
	if c.GroupFilter != "" {
		p.groupFilter = c.GroupFilter
	}
	p.mapping = p.mapping.With(c.Mapping)
	return p
}
