package scim

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/scim/internal/filter"
)

// The filter compiler turns a parsed SCIM filter into a directory.Expr, which
// the store runs as SQL. Only attributes the store can query are accepted;
// anything else is 400 invalidFilter. Case-insensitive comparison of
// userName, names and emails is the store's (per directory.CaseExactAttrs).

type valueKind int

const (
	kindString valueKind = iota
	kindBool
	kindTime
	// kindActive is SCIM's active, which Roster derives from the status
	// (see scimActive).
	kindActive
)

// queryAttr is a filterable, sortable single-valued attribute.
type queryAttr struct {
	attr directory.Attr
	kind valueKind
}

// multiAttr is a filterable multi-valued attribute: its sub-attributes are
// tested through directory.Has. A filter naming the attribute alone
// ("emails co x") tests its "value".
type multiAttr struct {
	attr directory.Attr
	subs map[string]queryAttr
	// sortBy is what sorting by the attribute sorts by ("" if unsortable).
	sortBy directory.Attr
}

// queryTable lists a resource type's queryable attributes by lower-cased
// path ("name.givenname"); extension attributes are listed under their
// schema URN too.
type queryTable struct {
	core   string
	exts   []string
	single map[string]queryAttr
	multi  map[string]multiAttr
	// unsortable lists single attributes that may be filtered on but not
	// sorted by.
	unsortable map[string]bool
}

var (
	// emailSubs are the sub-attributes of emails, roles and entitlements.
	emailSubs = map[string]queryAttr{
		"value":   {directory.EmailValue, kindString},
		"type":    {directory.EmailType, kindString},
		"primary": {directory.EmailPrimary, kindBool},
	}
	memberSubs = map[string]queryAttr{"value": {directory.MemberValue, kindString}}

	userQueries = queryTable{
		core:       strings.ToLower(userURN),
		exts:       userExtensionKeys(),
		single:     userSingleQueries(),
		unsortable: userUnsortable(),
		multi: map[string]multiAttr{
			"emails":       {attr: directory.UserEmails, subs: emailSubs, sortBy: directory.UserEmail},
			"groups":       {attr: directory.UserGroups, subs: memberSubs},
			"roles":        {attr: directory.UserRoles, subs: emailSubs},
			"entitlements": {attr: directory.UserEntitlements, subs: emailSubs},
		},
	}

	groupQueries = queryTable{
		core: strings.ToLower(groupURN),
		single: map[string]queryAttr{
			"id":                {directory.GroupID, kindString},
			"externalid":        {directory.GroupExternalID, kindString},
			"displayname":       {directory.GroupDisplayName, kindString},
			"meta.created":      {directory.GroupCreated, kindTime},
			"meta.lastmodified": {directory.GroupLastModified, kindTime},
		},
		multi: map[string]multiAttr{
			"members": {attr: directory.GroupMembers, subs: memberSubs},
		},
	}
)

// userSingleQueries lists the catalogue's filterable single-valued
// attributes that SCIM shows. A path inside a multi-valued attribute
// ("emails.value") is filtered through that attribute instead; a complex
// attribute's value ("manager.value") may be named by the attribute alone,
// as Entra does.
func userSingleQueries() map[string]queryAttr {
	m := map[string]queryAttr{}
	for _, a := range directory.UserAttributes() {
		if !a.Filterable || a.SCIMName == "" || a.Type == directory.TypeComplex || insideMultiValued(a) {
			continue
		}
		q := queryAttr{attr: a.Name, kind: kindString}
		switch {
		case a.Name == directory.UserActive:
			q = queryAttr{attr: directory.UserStatus, kind: kindActive}
		case a.Type == directory.TypeDateTime:
			q.kind = kindTime
		case a.Type == directory.TypeBoolean:
			q.kind = kindBool
		}
		key := strings.ToLower(a.SCIMName)
		m[key] = q
		if parent, ok := strings.CutSuffix(key, ".value"); ok {
			m[parent] = q
		}
	}
	return m
}

// userUnsortable lists the filterable attributes the catalogue does not
// let clients sort by.
func userUnsortable() map[string]bool {
	m := map[string]bool{}
	for key, q := range userSingleQueries() {
		if a, ok := directory.UserAttribute(q.attr); ok && !a.Sortable {
			m[key] = true
		}
	}
	return m
}

// insideMultiValued reports whether SCIM shows a catalogue attribute inside
// a multi-valued attribute of the core schema (emails, phoneNumbers).
func insideMultiValued(a *directory.Attribute) bool {
	parent, _, ok := strings.Cut(a.SCIMName, ".")
	if !ok || a.Schema != userURN {
		return false
	}
	attr, ok := coreUserSchema(true).Attributes.ContainsAttribute(parent)
	return ok && attr.MultiValued()
}

// userExtensionKeys lists, lower-cased, the URNs of the extension schemas
// that catalogue attributes belong to.
func userExtensionKeys() []string {
	out := make([]string, len(catalogueExtensions))
	for i, urn := range catalogueExtensions {
		out[i] = strings.ToLower(urn)
	}
	return out
}

// maxFilterTerms bounds the comparisons in one filter, and so the SQL a
// client can make the store run.
const maxFilterTerms = 64

// compileFilter parses and compiles a filter; "" matches everything.
func compileFilter(text string, t *queryTable) (directory.Expr, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	e, err := filter.Parse(text)
	if err != nil {
		return nil, invalidFilter("the filter is malformed: %v", err)
	}
	c := compiler{t: t}
	return c.expr(e)
}

type compiler struct {
	t     *queryTable
	terms int
}

func (c *compiler) expr(e filter.Expr) (directory.Expr, error) {
	switch e := e.(type) {
	case filter.And:
		out, err := c.exprs(e)
		return directory.And(out), err
	case filter.Or:
		out, err := c.exprs(e)
		return directory.Or(out), err
	case filter.Not:
		x, err := c.expr(e.X)
		if err != nil {
			return nil, err
		}
		return directory.Not{X: x}, nil
	case filter.ValuePath:
		m, err := c.multi(e.Attr)
		if err != nil {
			return nil, err
		}
		where, err := c.element(e.Filter, m)
		if err != nil {
			return nil, err
		}
		return directory.Has{Attr: m.attr, Where: where}, nil
	case filter.Compare:
		if c.terms++; c.terms > maxFilterTerms {
			return nil, invalidFilter("the filter has more than %d comparisons", maxFilterTerms)
		}
		key, ok := tableKey(c.t, e.Attr)
		if !ok {
			return nil, invalidFilter("cannot filter on %s", e.Attr)
		}
		if q, ok := c.t.single[key]; ok {
			return compare(q, e)
		}
		name, sub, _ := strings.Cut(key, ".")
		m, ok := c.t.multi[name]
		if !ok {
			return nil, invalidFilter("cannot filter on %s", e.Attr)
		}
		if sub == "" {
			sub = "value"
		}
		q, ok := m.subs[sub]
		if !ok {
			return nil, invalidFilter("cannot filter on %s", e.Attr)
		}
		where, err := compare(q, e)
		if err != nil {
			return nil, err
		}
		return directory.Has{Attr: m.attr, Where: where}, nil
	}
	return nil, invalidFilter("unsupported filter")
}

func (c *compiler) exprs(es []filter.Expr) ([]directory.Expr, error) {
	out := make([]directory.Expr, 0, len(es))
	for _, x := range es {
		y, err := c.expr(x)
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, nil
}

// element compiles the filter inside a value path's brackets, whose
// attributes are sub-attributes of m.
func (c *compiler) element(e filter.Expr, m multiAttr) (directory.Expr, error) {
	switch e := e.(type) {
	case filter.And:
		out, err := c.elements(e, m)
		return directory.And(out), err
	case filter.Or:
		out, err := c.elements(e, m)
		return directory.Or(out), err
	case filter.Not:
		x, err := c.element(e.X, m)
		return directory.Not{X: x}, err
	case filter.Compare:
		if c.terms++; c.terms > maxFilterTerms {
			return nil, invalidFilter("the filter has more than %d comparisons", maxFilterTerms)
		}
		q, ok := m.subs[strings.ToLower(e.Attr.Name)]
		if !ok {
			return nil, invalidFilter("cannot filter on sub-attribute %s", e.Attr.Name)
		}
		return compare(q, e)
	}
	return nil, invalidFilter("unsupported value filter")
}

func (c *compiler) elements(es []filter.Expr, m multiAttr) ([]directory.Expr, error) {
	out := make([]directory.Expr, 0, len(es))
	for _, x := range es {
		y, err := c.element(x, m)
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, nil
}

// multi resolves the attribute of a value path.
func (c *compiler) multi(p filter.AttrPath) (multiAttr, error) {
	key, ok := tableKey(c.t, p)
	if ok {
		if m, ok := c.t.multi[key]; ok {
			return m, nil
		}
	}
	return multiAttr{}, invalidFilter("%s is not a multi-valued attribute Roster can filter on", p)
}

// tableKey is the table key of a path: lower case, without the URN of the
// schema that defines it. A URN Roster does not serve is not found.
func tableKey(t *queryTable, p filter.AttrPath) (string, bool) {
	if p.URI != "" {
		urn := strings.ToLower(p.URI)
		known := urn == t.core
		for _, e := range t.exts {
			known = known || urn == e
		}
		if !known {
			return "", false
		}
	}
	key := strings.ToLower(p.Name)
	if p.Sub != "" {
		key += "." + strings.ToLower(p.Sub)
	}
	return key, true
}

// compare compiles one comparison, checking that the operator suits the
// attribute's type and converting the value.
func compare(q queryAttr, c filter.Compare) (directory.Expr, error) {
	op := directory.Op(c.Op)
	present := directory.Expr(directory.Compare{Attr: q.attr, Op: directory.OpPr})
	if q.kind == kindActive {
		present = matchAll() // every user has an active value
	}
	if op == directory.OpPr {
		return present, nil
	}
	if c.Value == nil {
		// RFC 7644 leaves "eq null" open; Roster reads it as "has no value".
		switch op {
		case directory.OpEq:
			return directory.Not{X: present}, nil
		case directory.OpNe:
			return present, nil
		}
		return nil, invalidFilter("%s %s null is not a comparison", c.Attr, c.Op)
	}
	switch q.kind {
	case kindString:
		var s string
		switch v := c.Value.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		default:
			return nil, invalidFilter("%s is a string, not %s", c.Attr, describe(c.Value))
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			// No stored value holds them (see directory.CheckText).
			return nil, invalidFilter("%s is compared with text that holds NUL or invalid UTF-8", c.Attr)
		}
		return directory.Compare{Attr: q.attr, Op: op, Value: s}, nil
	case kindBool, kindActive:
		if op != directory.OpEq && op != directory.OpNe {
			return nil, invalidFilter("%s is true or false; only eq, ne and pr apply", c.Attr)
		}
		b, ok := boolValue(c.Value)
		if !ok {
			return nil, invalidFilter("%s is true or false, not %s", c.Attr, describe(c.Value))
		}
		if q.kind == kindActive {
			return activeExpr(b == (op == directory.OpEq)), nil
		}
		return directory.Compare{Attr: q.attr, Op: op, Value: b}, nil
	case kindTime:
		switch op {
		case directory.OpCo, directory.OpSw, directory.OpEw:
			return nil, invalidFilter("%s is a time; co, sw and ew do not apply", c.Attr)
		}
		s, _ := c.Value.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, invalidFilter("%s is compared with a time such as \"2024-05-13T04:42:34Z\"", c.Attr)
		}
		return directory.Compare{Attr: q.attr, Op: op, Value: t.UTC()}, nil
	}
	return nil, invalidFilter("cannot filter on %s", c.Attr)
}

// activeExpr is the filter for active eq want (see scimActive).
func activeExpr(want bool) directory.Expr {
	suspended := directory.Eq(directory.UserStatus, string(directory.StatusSuspended))
	if want {
		return directory.Not{X: suspended}
	}
	return suspended
}

// matchAll is a filter every resource passes.
func matchAll() directory.Expr { return directory.Compare{Attr: directory.UserID, Op: directory.OpPr} }

func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// sortAttr resolves sortBy. Multi-valued attributes sort by their primary
// value where the store keeps one (emails).
func sortAttr(sortBy string, t *queryTable) (directory.Attr, error) {
	p, err := filter.ParsePath(sortBy)
	if err != nil || p.Filter != nil {
		return "", invalidValue("sortBy %q is not an attribute path", sortBy)
	}
	key, ok := tableKey(t, p.Attr)
	if ok {
		if q, ok := t.single[key]; ok && q.kind != kindActive && !t.unsortable[key] {
			return q.attr, nil
		}
		name, sub, _ := strings.Cut(key, ".")
		if m, ok := t.multi[name]; ok && m.sortBy != "" && (sub == "" || sub == "value") {
			return m.sortBy, nil
		}
	}
	return "", invalidValue("cannot sort by %s", sortBy)
}
