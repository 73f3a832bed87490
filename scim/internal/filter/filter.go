// Package filter parses SCIM filters (RFC 7644 section 3.4.2.2) and PATCH
// paths (section 3.5.2) into a small syntax tree.
//
// Roster parses filters itself rather than with the scim2/filter-parser that
// elimity-com/scim uses, because that parser rejects requests real clients
// send: Microsoft Entra's `emails[type eq "work"].value eq "x"`, and value
// filters with more than two terms or with grouping inside the brackets.
// The tree here carries no schema knowledge; the scim package resolves
// attribute names and types when it compiles a tree into a store query or
// applies a PATCH.
package filter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Expr is a parsed filter: Compare, And, Or, Not or ValuePath.
type Expr interface{ isExpr() }

// AttrPath names an attribute: [URI ":"] Name ["." Sub]. URI is empty when
// the filter did not name a schema.
type AttrPath struct {
	URI  string
	Name string
	Sub  string
}

func (p AttrPath) String() string {
	s := p.Name
	if p.URI != "" {
		s = p.URI + ":" + s
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// Compare tests one attribute. Op is lower case. Value is a string, a
// json.Number, a bool or nil (for "pr", and for the literal null).
type Compare struct {
	Attr  AttrPath
	Op    string
	Value any
}

// And matches when every operand matches.
type And []Expr

// Or matches when some operand matches.
type Or []Expr

// Not matches when X does not.
type Not struct{ X Expr }

// ValuePath matches when some element of the multi-valued attribute Attr
// matches Filter, whose attribute paths name sub-attributes of the element
// (Name only).
type ValuePath struct {
	Attr   AttrPath
	Filter Expr
}

func (Compare) isExpr()   {}
func (And) isExpr()       {}
func (Or) isExpr()        {}
func (Not) isExpr()       {}
func (ValuePath) isExpr() {}

// Path is the target of a PATCH operation: an attribute, optionally a
// filter selecting elements of a multi-valued attribute, and a
// sub-attribute (Attr.Sub, whether written `name.givenName` or
// `emails[type eq "work"].value`).
type Path struct {
	Attr   AttrPath
	Filter Expr
}

// Operators lists the comparison operators.
var Operators = []string{"eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"}

// Limits that keep a hostile filter from costing more than a useful one.
const (
	MaxLength = 8 << 10 // bytes of filter text
	maxDepth  = 32      // nested groups, negations and brackets
)

// Error is a syntax error. Its message is safe to show to the client.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Pos) }

// Parse parses a filter.
func Parse(s string) (Expr, error) {
	p, err := newParser(s)
	if err != nil {
		return nil, err
	}
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errorf(t, "unexpected %s", t)
	}
	return e, nil
}

// ParsePath parses a PATCH path.
func ParsePath(s string) (Path, error) {
	p, err := newParser(s)
	if err != nil {
		return Path{}, err
	}
	t := p.next()
	if t.kind != tokWord {
		return Path{}, p.errorf(t, "expected an attribute, got %s", t)
	}
	attr, err := p.attrPath(t)
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek().kind == tokLBrack {
		if attr.Sub != "" {
			return Path{}, p.errorf(p.peek(), "a value filter must follow the attribute, not %s", attr)
		}
		p.next()
		if path.Filter, err = p.valueFilter(); err != nil {
			return Path{}, err
		}
		if t := p.peek(); t.kind == tokWord && strings.HasPrefix(t.text, ".") {
			p.next()
			if path.Attr.Sub, err = p.subAttr(t); err != nil {
				return Path{}, err
			}
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		return Path{}, p.errorf(t, "unexpected %s", t)
	}
	return path, nil
}

type parser struct {
	toks  []token
	pos   int
	depth int
	// tokRoom backs toks for the usual filter or path, so that lexing
	// it allocates nothing besides the parser.
	tokRoom [8]token
}

func newParser(s string) (*parser, error) {
	if len(s) > MaxLength {
		return nil, &Error{Pos: MaxLength, Msg: fmt.Sprintf("longer than %d bytes", MaxLength)}
	}
	p := &parser{}
	toks, err := lex(s, p.tokRoom[:0])
	if err != nil {
		return nil, err
	}
	p.toks = toks
	return p, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &Error{Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf(t, "nested more than %d levels deep", maxDepth)
	}
	return nil
}

// parseOr parses `and-expr ("or" and-expr)*`; inValue is set inside the
// brackets of a value path, where attribute names are sub-attributes and
// brackets may not nest.
func (p *parser) parseOr(inValue bool) (Expr, error) {
	first, err := p.parseAnd(inValue)
	if err != nil {
		return nil, err
	}
	or := Or{first}
	for p.keyword("or") {
		e, err := p.parseAnd(inValue)
		if err != nil {
			return nil, err
		}
		or = append(or, e)
	}
	if len(or) == 1 {
		return first, nil
	}
	return or, nil
}

func (p *parser) parseAnd(inValue bool) (Expr, error) {
	first, err := p.parseTerm(inValue)
	if err != nil {
		return nil, err
	}
	and := And{first}
	for p.keyword("and") {
		e, err := p.parseTerm(inValue)
		if err != nil {
			return nil, err
		}
		and = append(and, e)
	}
	if len(and) == 1 {
		return first, nil
	}
	return and, nil
}

// keyword consumes the next token if it is the word kw (any case).
func (p *parser) keyword(kw string) bool {
	if t := p.peek(); t.kind == tokWord && strings.EqualFold(t.text, kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) parseTerm(inValue bool) (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		return p.group(t, inValue)
	case tokWord:
		if strings.EqualFold(t.text, "not") && p.peek().kind == tokLParen {
			open := p.next()
			e, err := p.group(open, inValue)
			if err != nil {
				return nil, err
			}
			return Not{X: e}, nil
		}
		return p.comparison(t, inValue)
	}
	return nil, p.errorf(t, "expected an attribute, ( or not, got %s", t)
}

// group parses the rest of `"(" filter ")"` after the opening parenthesis.
func (p *parser) group(open token, inValue bool) (Expr, error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	e, err := p.parseOr(inValue)
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRParen {
		return nil, p.errorf(t, "expected ), got %s", t)
	}
	p.depth--
	return e, nil
}

// comparison parses `attrPath op [value]` or `attrPath "[" valFilter "]"`,
// and Entra's `attrPath "[" valFilter "]" "." subAttr op [value]`, which
// means the same as `attrPath "[" valFilter and subAttr op value "]"`.
func (p *parser) comparison(t token, inValue bool) (Expr, error) {
	attr, err := p.attrPath(t)
	if err != nil {
		return nil, err
	}
	if inValue && (attr.URI != "" || attr.Sub != "") {
		return nil, p.errorf(t, "%s is not a sub-attribute", attr)
	}
	if p.peek().kind == tokLBrack {
		if inValue {
			return nil, p.errorf(p.peek(), "value filters do not nest")
		}
		if attr.Sub != "" {
			return nil, p.errorf(p.peek(), "a value filter must follow the attribute, not %s", attr)
		}
		p.next()
		inner, err := p.valueFilter()
		if err != nil {
			return nil, err
		}
		vp := ValuePath{Attr: attr, Filter: inner}
		if st := p.peek(); st.kind == tokWord && strings.HasPrefix(st.text, ".") {
			p.next()
			sub, err := p.subAttr(st)
			if err != nil {
				return nil, err
			}
			cmp, err := p.operation(AttrPath{Name: sub})
			if err != nil {
				return nil, err
			}
			vp.Filter = And{inner, cmp}
		}
		return vp, nil
	}
	return p.operation(attr)
}

// valueFilter parses the rest of `"[" valFilter "]"`.
func (p *parser) valueFilter() (Expr, error) {
	open := p.toks[p.pos-1]
	if err := p.enter(open); err != nil {
		return nil, err
	}
	e, err := p.parseOr(true)
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRBrack {
		return nil, p.errorf(t, "expected ], got %s", t)
	}
	p.depth--
	return e, nil
}

func (p *parser) subAttr(t token) (string, error) {
	name := t.text[1:]
	if !validName(name) {
		return "", p.errorf(t, "%q is not an attribute name", name)
	}
	return name, nil
}

// operation parses `op [value]` after an attribute path.
func (p *parser) operation(attr AttrPath) (Expr, error) {
	t := p.next()
	if t.kind != tokWord {
		return nil, p.errorf(t, "expected an operator after %s, got %s", attr, t)
	}
	op := strings.ToLower(t.text)
	if !isOperator(op) {
		return nil, p.errorf(t, "%q is not an operator", t.text)
	}
	if op == "pr" {
		return Compare{Attr: attr, Op: op}, nil
	}
	v := p.next()
	switch v.kind {
	case tokString:
		return Compare{Attr: attr, Op: op, Value: v.text}, nil
	case tokNumber:
		return Compare{Attr: attr, Op: op, Value: json.Number(v.text)}, nil
	case tokWord:
		switch strings.ToLower(v.text) {
		case "true":
			return Compare{Attr: attr, Op: op, Value: true}, nil
		case "false":
			return Compare{Attr: attr, Op: op, Value: false}, nil
		case "null":
			return Compare{Attr: attr, Op: op, Value: nil}, nil
		}
	}
	return nil, p.errorf(v, "expected a value (a quoted string, number, true, false or null) after %s %s, got %s", attr, op, v)
}

func isOperator(op string) bool {
	for _, o := range Operators {
		if o == op {
			return true
		}
	}
	return false
}

// attrPath splits a word into schema URI, attribute and sub-attribute. The
// URI is everything up to the last colon of a word starting with "urn:".
func (p *parser) attrPath(t token) (AttrPath, error) {
	var a AttrPath
	rest := t.text
	if len(rest) > 4 && strings.EqualFold(rest[:4], "urn:") {
		i := strings.LastIndexByte(rest, ':')
		a.URI, rest = rest[:i], rest[i+1:]
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !validName(name) || (dotted && !validName(sub)) {
		return AttrPath{}, p.errorf(t, "%q is not an attribute path", t.text)
	}
	a.Name, a.Sub = name, sub
	return a, nil
}

// validName reports whether s is an ATTRNAME of RFC 7643 section 2.1, or
// "$ref".
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
