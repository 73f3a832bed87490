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
	// always marks text that is never empty (a required attribute, an
	// enum): sorting by it needs no test for missing values.
	always bool
	// search names the column of SQLite's trigram index users_search that
	// holds this attribute, if one does: co, sw and ew on it are narrowed
	// by the users search's index (on PostgreSQL users_search_idx, over
	// all these columns at once; see narrowSearch).
	search string
	// sortKeyed marks text whose B-tree index (migration 0165) is on the
	// sort's key, NULLIF(value, ''), and not on the value itself: a filter
	// reaches it through that key (see text).
	sortKeyed bool
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
	// in, if set, is the parent's id tested against the child rows'
	// (`u.id IN (SELECT e.user_id …`) that SQLite uses for an equality on
	// value: SQLite runs a correlated EXISTS once per parent row, which
	// at a million users reads them all for one email address, while the
	// list of the few matching ids drives a lookup by primary key.
	in, key string
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
// where they live. The users' single-valued attributes come from the
// catalogue (directory.UserAttributes): a new column attribute needs no
// change here.
var userSchema = schema{
	id:    "u.id",
	attrs: userColumns(),
	multi: map[directory.Attr]multiValued{
		directory.UserEmails: {
			from: "user_emails e",
			link: "e.user_id = u.id",
			in:   "u.id", key: "e.user_id",
			attrs: map[directory.Attr]column{
				directory.EmailValue:   {expr: "e.value_lower", folded: true},
				directory.EmailType:    {expr: "e.type_lower", folded: true},
				directory.EmailPrimary: {expr: "e.is_primary", kind: kindBool},
			},
			value: directory.EmailValue,
		},
		directory.UserRoles:        grants("role"),
		directory.UserEntitlements: grants("entitlement"),
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

// grants maps the user_grants rows of one kind (roles, entitlements).
func grants(kind string) multiValued {
	return multiValued{
		from: "user_grants x",
		link: "x.user_id = u.id AND x.kind = '" + kind + "'",
		attrs: map[directory.Attr]column{
			directory.EmailValue:   {expr: "x.value_lower", folded: true},
			directory.EmailType:    {expr: "x.type_lower", folded: true},
			directory.EmailPrimary: {expr: "x.is_primary", kind: kindBool},
		},
		value: directory.EmailValue,
	}
}

var groupSchema = schema{
	id: "g.id",
	attrs: map[directory.Attr]column{
		directory.GroupID:           {expr: "g.id", exact: true},
		directory.GroupDisplayName:  {expr: "g.display_name_lower", folded: true, always: true},
		directory.GroupExternalID:   {expr: "g.external_id", exact: true},
		directory.GroupSource:       {expr: "g.source", folded: true, always: true},
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

// alwaysSet lists the users' text attributes that every user has.
var alwaysSet = map[directory.Attr]bool{
	directory.UserUserName: true, directory.UserRole: true, directory.UserAuthMethod: true,
	directory.UserStatus: true, directory.UserSource: true,
}

// sortKeyed lists the users' attributes indexed on their sort key alone
// (migration 0165).
var sortKeyed = map[directory.Attr]bool{
	directory.UserGivenName: true, directory.UserFamilyName: true, directory.UserEmail: true,
}

// searchColumns lists the users' attributes that the users search's index
// covers (SQLite's users_search, migration 0085; PostgreSQL's
// users_search_idx, migration 0150), by their column in users_search:
// those the users list's search (q=) looks in.
var searchColumns = map[directory.Attr]string{
	directory.UserGivenName: "given_name", directory.UserFamilyName: "family_name",
	directory.UserEmail: "email_lower", directory.UserUserName: "user_name_lower",
}

// userColumns maps every catalogue attribute held in a users column.
func userColumns() map[directory.Attr]column {
	m := map[directory.Attr]column{}
	for _, a := range directory.UserAttributes() {
		if a.Column == "" || (!a.Filterable && !a.Sortable) {
			continue
		}
		c := column{expr: "u." + a.Column, exact: a.CaseExact, folded: a.Folded, null: a.Nullable, always: alwaysSet[a.Name], search: searchColumns[a.Name], sortKeyed: sortKeyed[a.Name]}
		switch {
		case a.Name == directory.UserActive:
			c = column{expr: "u." + a.Column, kind: kindActive}
		case a.Type == directory.TypeDateTime:
			c.kind = kindTime
		case a.Type == directory.TypeBoolean:
			c.kind = kindBool
		}
		m[a.Name] = c
	}
	return m
}
