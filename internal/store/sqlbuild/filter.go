package sqlbuild

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
)

// Limits on a filter's size, so that a client cannot make the database parse
// a megabyte of SQL. SCIM filters from real clients are a few terms deep.
const (
	maxFilterDepth = 32
	maxFilterArgs  = 1000
)

// Where compiles f into a condition over t, adding its values to args. A nil
// f yields "". Unknown attributes, operators that do not apply to an
// attribute and values of the wrong type are CodeInvalid with Field "filter".
func (d Dialect) Where(t Table, f directory.Expr, args *Args) (string, error) {
	if f == nil {
		return "", nil
	}
	c := compiler{d: d, s: t.schema(), args: args, start: len(*args)}
	return c.expr(f, c.s.attrs, false, 0)
}

type compiler struct {
	d     Dialect
	s     *schema
	args  *Args
	start int
	// narrowed is set while compiling the parts of an Or that searchAll
	// narrowed already.
	narrowed bool
}

func invalidFilter(format string, a ...any) error {
	return directory.FieldErrorf(directory.CodeInvalid, "filter", format, a...)
}

// expr compiles e, whose attributes are those of attrs: the table's, or a
// multi-valued attribute's inside Has.
func (c *compiler) expr(e directory.Expr, attrs map[directory.Attr]column, inHas bool, depth int) (string, error) {
	if depth > maxFilterDepth {
		return "", invalidFilter("the filter is nested more than %d levels deep", maxFilterDepth)
	}
	if len(*c.args)-c.start > maxFilterArgs {
		return "", invalidFilter("the filter has more than %d values", maxFilterArgs)
	}
	switch x := e.(type) {
	case nil:
		return "TRUE", nil
	case directory.Compare:
		return c.compare(x, attrs, inHas, depth)
	case *directory.Compare:
		return c.compare(*x, attrs, inHas, depth)
	case directory.And:
		return c.join([]directory.Expr(x), " AND ", "TRUE", attrs, inHas, depth)
	case directory.Or:
		if narrow, ok := c.searchAll(x, attrs); ok {
			c.narrowed = true // the parts need no lookups of their own
			or, err := c.join([]directory.Expr(x), " OR ", "FALSE", attrs, inHas, depth)
			c.narrowed = false
			if err != nil {
				return "", err
			}
			return narrow + " AND (" + or + ")", nil
		}
		return c.join([]directory.Expr(x), " OR ", "FALSE", attrs, inHas, depth)
	case directory.Not:
		return c.not(x, attrs, inHas, depth)
	case *directory.Not:
		return c.not(*x, attrs, inHas, depth)
	case directory.Has:
		return c.has(x, inHas, depth)
	case *directory.Has:
		return c.has(*x, inHas, depth)
	}
	return "", invalidFilter("unsupported filter expression %T", e)
}

func (c *compiler) join(xs []directory.Expr, op, empty string, attrs map[directory.Attr]column, inHas bool, depth int) (string, error) {
	if len(xs) == 0 {
		return empty, nil
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		s, err := c.expr(x, attrs, inHas, depth+1)
		if err != nil {
			return "", err
		}
		parts[i] = "(" + s + ")"
	}
	return strings.Join(parts, op), nil
}

func (c *compiler) not(n directory.Not, attrs map[directory.Attr]column, inHas bool, depth int) (string, error) {
	s, err := c.expr(n.X, attrs, inHas, depth+1)
	if err != nil {
		return "", err
	}
	return "NOT (" + s + ")", nil
}

func (c *compiler) has(h directory.Has, inHas bool, depth int) (string, error) {
	if inHas {
		return "", invalidFilter("%s cannot be filtered inside another multi-valued attribute", h.Attr)
	}
	mv, ok := c.s.multi[h.Attr]
	if !ok {
		return "", invalidFilter("%q is not a multi-valued attribute that can be filtered", h.Attr)
	}
	inner, err := c.expr(h.Where, mv.attrs, true, depth+1)
	if err != nil {
		return "", err
	}
	if eq, ok := h.Where.(directory.Compare); ok && c.d == SQLite && mv.in != "" && eq.Attr == mv.value && eq.Op == directory.OpEq {
		return mv.in + " IN (SELECT " + mv.key + " FROM " + mv.from + " WHERE " + inner + ")", nil
	}
	return "EXISTS (SELECT 1 FROM " + mv.from + " WHERE " + mv.link + " AND (" + inner + "))", nil
}

func (c *compiler) compare(x directory.Compare, attrs map[directory.Attr]column, inHas bool, depth int) (string, error) {
	col, ok := attrs[x.Attr]
	if !ok {
		if _, multi := c.s.multi[x.Attr]; multi && !inHas {
			// A multi-valued attribute compared as a whole means its value
			// sub-attribute, as in SCIM.
			return c.has(directory.Has{Attr: x.Attr, Where: directory.Compare{Attr: c.s.multi[x.Attr].value, Op: x.Op, Value: x.Value}}, inHas, depth)
		}
		return "", invalidFilter("unknown attribute %q", x.Attr)
	}
	switch x.Op {
	case directory.OpEq, directory.OpNe, directory.OpCo, directory.OpSw, directory.OpEw,
		directory.OpPr, directory.OpGt, directory.OpGe, directory.OpLt, directory.OpLe:
	default:
		return "", invalidFilter("unknown operator %q", x.Op)
	}
	switch col.kind {
	case kindText:
		return c.text(x, col)
	case kindTime:
		return c.time(x, col)
	case kindBool:
		return c.bool(x, col)
	case kindActive:
		return c.active(x, col)
	}
	return "", fmt.Errorf("sqlbuild: attribute %q has unknown kind %d", x.Attr, col.kind)
}

// sqlOps maps the ordering and equality operators to SQL.
var sqlOps = map[directory.Op]string{
	directory.OpEq: "=", directory.OpNe: "<>",
	directory.OpGt: ">", directory.OpGe: ">=", directory.OpLt: "<", directory.OpLe: "<=",
}

func (c *compiler) text(x directory.Compare, col column) (string, error) {
	if x.Op == directory.OpPr {
		if col.null {
			return "(" + col.expr + " IS NOT NULL AND " + col.expr + " <> '')", nil
		}
		return col.expr + " <> ''", nil
	}
	v, ok := x.Value.(string)
	if !ok {
		return "", invalidFilter("%s takes a string, not %s", x.Attr, describe(x.Value))
	}
	lhs := col.expr
	if !col.exact {
		v = strings.ToLower(v)
		if !col.folded {
			lhs = "lower(" + lhs + ")"
		}
	}
	if col.sortKeyed && v != "" {
		switch x.Op {
		case directory.OpEq, directory.OpGt, directory.OpGe, directory.OpSw:
			// No empty value is equal to, above or prefixed by a non-empty
			// v, so comparing the sort's key, where an empty value is
			// NULL, keeps the same rows, and reads the attribute's index.
			// The key is nullable: nullSafe keeps the condition two-valued
			// for NOT.
			lhs = emptyAsNull(lhs)
			col.expr, col.null = lhs, true
		}
	}
	var cond string
	switch x.Op {
	case directory.OpCo, directory.OpSw, directory.OpEw:
		cond = c.d.match(lhs, x.Op, v, col.exact, c.args)
		switch {
		case c.d == SQLite && x.Op == directory.OpSw:
			cond = "(" + prefixRange(lhs, v, c.args) + " AND " + cond + ")"
		case col.search != "" && !c.narrowed && utf8.RuneCountInString(v) >= 3:
			cond = "(" + cond + " AND " + c.narrowSearch(col.search, v) + ")"
		}
	default:
		cond = lhs + " " + sqlOps[x.Op] + " " + c.args.Add(v)
	}
	return nullSafe(col, x.Op, cond), nil
}

func (c *compiler) time(x directory.Compare, col column) (string, error) {
	if x.Op == directory.OpPr {
		if col.null {
			return col.expr + " IS NOT NULL", nil
		}
		return "TRUE", nil
	}
	op, ok := sqlOps[x.Op]
	if !ok {
		return "", invalidFilter("%s is a time; %s does not apply to it", x.Attr, x.Op)
	}
	var t time.Time
	switch v := x.Value.(type) {
	case time.Time:
		t = v
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return "", invalidFilter("%s takes an RFC 3339 time, not %q", x.Attr, v)
		}
	default:
		return "", invalidFilter("%s takes a time, not %s", x.Attr, describe(x.Value))
	}
	return nullSafe(col, x.Op, col.expr+" "+op+" "+c.args.Add(c.d.Time(t))), nil
}

func (c *compiler) bool(x directory.Compare, col column) (string, error) {
	if x.Op == directory.OpPr {
		return "TRUE", nil
	}
	v, ok := x.Value.(bool)
	if !ok {
		return "", invalidFilter("%s takes true or false, not %s", x.Attr, describe(x.Value))
	}
	switch x.Op {
	case directory.OpEq, directory.OpNe:
		return col.expr + " " + sqlOps[x.Op] + " " + c.args.Add(v), nil
	}
	return "", invalidFilter("%s is a boolean; %s does not apply to it", x.Attr, x.Op)
}

func (c *compiler) active(x directory.Compare, col column) (string, error) {
	if x.Op == directory.OpPr {
		return "TRUE", nil
	}
	v, ok := x.Value.(bool)
	if !ok {
		return "", invalidFilter("%s takes true or false, not %s", x.Attr, describe(x.Value))
	}
	switch x.Op {
	case directory.OpEq, directory.OpNe:
	default:
		return "", invalidFilter("%s is a boolean; %s does not apply to it", x.Attr, x.Op)
	}
	if v == (x.Op == directory.OpEq) {
		return col.expr + " = " + c.args.Add(string(directory.StatusActive)), nil
	}
	return col.expr + " <> " + c.args.Add(string(directory.StatusActive)), nil
}

// nullSafe makes a comparison of a nullable column two-valued, so that NOT
// around it behaves as SCIM expects: an absent value matches ne, and nothing
// else.
func nullSafe(col column, op directory.Op, cond string) string {
	if !col.null {
		return cond
	}
	if op == directory.OpNe {
		return "(" + col.expr + " IS NULL OR " + cond + ")"
	}
	return "(" + col.expr + " IS NOT NULL AND " + cond + ")"
}

// match compiles co, sw and ew. PostgreSQL's LIKE is case-sensitive;
// SQLite's folds ASCII case, which is harmless for case-insensitive
// attributes (both sides are lower-cased already) but wrong for case-exact
// ones, so SQLite uses GLOB for those.
func (d Dialect) match(lhs string, op directory.Op, v string, exact bool, args *Args) string {
	if d == SQLite && exact {
		return lhs + " GLOB " + args.Add(wrap(op, globEscape(v), "*"))
	}
	return lhs + ` LIKE ` + args.Add(wrap(op, likeEscape(v), "%")) + ` ESCAPE '\'`
}

// prefixRange is the range of the values of lhs that start with v, for
// SQLite, which compares text byte by byte: a range of the attribute's
// B-tree index (users_org_user_name_idx, …), which serves a prefix that
// thousands of users share far better than the search index, whose
// trigrams each name them all. The range holds exactly the values the
// match keeps: lhs is lower-cased where v is, and no UTF-8 byte is 0xff.
func prefixRange(lhs, v string, args *Args) string {
	return lhs + " >= " + args.Add(v) + " AND " + lhs + " < " + args.Add(v+"\xff")
}

// searchAll narrows an Or of substring matches of one text in several of
// the searched columns (the users list's search, q=) to the rows that the
// users search's index finds in any of them: one lookup of the index that
// the planner can start from, where an Or of one lookup per column left
// SQLite reading every user of the organization. The Or itself still
// decides.
func (c *compiler) searchAll(or directory.Or, attrs map[directory.Attr]column) (string, bool) {
	if len(or) < 2 {
		return "", false
	}
	var (
		text    string
		columns []string
	)
	for i, e := range or {
		x, ok := e.(directory.Compare)
		if !ok || x.Op != directory.OpCo {
			return "", false
		}
		v, ok := x.Value.(string)
		col, known := attrs[x.Attr]
		if !ok || !known || col.search == "" || (i > 0 && strings.ToLower(v) != text) {
			return "", false
		}
		text = strings.ToLower(v)
		columns = append(columns, col.search)
	}
	if utf8.RuneCountInString(text) < 3 {
		return "", false
	}
	return c.narrowSearch("{"+strings.Join(columns, " ")+"}", text), true
}

// searchText is the expression of PostgreSQL's users search index,
// users_search_idx (migration 0150): the searched columns, lower-cased,
// joined by spaces. It must read exactly as the index's expression for the
// planner to use the index.
const searchText = `(lower(u.given_name) || ' ' || lower(u.family_name) || ' ' || u.email_lower || ' ' || u.user_name_lower)`

// narrowSearch is a condition that holds for every user one of whose
// searched columns holds the lower-cased v, and that the users search's
// index serves: on SQLite a lookup of users_search in columns (an FTS5
// column filter); on PostgreSQL the trigram index's LIKE over all the
// searched columns at once. It is a superset: the condition on the column
// itself stays and decides.
func (c *compiler) narrowSearch(columns, v string) string {
	if c.d == SQLite {
		return "u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH " + c.args.Add(searchPhrase(columns, v)) + ")"
	}
	return searchText + ` LIKE ` + c.args.Add("%"+likeEscape(v)+"%") + ` ESCAPE '\'`
}

// searchPhrase is the FTS5 query for the rows of users_search whose column
// holds v: a phrase, which the trigram tokenizer matches as a substring
// (folding case), of v with its double quotes doubled. The index finds a
// superset of the rows that lower(column) LIKE '%v%' (or 'v%', '%v') keeps,
// since the tokenizer folds case at least as far as lower() and LIKE do;
// the LIKE stays, so the result is the LIKE's alone.
func searchPhrase(column, v string) string {
	return column + ` : "` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

// wrap puts the wildcard w where op needs it around the escaped value v.
func wrap(op directory.Op, v, w string) string {
	switch op {
	case directory.OpSw:
		return v + w
	case directory.OpEw:
		return w + v
	}
	return w + v + w
}

// The escapers of likeEscape and globEscape, built once.
var (
	likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	globEscaper = strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`)
)

// likeEscape quotes LIKE's wildcards with the escape character '\'.
func likeEscape(s string) string {
	return likeEscaper.Replace(s)
}

// globEscape quotes GLOB's wildcards in brackets (GLOB has no escape
// character).
func globEscape(s string) string {
	return globEscaper.Replace(s)
}

func describe(v any) string {
	if v == nil {
		return "nothing"
	}
	return fmt.Sprintf("a %T", v)
}
