package directory

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Org is a customer organization: the tenant every user, group, token and
// audit event belongs to.
type Org struct {
	ID             string
	Slug           string
	Name           string
	Domains        []Domain
	Settings       OrgSettings
	UserProperties []PropertyDef
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Domain is an email domain the organization lists. Exactly one is
// primary. A domain counts for login and for the cross-organization rule
// only once verified; a verified domain belongs to one organization, while
// several may list a domain none of them has verified.
type Domain struct {
	Name    string
	Primary bool
	// Token is the value of the DNS TXT record that proves control of the
	// domain: "roster-verification=<Token>" on the domain itself.
	Token      string
	Verified   bool
	VerifiedBy DomainVerifier
	VerifiedAt *time.Time
}

// DomainVerifier says how a domain was verified.
type DomainVerifier string

// Domain verifiers.
const (
	VerifiedByDNS      DomainVerifier = "dns"
	VerifiedByOperator DomainVerifier = "operator"
)

// MFAPolicy says whether users of an organization use TOTP.
type MFAPolicy string

// MFA policies.
const (
	MFAOff      MFAPolicy = "off"
	MFAOptional MFAPolicy = "optional"
	MFARequired MFAPolicy = "required"
)

// Valid reports whether p is a known policy.
func (p MFAPolicy) Valid() bool { return p == MFAOff || p == MFAOptional || p == MFARequired }

// MFAFactor is a kind of second factor a user can sign in with.
type MFAFactor string

// Second factors.
const (
	FactorTOTP    MFAFactor = "totp"    // an authenticator app's time-based codes
	FactorSMS     MFAFactor = "sms"     // one-time codes texted to the user's phone
	FactorPasskey MFAFactor = "passkey" // a WebAuthn credential
)

// MFAFactors lists the second factors in the order forms show them.
var MFAFactors = []MFAFactor{FactorTOTP, FactorSMS, FactorPasskey}

// Valid reports whether f is a known factor.
func (f MFAFactor) Valid() bool { return slices.Contains(MFAFactors, f) }

// OrgSettings are the organization's security settings.
type OrgSettings struct {
	MFAPolicy MFAPolicy
	// MFAFactors are the second factors the organization's users may
	// enrol and sign in with; at least one.
	MFAFactors []MFAFactor
	// PhoneRegion is the ISO 3166 region (e.g. "US") that phone numbers
	// written without a country code are read in; empty: numbers must
	// start with + and the country code.
	PhoneRegion string
	// PasswordlessPasskeys lets users sign in with a passkey alone (no
	// password, no second step) when passkeys are allowed: the passkey
	// proves possession and, with user verification, the user.
	PasswordlessPasskeys bool
	// LockoutThreshold is the number of consecutive wrong passwords after
	// which a user is locked.
	LockoutThreshold int
	// InactivityDays is how long an active user may go without logging in
	// before the inactivity job marks it inactive.
	InactivityDays int
	PasswordPolicy PasswordPolicy
	// RoleMappings map the values of SCIM roles to Roster roles (an Entra
	// app role "Admin" to org_admin). With none, roles are plain data.
	RoleMappings []RoleMapping
}

// RoleMapping gives the users whose SCIM roles include Value (compared
// regardless of case) the Roster role Role.
type RoleMapping struct {
	Value string `json:"value"`
	Role  Role   `json:"role"`
}

// Allows reports whether the organization's users may use factor f.
func (s *OrgSettings) Allows(f MFAFactor) bool { return slices.Contains(s.MFAFactors, f) }

// AllowsPasswordless reports whether the organization's users may sign in
// with a passkey alone: passkeys are allowed and the switch is on.
func (s *OrgSettings) AllowsPasswordless() bool {
	return s.PasswordlessPasskeys && s.Allows(FactorPasskey)
}

// defaults gives zero settings (role mappings and the phone region aside)
// the defaults, and settings without factors TOTP, which is what every
// organization allowed before there were others.
func (s *OrgSettings) defaults() {
	if s.MFAPolicy == "" && s.LockoutThreshold == 0 && s.InactivityDays == 0 && s.PasswordPolicy == (PasswordPolicy{}) {
		mappings, region := s.RoleMappings, s.PhoneRegion
		*s = DefaultOrgSettings()
		s.RoleMappings, s.PhoneRegion = mappings, region
	}
	if len(s.MFAFactors) == 0 {
		s.MFAFactors = []MFAFactor{FactorTOTP}
	}
}

// maxRoleMappings bounds an organization's role mappings.
const maxRoleMappings = 100

// roleRank orders Roster roles for the mapping: when a user's SCIM roles
// map to several, the highest wins.
var roleRank = map[Role]int{RoleUser: 1, RoleBillingAdmin: 2, RoleOrgViewer: 3, RoleOrgAdmin: 4}

// MappedRole returns the highest Roster role that the mappings give to
// roles, and "" when none of roles is mapped.
func (s *OrgSettings) MappedRole(roles []Grant) Role {
	var best Role
	for _, g := range roles {
		for _, m := range s.RoleMappings {
			if strings.EqualFold(m.Value, g.Value) && roleRank[m.Role] > roleRank[best] {
				best = m.Role
			}
		}
	}
	return best
}

// validateRoleMappings checks that every mapping names a value, once, and
// a Roster role.
func validateRoleMappings(mappings []RoleMapping) error {
	if len(mappings) > maxRoleMappings {
		return FieldErrorf(CodeInvalid, "roleMappings", "at most %d role mappings", maxRoleMappings)
	}
	seen := map[string]bool{}
	for _, m := range mappings {
		key := strings.ToLower(strings.TrimSpace(m.Value))
		if key == "" || len(m.Value) > maxAttr {
			return FieldErrorf(CodeInvalid, "roleMappings", "every role mapping needs a value of at most %d characters", maxAttr)
		}
		if err := CheckText("roleMappings", m.Value); err != nil {
			return err
		}
		if seen[key] {
			return FieldErrorf(CodeInvalid, "roleMappings", "role value %q is mapped twice", m.Value)
		}
		seen[key] = true
		if !m.Role.Valid() {
			return FieldErrorf(CodeInvalid, "roleMappings", "role %q is not one of org_admin, org_viewer, billing_admin, user", m.Role)
		}
	}
	return nil
}

// validateFactors checks that factors names at least one known factor,
// each once.
func validateFactors(factors []MFAFactor) error {
	if len(factors) == 0 {
		return FieldErrorf(CodeInvalid, "mfaFactors", "mfaFactors must allow at least one of totp, sms, passkey")
	}
	for i, f := range factors {
		if !f.Valid() {
			return FieldErrorf(CodeInvalid, "mfaFactors", "factor %q is not one of totp, sms, passkey", f)
		}
		if slices.Contains(factors[:i], f) {
			return FieldErrorf(CodeInvalid, "mfaFactors", "factor %q is listed twice", f)
		}
	}
	return nil
}

// PasswordPolicy constrains the passwords users choose.
type PasswordPolicy struct {
	MinLength     int
	RequireUpper  bool
	RequireLower  bool
	RequireDigit  bool
	RequireSymbol bool
}

// Defaults for new organizations.
const (
	DefaultLockoutThreshold  = 10
	DefaultInactivityDays    = 90
	DefaultPasswordMinLength = 12
)

// DefaultOrgSettings returns the settings a new organization starts with.
func DefaultOrgSettings() OrgSettings {
	return OrgSettings{
		MFAPolicy:        MFAOptional,
		MFAFactors:       []MFAFactor{FactorTOTP},
		LockoutThreshold: DefaultLockoutThreshold,
		InactivityDays:   DefaultInactivityDays,
		PasswordPolicy:   PasswordPolicy{MinLength: DefaultPasswordMinLength},
	}
}

// Validate checks the settings' ranges.
func (s OrgSettings) Validate() error {
	if !s.MFAPolicy.Valid() {
		return FieldErrorf(CodeInvalid, "mfaPolicy", "mfaPolicy must be off, optional or required")
	}
	if err := validateFactors(s.MFAFactors); err != nil {
		return err
	}
	if s.PhoneRegion != "" && !phonenumbers.GetSupportedRegions()[s.PhoneRegion] {
		return FieldErrorf(CodeInvalid, "phoneRegion", "phoneRegion must be empty or an ISO 3166 region such as US or DE")
	}
	if s.LockoutThreshold < 1 || s.LockoutThreshold > 100 {
		return FieldErrorf(CodeInvalid, "lockoutThreshold", "lockoutThreshold must be between 1 and 100")
	}
	if s.InactivityDays < 1 || s.InactivityDays > 3650 {
		return FieldErrorf(CodeInvalid, "inactivityDays", "inactivityDays must be between 1 and 3650")
	}
	if s.PasswordPolicy.MinLength < 8 || s.PasswordPolicy.MinLength > 128 {
		return FieldErrorf(CodeInvalid, "passwordPolicy.minLength", "passwordPolicy.minLength must be between 8 and 128")
	}
	return nil
}

// PropertyType is the type of a custom user property's values.
type PropertyType string

// Custom property types.
const (
	PropertyString  PropertyType = "string"
	PropertyNumber  PropertyType = "number"
	PropertyBoolean PropertyType = "boolean"
	PropertyDate    PropertyType = "date" // YYYY-MM-DD
)

// PropertyDef defines a custom user property of an organization.
type PropertyDef struct {
	Key      string
	Label    string
	Type     PropertyType
	Required bool
}

var (
	slugPattern        = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	propertyKeyPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)
	domainPattern      = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// NormalizeDomain lower-cases and trims a domain name.
func NormalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// MaxDomains bounds the domains an organization lists.
const MaxDomains = 100

// Validate checks an organization's own fields (not its users).
func (o *Org) Validate() error {
	if err := validateRoleMappings(o.Settings.RoleMappings); err != nil {
		return err
	}
	if !slugPattern.MatchString(o.Slug) {
		return FieldErrorf(CodeInvalid, "slug", "slug must be 1-63 lower-case letters, digits or dashes, not starting or ending with a dash")
	}
	if name := strings.TrimSpace(o.Name); name == "" || len(name) > 200 {
		return FieldErrorf(CodeInvalid, "name", "name must be 1-200 characters")
	}
	if err := CheckText("name", o.Name); err != nil {
		return err
	}
	primaries := 0
	seen := map[string]bool{}
	for i, d := range o.Domains {
		d.Name = NormalizeDomain(d.Name)
		o.Domains[i].Name = d.Name
		if !domainPattern.MatchString(d.Name) {
			return FieldErrorf(CodeInvalid, "domains", "%q is not a domain name", d.Name)
		}
		if seen[d.Name] {
			return FieldErrorf(CodeInvalid, "domains", "domain %q is listed twice", d.Name)
		}
		seen[d.Name] = true
		if d.Primary {
			primaries++
		}
	}
	if len(o.Domains) > 0 && primaries != 1 {
		return FieldErrorf(CodeInvalid, "domains", "exactly one domain must be primary")
	}
	if err := o.Settings.Validate(); err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, p := range o.UserProperties {
		if !propertyKeyPattern.MatchString(p.Key) {
			return FieldErrorf(CodeInvalid, "userProperties", "property key %q must start with a letter and hold only letters, digits and underscores (at most 64)", p.Key)
		}
		if keys[strings.ToLower(p.Key)] {
			return FieldErrorf(CodeInvalid, "userProperties", "property key %q is defined twice", p.Key)
		}
		keys[strings.ToLower(p.Key)] = true
		if err := CheckText("userProperties.label", p.Label); err != nil {
			return err
		}
		switch p.Type {
		case PropertyString, PropertyNumber, PropertyBoolean, PropertyDate:
		default:
			return FieldErrorf(CodeInvalid, "userProperties", "property %q has unknown type %q", p.Key, p.Type)
		}
	}
	return nil
}

// PrimaryDomain returns the primary domain, or "" if none is set.
func (o *Org) PrimaryDomain() string {
	for _, d := range o.Domains {
		if d.Primary {
			return d.Name
		}
	}
	return ""
}

// Domain returns the organization's listing of a domain.
func (o *Org) Domain(name string) (Domain, bool) {
	name = NormalizeDomain(name)
	for _, d := range o.Domains {
		if d.Name == name {
			return d, true
		}
	}
	return Domain{}, false
}

// Property returns the definition of a custom property by key.
func (o *Org) Property(key string) (PropertyDef, bool) {
	for _, p := range o.UserProperties {
		if p.Key == key {
			return p, true
		}
	}
	return PropertyDef{}, false
}
