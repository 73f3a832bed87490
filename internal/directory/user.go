package directory

import (
	"fmt"
	"math"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what a user may do within its organization.
type Role string

// Roles.
const (
	RoleOrgAdmin     Role = "org_admin"
	RoleOrgViewer    Role = "org_viewer"
	RoleBillingAdmin Role = "billing_admin"
	RoleUser         Role = "user"
)

// Roles lists every role, from the most to the least powerful.
var Roles = []Role{RoleOrgAdmin, RoleOrgViewer, RoleBillingAdmin, RoleUser}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOrgAdmin, RoleOrgViewer, RoleBillingAdmin, RoleUser:
		return true
	}
	return false
}

// CanReadOrg reports whether the role may read the organization's users,
// settings, tokens, connectors and audit log.
func (r Role) CanReadOrg() bool { return r == RoleOrgAdmin || r == RoleOrgViewer }

// CanWriteOrg reports whether the role may change anything in the organization.
func (r Role) CanWriteOrg() bool { return r == RoleOrgAdmin }

// CanReadUsage reports whether the role may read seat counts and usage.
func (r Role) CanReadUsage() bool {
	return r == RoleOrgAdmin || r == RoleOrgViewer || r == RoleBillingAdmin
}

// Source says where a user or group came from, and so who owns its attributes.
type Source string

// Sources.
const (
	SourceLocal  Source = "local"
	SourceImport Source = "import"
	SourceSCIM   Source = "scim"
	SourceLDAP   Source = "ldap"
	SourceEntra  Source = "entra"
)

// Sources lists the sources of users: Roster's own, SCIM, and the
// directory connectors'.
var Sources = []Source{SourceLocal, SourceImport, SourceSCIM, SourceLDAP, SourceEntra}

// Valid reports whether s is a source: Roster's own (local, import), SCIM,
// or the source of a directory connector kind (ldap, entra, or another
// kind's: see IsDirectory).
func (s Source) Valid() bool { return s == SourceLocal || s == SourceImport || s.IsDirectory() }

// IsDirectory reports whether users of this source are managed by an
// external directory, which then owns their attributes: SCIM, and every
// connector kind's source. A kind names its source (and the authority of
// its status changes) itself, so that a new kind needs no change here: any
// name shaped like a kind's (see ConnectorKind.Valid) that is not one of
// Roster's own.
func (s Source) IsDirectory() bool { return isDirectoryName(string(s)) }

// rosterNames are the sources, authorities and actor kinds of Roster
// itself, which no directory may take as its source.
var rosterNames = map[string]bool{
	string(SourceLocal): true, string(SourceImport): true,
	string(AuthorityAdmin): true, string(AuthorityUser): true, string(AuthorityLogin): true, string(AuthorityJob): true,
	string(ActorToken): true, string(ActorConnector): true, string(ActorOperator): true, string(ActorSystem): true,
}

func isDirectoryName(s string) bool { return !rosterNames[s] && isName(s) }

// isName reports whether s is lowercase letters, digits and dashes,
// starting with a letter, at most 32 characters: the shape of connector
// kinds and their sources.
func isName(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// AuthMethod says how a user proves who it is.
type AuthMethod string

// Authentication methods.
const (
	AuthLocal AuthMethod = "local" // password (and TOTP)
	AuthSSO   AuthMethod = "sso"   // the organization's OIDC provider only
)

// AuthMethods lists every authentication method.
var AuthMethods = []AuthMethod{AuthLocal, AuthSSO}

// Valid reports whether m is a known method.
func (m AuthMethod) Valid() bool { return m == AuthLocal || m == AuthSSO }

// User is an account of an organization. UserName is its SCIM identifier,
// any text (see ValidateUserName), unique within the organization regardless
// of case among users that are not deleted. Email, the primary email, is the
// login email, unique within the organization likewise.
type User struct {
	ID         string
	OrgID      string
	UserName   string
	ExternalID string
	// Source and SourceRef identify the user in the directory that manages
	// it: Entra object id, AD objectGUID, LDAP entryUUID. Empty for local
	// users.
	Source    Source
	SourceRef string

	GivenName   string
	FamilyName  string
	DisplayName string
	// Email is the primary email and the login email; it defaults to
	// UserName when that is an email address. A local user without one
	// cannot log in with a password (SSO still finds it by userName).
	Email  string
	Emails []Email
	// Roles and Entitlements are what an identity provider assigns the
	// user (SCIM roles and entitlements). Roles are plain data unless the
	// organization maps their values to Roster roles (see RoleMapping).
	Roles        []Grant
	Entitlements []Grant
	Phone        string
	Title        string
	// OfficeLocation is where the user works (Graph officeLocation, AD
	// physicalDeliveryOfficeName).
	OfficeLocation string
	Enterprise     Enterprise
	// Profile holds the SCIM attributes clients store and read back but
	// never filter on.
	Profile    Profile
	Properties map[string]any

	Role Role
	// RoleFromMapping records that Role was set by the organization's
	// role mappings from the user's SCIM roles, rather than by an admin:
	// only such a role falls back to user when its SCIM roles no longer
	// map to any.
	RoleFromMapping bool
	AuthMethod      AuthMethod

	Status          Status
	StatusReason    string
	StatusSetBy     Authority
	StatusSetByID   string
	StatusChangedAt time.Time
	// StatusBeforeDelete and StatusBeforeDeleteSetBy remember the status a
	// soft-deleted user had, so that a restore never lifts a suspension the
	// restorer did not set.
	StatusBeforeDelete      Status
	StatusBeforeDeleteSetBy Authority

	PasswordHash string
	FailedLogins int
	LastLoginAt  *time.Time
	// ActivatedAt is when the user last became active; the inactivity job
	// counts from it for users who never logged in.
	ActivatedAt *time.Time
	// LockedUntil ends a temporary lock: the organization's last active
	// org_admin is not locked for good by wrong passwords, it is held off
	// until then (see RecordFailedLogin). nil: no temporary lock.
	LockedUntil *time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
	// Version changes on every write; it is the SCIM ETag.
	Version int64
}

// Email is one of a user's email addresses.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// Grant is one of a user's SCIM roles or entitlements.
type Grant struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// maxGrants bounds a user's roles and its entitlements, each.
const maxGrants = 100

// Enterprise holds the SCIM enterprise extension attributes.
type Enterprise struct {
	EmployeeNumber string
	CostCenter     string
	Organization   string
	Division       string
	Department     string
	ManagerID      string
}

// Profile holds attributes that are stored and returned but not queried.
type Profile struct {
	MiddleName        string        `json:"middleName,omitempty"`
	HonorificPrefix   string        `json:"honorificPrefix,omitempty"`
	HonorificSuffix   string        `json:"honorificSuffix,omitempty"`
	NickName          string        `json:"nickName,omitempty"`
	ProfileURL        string        `json:"profileUrl,omitempty"`
	UserType          string        `json:"userType,omitempty"`
	PreferredLanguage string        `json:"preferredLanguage,omitempty"`
	Locale            string        `json:"locale,omitempty"`
	Timezone          string        `json:"timezone,omitempty"`
	PhoneNumbers      []PhoneNumber `json:"phoneNumbers,omitempty"`
	Addresses         []Address     `json:"addresses,omitempty"`
}

// PhoneNumber is one of a user's phone numbers.
type PhoneNumber struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is a postal address.
type Address struct {
	Type          string `json:"type,omitempty"`
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// Active reports whether the user may log in.
func (u *User) Active() bool { return u.Status == StatusActive }

// Deleted reports whether the user is soft-deleted.
func (u *User) Deleted() bool { return u.Status == StatusDeleted }

// Clone returns a deep copy, so that a mutation can be compared with the
// original.
func (u *User) Clone() *User {
	c := *u
	c.Emails = append([]Email(nil), u.Emails...)
	c.Roles = append([]Grant(nil), u.Roles...)
	c.Entitlements = append([]Grant(nil), u.Entitlements...)
	c.Profile.PhoneNumbers = append([]PhoneNumber(nil), u.Profile.PhoneNumbers...)
	c.Profile.Addresses = append([]Address(nil), u.Profile.Addresses...)
	if u.Properties != nil {
		c.Properties = make(map[string]any, len(u.Properties))
		for k, v := range u.Properties {
			c.Properties[k] = v
		}
	}
	if u.LastLoginAt != nil {
		t := *u.LastLoginAt
		c.LastLoginAt = &t
	}
	if u.ActivatedAt != nil {
		t := *u.ActivatedAt
		c.ActivatedAt = &t
	}
	if u.DeletedAt != nil {
		t := *u.DeletedAt
		c.DeletedAt = &t
	}
	if u.LockedUntil != nil {
		t := *u.LockedUntil
		c.LockedUntil = &t
	}
	return &c
}

// NormalizeUserName trims a userName; the uniqueness check is
// case-insensitive over the whole name.
func NormalizeUserName(s string) string { return strings.TrimSpace(s) }

// ValidateEmail checks that s is a plain email address (no display name).
func ValidateEmail(field, s string) error {
	if len(s) > 254 {
		return FieldErrorf(CodeInvalid, field, "%s is longer than 254 characters", field)
	}
	if !plainAddress(s) {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			return FieldErrorf(CodeInvalid, field, "%s %q is not an email address", field, s)
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return FieldErrorf(CodeInvalid, field, "%s %q is not an email address", field, s)
	}
	return nil
}

// plainAddress reports whether s is an address that mail.ParseAddress
// returns unchanged and without a name: two dot-atoms of ASCII atext (RFC
// 5322) joined by one @. Most addresses are, and are checked so without
// the parser's allocations; the others go through the parser.
func plainAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at >= 0 && dotAtom(s[:at]) && dotAtom(s[at+1:])
}

// dotAtom reports whether s is a dot-atom of ASCII atext: no empty atom,
// so no leading, trailing or double dot.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := range len(s) {
		if !atext(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// atext reports whether c is an ASCII atext character of RFC 5322.
func atext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// MaxUserName bounds a userName, in characters.
const MaxUserName = 256

// ValidateUserName checks a userName: 1 to MaxUserName characters of valid
// UTF-8, no NUL nor other control characters. It need not be an email.
func ValidateUserName(s string) error {
	if s == "" {
		return FieldErrorf(CodeInvalid, "userName", "userName is required")
	}
	if !utf8.ValidString(s) {
		return FieldErrorf(CodeInvalid, "userName", "userName is not valid UTF-8")
	}
	if utf8.RuneCountInString(s) > MaxUserName {
		return FieldErrorf(CodeInvalid, "userName", "userName is longer than %d characters", MaxUserName)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return FieldErrorf(CodeInvalid, "userName", "userName must not contain control characters")
		}
	}
	return nil
}

// IsEmail reports whether s is a plain email address.
func IsEmail(s string) bool { return ValidateEmail("email", s) == nil }

// EmailDomain returns the normalized domain of an email address, or "".
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return NormalizeDomain(email[at+1:])
}

// maxAttr bounds free-text attributes so that a client cannot store
// megabytes in a name.
const maxAttr = 1024

// Normalize fills derived fields (Email from UserName, primary email) and
// trims text. It is called by the service before validation.
func (u *User) Normalize() {
	u.UserName = NormalizeUserName(u.UserName)
	u.GivenName = strings.TrimSpace(u.GivenName)
	u.FamilyName = strings.TrimSpace(u.FamilyName)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.Email = strings.TrimSpace(u.Email)
	if u.Email == "" {
		for _, e := range u.Emails {
			if e.Primary {
				u.Email = e.Value
				break
			}
		}
	}
	if u.Email == "" && len(u.Emails) > 0 {
		u.Email = u.Emails[0].Value
	}
	if u.Email == "" && IsEmail(u.UserName) {
		u.Email = u.UserName
	}
	if u.Role == "" {
		u.Role = RoleUser
	}
	if u.AuthMethod == "" {
		u.AuthMethod = AuthLocal
	}
	if u.Source == "" {
		u.Source = SourceLocal
	}
}

// Validate checks the user's attributes (not its status transitions, nor
// custom properties, which need the organization: see ValidateProperties).
func (u *User) Validate() error {
	if err := ValidateUserName(u.UserName); err != nil {
		return err
	}
	for _, a := range userAttributes {
		if a.Text != nil {
			if err := CheckText(string(a.Name), *a.Text(u)); err != nil {
				return err
			}
		}
	}
	if u.Email != "" {
		if err := ValidateEmail("email", u.Email); err != nil {
			return err
		}
	}
	for _, e := range u.Emails {
		if err := CheckText("emails.value", e.Value); err != nil {
			return err
		}
		if err := ValidateEmail("emails", e.Value); err != nil {
			return err
		}
		if err := CheckText("emails.type", e.Type); err != nil {
			return err
		}
	}
	// Free text the catalogue does not list as plain text attributes.
	for _, f := range [...]struct{ name, v string }{
		{"sourceRef", u.SourceRef}, {"statusReason", u.StatusReason}, {string(UserManager), u.Enterprise.ManagerID},
	} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	if err := u.Profile.validate(); err != nil {
		return err
	}
	if len(u.Emails) > 20 || len(u.Profile.PhoneNumbers) > 20 || len(u.Profile.Addresses) > 20 {
		return FieldErrorf(CodeInvalid, "emails", "at most 20 emails, phone numbers and addresses each")
	}
	if err := validateGrants(string(UserRoles), u.Roles); err != nil {
		return err
	}
	if err := validateGrants(string(UserEntitlements), u.Entitlements); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return FieldErrorf(CodeInvalid, "role", "role %q is not one of org_admin, org_viewer, billing_admin, user", u.Role)
	}
	if !u.Source.Valid() {
		return FieldErrorf(CodeInvalid, "source", "source %q is not local, import, scim or a directory connector's", u.Source)
	}
	if !u.AuthMethod.Valid() {
		return FieldErrorf(CodeInvalid, "authMethod", "authMethod %q is not local or sso", u.AuthMethod)
	}
	if !u.Status.Valid() {
		return FieldErrorf(CodeInvalid, "status", "status %q is not valid", u.Status)
	}
	return nil
}

// validateGrants checks a user's roles or entitlements: each has a value,
// no text is longer than other free text, and there are at most maxGrants.
func validateGrants(name string, grants []Grant) error {
	if len(grants) > maxGrants {
		return FieldErrorf(CodeInvalid, name, "at most %d %s", maxGrants, name)
	}
	for _, g := range grants {
		if strings.TrimSpace(g.Value) == "" {
			return FieldErrorf(CodeInvalid, name, "every element of %s needs a value", name)
		}
		for _, v := range [...]string{g.Value, g.Type, g.Display} {
			if err := CheckText(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateProperties checks custom property values against the
// organization's definitions. Numbers arrive as float64 or json.Number-like
// strings from transports; dates as YYYY-MM-DD strings. requireAll enforces
// required properties (admin and import writes; directories may not know
// them).
func ValidateProperties(org *Org, props map[string]any, requireAll bool) error {
	for key, v := range props {
		def, ok := org.Property(key)
		if !ok {
			return FieldErrorf(CodeInvalid, "properties."+key, "organization has no custom property %q", key)
		}
		if v == nil {
			continue
		}
		if err := checkPropertyValue(def, v); err != nil {
			return err
		}
	}
	if requireAll {
		for _, def := range org.UserProperties {
			if v, ok := props[def.Key]; def.Required && (!ok || v == nil || v == "") {
				return FieldErrorf(CodeInvalid, "properties."+def.Key, "custom property %q is required", def.Key)
			}
		}
	}
	return nil
}

func checkPropertyValue(def PropertyDef, v any) error {
	field := "properties." + def.Key
	switch def.Type {
	case PropertyString:
		s, ok := v.(string)
		if !ok {
			return FieldErrorf(CodeInvalid, field, "%s must be a string", def.Key)
		}
		if err := CheckText(field, s); err != nil {
			return err
		}
	case PropertyNumber:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return FieldErrorf(CodeInvalid, field, "%s must be a finite number", def.Key)
			}
		case int, int64:
		default:
			return FieldErrorf(CodeInvalid, field, "%s must be a number", def.Key)
		}
	case PropertyBoolean:
		if _, ok := v.(bool); !ok {
			return FieldErrorf(CodeInvalid, field, "%s must be true or false", def.Key)
		}
	case PropertyDate:
		s, ok := v.(string)
		if !ok {
			return FieldErrorf(CodeInvalid, field, "%s must be a date (YYYY-MM-DD)", def.Key)
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return FieldErrorf(CodeInvalid, field, "%s must be a date (YYYY-MM-DD), not %q", def.Key, s)
		}
	default:
		return Internal(fmt.Errorf("property %q has unknown type %q", def.Key, def.Type))
	}
	return nil
}
