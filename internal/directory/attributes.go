package directory

import "strings"

// The attribute catalogue: every user attribute Roster knows, declared
// once. SCIM (schema, filters, sort), the stores (columns), the importer
// (template headers, parsing), directory connectors (default mappings,
// mapping validation), the admin API and console (labels, who may write)
// and the audit log (labels) read it instead of keeping lists of their
// own. docs/attributes.md says how to add one.

// AttrType is an attribute's value type, named after SCIM's (RFC 7643
// §2.3).
type AttrType string

// Attribute types.
const (
	TypeString    AttrType = "string"
	TypeBoolean   AttrType = "boolean"
	TypeDateTime  AttrType = "dateTime"
	TypeReference AttrType = "reference"
	// TypeComplex is a multi-valued attribute of sub-attributes (emails,
	// groups); its elements are queried through Has.
	TypeComplex AttrType = "complex"
)

// Writers says who may set an attribute. Everyone with read access may
// read every attribute.
type Writers uint8

// Writers. An attribute a connector's mapping feeds is owned by that
// connector for the users it manages, whatever its writers.
const (
	// WriteAdmin: an org_admin, through the API, the console, bulk
	// create and import.
	WriteAdmin Writers = 1 << iota
	// WriteSelf: the user, through its own profile.
	WriteSelf
	// WriteSCIM: an identity provider, through SCIM.
	WriteSCIM
	// WriteDirectory: a directory connector, through its mapping.
	WriteDirectory
	// WriteSystem: Roster alone (ids, timestamps, status bookkeeping).
	WriteSystem
)

// WriteAll is every writer outside Roster itself.
const WriteAll = WriteAdmin | WriteSelf | WriteSCIM | WriteDirectory

// Has reports whether w includes every writer of x.
func (w Writers) Has(x Writers) bool { return w&x == x }

// SCIM schema URNs of the user attributes.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// SchemaRoster holds the attributes Roster adds to SCIM's.
	SchemaRoster = "urn:roster:params:scim:schemas:extension:roster:1.0:User"
)

// Attribute describes one user attribute.
type Attribute struct {
	// Name is the attribute's name in queries, mappings, audit changes and
	// API errors: a SCIM path relative to its schema, with "enterprise."
	// standing for the enterprise extension ("name.givenName",
	// "enterprise.costCenter").
	Name Attr
	// Label is how people read it: audit log, console, import help.
	Label string
	Type  AttrType
	// Schema is the SCIM schema URN the attribute belongs to; "" for
	// attributes SCIM does not show (Roster's own: role, status …).
	Schema string
	// SCIMName is the attribute's path within Schema ("name.givenName",
	// "costCenter"); "" when SCIM does not show it. A path inside a
	// multi-valued attribute ("emails.value") names the value its primary
	// element holds; SCIM filters such paths through that attribute.
	SCIMName string
	// Description is the attribute's description in the SCIM /Schemas
	// document of an extension schema. (The core User schema is RFC
	// 7643's; scim/schemas.go writes it out whole.)
	Description string
	// Column is the users table column holding it ("" for attributes that
	// are not a plain column: multi-valued ones live in their own tables).
	Column string
	// Folded columns hold the value lower-cased, so that comparisons
	// ignore case through an ordinary index.
	Folded bool
	// CaseExact values compare case-sensitively (RFC 7643 caseExact).
	CaseExact bool
	// Nullable columns may hold NULL (a time that has not happened yet);
	// the others hold '' for "no value".
	Nullable bool
	// Filterable and Sortable say what SCIM and admin searches may do
	// with it.
	Filterable, Sortable bool
	// Writers says who may set it.
	Writers Writers
	// ImportHeader is the attribute's column in import templates and
	// exports ("" when imports do not set it); ImportHelp and
	// ImportExample fill the template's help and example rows.
	ImportHeader, ImportHelp, ImportExample string
	// Sources are the directory attributes a connector kind maps onto it
	// by default, by kind family: "ldap" (inetOrgPerson), "ad" (Active
	// Directory) and "entra" (Microsoft Graph user properties). A kind
	// with other defaults declares its own mapping.
	Sources map[string]string
	// Text gives access to the attribute's value in a User, for the plain
	// text attributes a connector, an import or an admin form may set;
	// nil for the others.
	Text func(*User) *string
}

// FullSCIMPath is the attribute's fully qualified SCIM path:
// "urn:…:enterprise:2.0:User:costCenter" for extension attributes, the bare
// name for core ones; "" when SCIM does not show it.
func (a *Attribute) FullSCIMPath() string {
	switch {
	case a.SCIMName == "":
		return ""
	case a.Schema == SchemaUser:
		return a.SCIMName
	}
	return a.Schema + ":" + a.SCIMName
}

// Mappable reports whether a directory connector's mapping may feed the
// attribute.
func (a *Attribute) Mappable() bool { return a.Text != nil && a.Writers.Has(WriteDirectory) }

// userAttributes is the catalogue, in the order people see attributes:
// import templates and exports list them so.
var userAttributes = []*Attribute{
	{Name: UserUserName, Label: "Username", Type: TypeString, Schema: SchemaUser, SCIMName: "userName",
		Column: "user_name_lower", Folded: true, Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "userName", ImportHelp: "Identifier, unique in the organization; any text. Required.", ImportExample: "jane.doe@example.com",
		Sources: map[string]string{"ldap": "mail", "ad": "userPrincipalName", "entra": "userPrincipalName"},
		Text:    func(u *User) *string { return &u.UserName }},
	{Name: UserEmail, Label: "Email", Type: TypeString, Schema: SchemaUser, SCIMName: "emails.value",
		Column: "email_lower", Folded: true, Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "email", ImportHelp: "Login email. Defaults to userName if that is an email.",
		Sources: map[string]string{"ldap": "mail", "ad": "mail", "entra": "mail"},
		Text:    func(u *User) *string { return &u.Email }},
	{Name: UserGivenName, Label: "First name", Type: TypeString, Schema: SchemaUser, SCIMName: "name.givenName",
		Column: "given_name", Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "givenName", ImportHelp: "First name.", ImportExample: "Jane",
		Sources: map[string]string{"ldap": "givenName", "ad": "givenName", "entra": "givenName"},
		Text:    func(u *User) *string { return &u.GivenName }},
	{Name: UserFamilyName, Label: "Last name", Type: TypeString, Schema: SchemaUser, SCIMName: "name.familyName",
		Column: "family_name", Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "familyName", ImportHelp: "Last name.", ImportExample: "Doe",
		Sources: map[string]string{"ldap": "sn", "ad": "sn", "entra": "surname"},
		Text:    func(u *User) *string { return &u.FamilyName }},
	{Name: UserDisplayName, Label: "Full name", Type: TypeString, Schema: SchemaUser, SCIMName: "displayName",
		Column: "display_name", Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "displayName", ImportHelp: "Name shown in lists.", ImportExample: "Jane Doe",
		Sources: map[string]string{"ldap": "displayName", "ad": "displayName", "entra": "displayName"},
		Text:    func(u *User) *string { return &u.DisplayName }},
	{Name: UserRole, Label: "Role", Type: TypeString, Column: "role", Folded: true, Filterable: true, Sortable: true,
		Writers:      WriteAdmin,
		ImportHeader: "role", ImportHelp: "user, org_admin, org_viewer or billing_admin. Defaults to user.", ImportExample: "user"},
	{Name: UserAuthMethod, Label: "Authentication method", Type: TypeString, Column: "auth_method", Folded: true,
		Filterable: true, Sortable: true, Writers: WriteAdmin,
		ImportHeader: "authMethod", ImportHelp: "local (password) or sso (the organization's identity provider). Defaults to local.", ImportExample: "local"},
	{Name: UserTitle, Label: "Job title", Type: TypeString, Schema: SchemaUser, SCIMName: "title",
		Column: "title", Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "title", ImportHelp: "Job title.", ImportExample: "Engineer",
		Sources: map[string]string{"ldap": "title", "ad": "title", "entra": "jobTitle"},
		Text:    func(u *User) *string { return &u.Title }},
	{Name: UserPhone, Label: "Phone", Type: TypeString, Schema: SchemaUser, SCIMName: "phoneNumbers.value",
		Column: "phone", Filterable: true, Sortable: true, Writers: WriteAll,
		ImportHeader: "phone", ImportHelp: "Phone number.", ImportExample: "+1 555 0100",
		Sources: map[string]string{"ldap": "telephoneNumber", "ad": "telephoneNumber", "entra": "mobilePhone"},
		Text:    func(u *User) *string { return &u.Phone }},
	{Name: UserExternalID, Label: "External id", Type: TypeString, Schema: SchemaUser, SCIMName: "externalId",
		Column: "external_id", CaseExact: true, Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "externalId", ImportHelp: "Identifier in another system.",
		Sources: map[string]string{"ldap": "uid", "ad": "sAMAccountName"},
		Text:    func(u *User) *string { return &u.ExternalID }},
	{Name: UserEmployeeNumber, Label: "Employee number", Type: TypeString, Schema: SchemaEnterprise, SCIMName: "employeeNumber",
		Description: "The employee number.",
		Column:      "employee_number", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "employeeNumber", ImportHelp: "Employee number.", ImportExample: "E1001",
		Sources: map[string]string{"ldap": "employeeNumber", "ad": "employeeID", "entra": "employeeId"},
		Text:    func(u *User) *string { return &u.Enterprise.EmployeeNumber }},
	{Name: UserCostCenter, Label: "Cost center", Type: TypeString, Schema: SchemaEnterprise, SCIMName: "costCenter",
		Description: "The cost center.",
		Column:      "cost_center", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "costCenter", ImportHelp: "Cost center.",
		Sources: map[string]string{"entra": "employeeOrgData.costCenter"},
		Text:    func(u *User) *string { return &u.Enterprise.CostCenter }},
	{Name: UserOrganization, Label: "Organization", Type: TypeString, Schema: SchemaEnterprise, SCIMName: "organization",
		Description: "The organization.",
		Column:      "organization", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "organization", ImportHelp: "Organization (company) name.",
		Sources: map[string]string{"ldap": "o", "ad": "company", "entra": "companyName"},
		Text:    func(u *User) *string { return &u.Enterprise.Organization }},
	{Name: UserDivision, Label: "Division", Type: TypeString, Schema: SchemaEnterprise, SCIMName: "division",
		Description: "The division.",
		Column:      "division", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "division", ImportHelp: "Division.",
		Text: func(u *User) *string { return &u.Enterprise.Division }},
	{Name: UserDepartment, Label: "Department", Type: TypeString, Schema: SchemaEnterprise, SCIMName: "department",
		Description: "The department.",
		Column:      "department", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "department", ImportHelp: "Department.", ImportExample: "Engineering",
		Sources: map[string]string{"ldap": "departmentNumber", "ad": "department", "entra": "department"},
		Text:    func(u *User) *string { return &u.Enterprise.Department }},
	{Name: UserOfficeLocation, Label: "Office location", Type: TypeString, Schema: SchemaRoster, SCIMName: "officeLocation",
		Description: "The office where the user works.",
		Column:      "office_location", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory,
		ImportHeader: "officeLocation", ImportHelp: "Office location.",
		Sources: map[string]string{"ldap": "physicalDeliveryOfficeName", "ad": "physicalDeliveryOfficeName", "entra": "officeLocation"},
		Text:    func(u *User) *string { return &u.OfficeLocation }},
	{Name: UserManager, Label: "Manager", Type: TypeReference, Schema: SchemaEnterprise, SCIMName: "manager.value",
		Column: "manager_id", CaseExact: true, Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM},

	{Name: UserID, Label: "Id", Type: TypeString, Schema: SchemaUser, SCIMName: "id",
		Column: "id", CaseExact: true, Filterable: true, Sortable: true, Writers: WriteSystem},
	{Name: UserActive, Label: "Active", Type: TypeBoolean, Schema: SchemaUser, SCIMName: "active",
		Column: "status", Filterable: true, Sortable: true, Writers: WriteAdmin | WriteSCIM | WriteDirectory},
	{Name: UserStatus, Label: "Status", Type: TypeString, Column: "status", Folded: true, Filterable: true, Sortable: true,
		Writers: WriteAdmin | WriteSystem},
	{Name: UserSource, Label: "Source", Type: TypeString, Column: "source", Folded: true, Filterable: true, Sortable: true,
		Writers: WriteSystem},
	{Name: UserSourceRef, Label: "Source reference", Type: TypeString, Column: "source_ref", CaseExact: true,
		Filterable: true, Sortable: true, Writers: WriteSystem},
	{Name: UserCreated, Label: "Created", Type: TypeDateTime, Schema: SchemaUser, SCIMName: "meta.created",
		Column: "created_at", Filterable: true, Sortable: true, Writers: WriteSystem},
	{Name: UserLastModified, Label: "Last modified", Type: TypeDateTime, Schema: SchemaUser, SCIMName: "meta.lastModified",
		Column: "updated_at", Filterable: true, Sortable: true, Writers: WriteSystem},
	{Name: UserLastLogin, Label: "Last login", Type: TypeDateTime, Column: "last_login_at", Nullable: true,
		Filterable: true, Sortable: true, Writers: WriteSystem},
	{Name: UserEmails, Label: "Emails", Type: TypeComplex, Schema: SchemaUser, SCIMName: "emails",
		Filterable: true, Writers: WriteAll},
	{Name: UserRoles, Label: "Roles", Type: TypeComplex, Schema: SchemaUser, SCIMName: "roles",
		Filterable: true, Writers: WriteSCIM},
	{Name: UserEntitlements, Label: "Entitlements", Type: TypeComplex, Schema: SchemaUser, SCIMName: "entitlements",
		Filterable: true, Writers: WriteSCIM},
	{Name: UserGroups, Label: "Groups", Type: TypeComplex, Schema: SchemaUser, SCIMName: "groups",
		Filterable: true, Writers: WriteSystem},
}

var attributesByName = func() map[Attr]*Attribute {
	m := make(map[Attr]*Attribute, len(userAttributes))
	for _, a := range userAttributes {
		m[a.Name] = a
	}
	return m
}()

// UserAttributes lists the catalogue in display order. The list and its
// entries are shared: callers must not change them.
func UserAttributes() []*Attribute { return userAttributes }

// UserAttribute finds an attribute by name, exactly as the catalogue spells
// it.
func UserAttribute(name Attr) (*Attribute, bool) {
	a, ok := attributesByName[name]
	return a, ok
}

// AttributeLabel is the audit label of a change's field name: the
// catalogue's label, "Property <key>" for custom properties, and the name
// itself for fields the catalogue does not list (status bookkeeping).
func AttributeLabel(name string) string {
	if a, ok := attributesByName[Attr(name)]; ok {
		return a.Label
	}
	if key, ok := strings.CutPrefix(name, PropertyPrefix); ok {
		return "Property " + key
	}
	return name
}

// enterprisePrefix starts the names of the enterprise extension's
// attributes ("enterprise.costCenter").
const enterprisePrefix = "enterprise."

// PropertyPrefix starts the names that stand for custom properties
// ("properties.<key>") in mappings, imports and audit changes.
const PropertyPrefix = "properties."

// DefaultSources is the mapping the catalogue gives a directory family
// ("ldap", "ad", "entra"): attribute name → directory attribute.
func DefaultSources(family string) map[Attr]string {
	out := map[Attr]string{}
	for _, a := range userAttributes {
		if src := a.Sources[family]; src != "" {
			out[a.Name] = src
		}
	}
	return out
}
