package sqlbuild

import "github.com/roster/roster/internal/directory"

// Table names a table that filters and sorts apply to. Users are aliased u
// and groups g in every statement that uses this package.
type Table int

// Queryable tables.
const (
	Users Table = iota + 1
	Groups
)

// kind is how an attribute compares.
type kind int

const (
	kindText kind = iota
	kindTime
	kindBool
	kindActive // users' "active": a bool over status
)

// column maps a queryable attribute to SQL.
type column struct {
	expr string
	kind kind
	// exact marks case-sensitive text (directory.CaseExactAttrs).
	exact bool
	// folded marks text stored lower-cased (a *_lower shadow column, or an
	// enum whose values are lower-case), compared without lower().
	folded bool
	// null marks a column that may be NULL.
	null bool
}

// multiValued maps a multi-valued attribute to a child table that an EXISTS
// subquery searches.
type multiValued struct {
	from  string // child table and alias
	link  string // the condition tying a child row to its parent
	attrs map[directory.Attr]column
	// value is the sub-attribute that a comparison of the attribute itself
	// means ("emails co x" is "emails[value co x]").
	value directory.Attr
}

type schema struct {
	id    string
	attrs map[directory.Attr]column
	multi map[directory.Attr]multiValued
}

func (t Table) schema() *schema {
	switch t {
	case Users:
		return &userSchema
	case Groups:
		return &groupSchema
	}
	panic("sqlbuild: unknown table")
}

// userSchema and groupSchema are read-only: the attributes of query.go and
// where they live.
var userSchema = schema{
	id: "u.id",
	attrs: map[directory.Attr]column{
		directory.UserID:             {expr: "u.id", exact: true},
		directory.UserExternalID:     {expr: "u.external_id", exact: true},
		directory.UserUserName:       {expr: "u.user_name_lower", folded: true},
		directory.UserDisplayName:    {expr: "u.display_name"},
		directory.UserGivenName:      {expr: "u.given_name"},
		directory.UserFamilyName:     {expr: "u.family_name"},
		directory.UserEmail:          {expr: "u.email_lower", folded: true},
		directory.UserTitle:          {expr: "u.title"},
		directory.UserPhone:          {expr: "u.phone"},
		directory.UserActive:         {expr: "u.status", kind: kindActive},
		directory.UserStatus:         {expr: "u.status", folded: true},
		directory.UserRole:           {expr: "u.role", folded: true},
		directory.UserSource:         {expr: "u.source", folded: true},
		directory.UserSourceRef:      {expr: "u.source_ref", exact: true},
		directory.UserAuthMethod:     {expr: "u.auth_method", folded: true},
		directory.UserEmployeeNumber: {expr: "u.employee_number"},
		directory.UserCostCenter:     {expr: "u.cost_center"},
		directory.UserOrganization:   {expr: "u.organization"},
		directory.UserDivision:       {expr: "u.division"},
		directory.UserDepartment:     {expr: "u.department"},
		directory.UserManager:        {expr: "u.manager_id", exact: true},
		directory.UserCreated:        {expr: "u.created_at", kind: kindTime},
		directory.UserLastModified:   {expr: "u.updated_at", kind: kindTime},
		directory.UserLastLogin:      {expr: "u.last_login_at", kind: kindTime, null: true},
	},
	multi: map[directory.Attr]multiValued{
		directory.UserEmails: {
			from: "user_emails e",
			link: "e.user_id = u.id",
			attrs: map[directory.Attr]column{
				directory.EmailValue:   {expr: "e.value_lower", folded: true},
				directory.EmailType:    {expr: "e.type_lower", folded: true},
				directory.EmailPrimary: {expr: "e.is_primary", kind: kindBool},
			},
			value: directory.EmailValue,
		},
		directory.UserGroups: {
			from: "group_members gm",
			link: "gm.user_id = u.id",
			attrs: map[directory.Attr]column{
				directory.MemberValue: {expr: "gm.group_id", exact: true},
			},
			value: directory.MemberValue,
		},
	},
}

var groupSchema = schema{
	id: "g.id",
	attrs: map[directory.Attr]column{
		directory.GroupID:           {expr: "g.id", exact: true},
		directory.GroupDisplayName:  {expr: "g.display_name_lower", folded: true},
		directory.GroupExternalID:   {expr: "g.external_id", exact: true},
		directory.GroupSource:       {expr: "g.source", folded: true},
		directory.GroupSourceRef:    {expr: "g.source_ref", exact: true},
		directory.GroupCreated:      {expr: "g.created_at", kind: kindTime},
		directory.GroupLastModified: {expr: "g.updated_at", kind: kindTime},
	},
	multi: map[directory.Attr]multiValued{
		directory.GroupMembers: {
			from: "group_members gm",
			link: "gm.group_id = g.id",
			attrs: map[directory.Attr]column{
				directory.MemberValue: {expr: "gm.user_id", exact: true},
			},
			value: directory.MemberValue,
		},
	},
}
