package directory

// Expr is a dialect-neutral filter over users or groups. SCIM filters and
// admin searches compile to it; each store turns it into SQL. A nil Expr
// matches everything.
type Expr interface{ isExpr() }

// Op is a comparison operator, named after SCIM's.
type Op string

// Comparison operators.
const (
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpCo Op = "co" // contains
	OpSw Op = "sw" // starts with
	OpEw Op = "ew" // ends with
	OpPr Op = "pr" // present (not null, not empty)
	OpGt Op = "gt"
	OpGe Op = "ge"
	OpLt Op = "lt"
	OpLe Op = "le"
)

// Attr names a queryable attribute. Only the attributes listed below exist;
// a store refuses any other with CodeInvalid.
type Attr string

// User attributes.
const (
	UserID             Attr = "id"
	UserExternalID     Attr = "externalId"
	UserUserName       Attr = "userName"
	UserDisplayName    Attr = "displayName"
	UserGivenName      Attr = "name.givenName"
	UserFamilyName     Attr = "name.familyName"
	UserEmail          Attr = "email" // the primary email column
	UserTitle          Attr = "title"
	UserPhone          Attr = "phone"
	UserActive         Attr = "active" // bool: status == active
	UserStatus         Attr = "status"
	UserRole           Attr = "role"
	UserSource         Attr = "source"
	UserSourceRef      Attr = "sourceRef"
	UserAuthMethod     Attr = "authMethod"
	UserEmployeeNumber Attr = "enterprise.employeeNumber"
	UserCostCenter     Attr = "enterprise.costCenter"
	UserOrganization   Attr = "enterprise.organization"
	UserDivision       Attr = "enterprise.division"
	UserDepartment     Attr = "enterprise.department"
	UserOfficeLocation Attr = "officeLocation"
	UserManager        Attr = "enterprise.manager"
	UserCreated        Attr = "meta.created"
	UserLastModified   Attr = "meta.lastModified"
	UserLastLogin      Attr = "lastLoginAt"
	// UserEmails is multi-valued: use it in Has with EmailValue, EmailType
	// and EmailPrimary.
	UserEmails   Attr = "emails"
	EmailValue   Attr = "value"
	EmailType    Attr = "type"
	EmailPrimary Attr = "primary"
	// UserRoles and UserEntitlements are multi-valued like UserEmails:
	// their elements have EmailValue, EmailType and EmailPrimary.
	UserRoles        Attr = "roles"
	UserEntitlements Attr = "entitlements"
	// UserGroups matches users by group membership: Has{UserGroups,
	// Compare{MemberValue, OpEq, groupID}}.
	UserGroups Attr = "groups"
)

// Group attributes.
const (
	GroupID           Attr = "id"
	GroupDisplayName  Attr = "displayName"
	GroupExternalID   Attr = "externalId"
	GroupSource       Attr = "source"
	GroupSourceRef    Attr = "sourceRef"
	GroupCreated      Attr = "meta.created"
	GroupLastModified Attr = "meta.lastModified"
	// GroupMembers is multi-valued: Has{GroupMembers, Compare{MemberValue,
	// OpEq, userID}}.
	GroupMembers Attr = "members"
	MemberValue  Attr = "value"
)

// CaseExactAttrs are the string attributes compared case-sensitively
// (RFC 7643: id and externalId are caseExact; userName, names, emails are
// not). Every other string attribute compares without regard to case.
var CaseExactAttrs = map[Attr]bool{
	UserID: true, UserExternalID: true, UserSourceRef: true, UserManager: true,
	MemberValue: true,
}

// Compare tests one attribute. Value is a string, bool, int64, float64 or
// time.Time, and nil for OpPr.
type Compare struct {
	Attr  Attr
	Op    Op
	Value any
}

// And matches when all of its operands match.
type And []Expr

// Or matches when any of its operands matches.
type Or []Expr

// Not matches when X does not.
type Not struct{ X Expr }

// Has matches when some element of the multi-valued attribute Attr matches
// Where (attributes of the element: EmailValue, EmailType, EmailPrimary,
// MemberValue; roles and entitlements have those of emails).
type Has struct {
	Attr  Attr
	Where Expr
}

func (Compare) isExpr() {}
func (And) isExpr()     {}
func (Or) isExpr()      {}
func (Not) isExpr()     {}
func (Has) isExpr()     {}

// Eq is shorthand for an equality test.
func Eq(a Attr, v any) Compare { return Compare{Attr: a, Op: OpEq, Value: v} }

// Sort orders a listing. The store always breaks ties by id, so that paging
// is stable.
type Sort struct {
	Attr Attr // "" sorts by creation (id order: ids are time-ordered)
	Desc bool
}

// UserQuery selects users of one organization.
type UserQuery struct {
	Filter Expr
	// IncludeDeleted lists soft-deleted users too; by default they are
	// hidden, as from SCIM clients.
	IncludeDeleted bool
	Sort           Sort
	// Offset skips users (SCIM startIndex-1). It is ignored when After is set.
	Offset int
	// After is a cursor from a previous page: keyset pagination.
	After string
	// AfterOffset skips that many users past After: a page at a position
	// reached by a seek to a remembered cursor, then a short walk (SCIM's
	// deep startIndex pages).
	AfterOffset int
	Limit       int
	// CountTotal asks the store for the number of matching users.
	CountTotal bool
	// CursorOnly asks for where the page ends alone: Next, and no users
	// (the strides of a deep startIndex jump).
	CursorOnly bool
}

// UserPage is one page of users.
type UserPage struct {
	Users []*User
	Total int    // only with CountTotal
	Next  string // cursor of the next page, "" at the end
}

// GroupQuery selects groups of one organization.
type GroupQuery struct {
	Filter Expr
	Sort   Sort
	Offset int
	After  string
	// AfterOffset skips that many groups past After (see UserQuery).
	AfterOffset int
	Limit       int
	CountTotal  bool
	CursorOnly  bool // see UserQuery
}

// GroupPage is one page of groups.
type GroupPage struct {
	Groups []*Group
	Total  int
	Next   string
}

// MemberPage is one page of a group's members, in user id order.
type MemberPage struct {
	Members []Member
	Next    string
}

// MaxPageSize bounds every listing.
const MaxPageSize = 1000

// DefaultPageSize is used when a query names no limit.
const DefaultPageSize = 100

// ClampLimit applies the default and maximum page sizes.
func ClampLimit(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	if n > MaxPageSize {
		return MaxPageSize
	}
	return n
}
