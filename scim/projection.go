package scim

import (
	"strings"

	"github.com/roster/roster/scim/internal/filter"
)

// selection is what a request's attributes and excludedAttributes ask for
// (RFC 7644 section 3.9). Resources are rendered in full and then trimmed,
// except that attributes costing a query of their own (a group's members, a
// user's groups) are loaded only when the selection returns them.
type selection struct {
	include *attrSet // nil: the attributes returned by default
	exclude *attrSet
}

// attrSet is a tree of lower-cased attribute names: core attributes and
// extension URNs at the top, sub-attributes (and extension attributes)
// below.
type attrSet struct {
	all  bool // the whole attribute is named
	subs map[string]*attrSet
}

// alwaysReturned are never trimmed.
var alwaysReturned = map[string]bool{"id": true, "schemas": true}

func newSelection(attributes, excluded []string, rs *resourceSchema) selection {
	return selection{include: newAttrSet(attributes, rs), exclude: newAttrSet(excluded, rs)}
}

// splitList splits a comma-separated query parameter.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func newAttrSet(paths []string, rs *resourceSchema) *attrSet {
	if len(paths) == 0 {
		return nil
	}
	root := &attrSet{}
	for _, p := range paths {
		if names := selectorPath(p, rs); names != nil {
			root.add(names)
		}
	}
	return root
}

// selectorPath turns an attribute path into its names in the tree, or nil
// for a path naming nothing Roster serves (RFC 7644 lets such names be
// ignored).
func selectorPath(p string, rs *resourceSchema) []string {
	if s := rs.schemaFor(p); s != nil && s != &rs.core {
		return []string{strings.ToLower(s.ID)}
	}
	path, err := filter.ParsePath(p)
	if err != nil || path.Filter != nil {
		return nil
	}
	a := path.Attr
	var names []string
	switch {
	case a.URI != "" && !strings.EqualFold(a.URI, rs.core.ID):
		s := rs.schemaFor(a.URI)
		if s == nil {
			return nil
		}
		names = []string{strings.ToLower(s.ID)}
	case a.URI == "":
		// A bare extension attribute ("employeeNumber") is found in its
		// extension; everything else is a core or common attribute.
		if s, _, ok := rs.resolve("", a.Name); ok && s != &rs.core {
			names = []string{strings.ToLower(s.ID)}
		}
	}
	names = append(names, strings.ToLower(a.Name))
	if a.Sub != "" {
		names = append(names, strings.ToLower(a.Sub))
	}
	return names
}

func (s *attrSet) add(names []string) {
	if s.all {
		return
	}
	if len(names) == 0 {
		s.all, s.subs = true, nil
		return
	}
	if s.subs == nil {
		s.subs = map[string]*attrSet{}
	}
	child := s.subs[names[0]]
	if child == nil {
		child = &attrSet{}
		s.subs[names[0]] = child
	}
	child.add(names[1:])
}

func (s *attrSet) child(name string) *attrSet {
	if s == nil {
		return nil
	}
	return s.subs[strings.ToLower(name)]
}

// requested reports whether attributes names the attribute (for those
// returned only on request).
func (sel selection) requested(name string) bool { return sel.include.child(name) != nil }

// returns reports whether the attribute, returned by default, would be
// returned (in part or whole).
func (sel selection) returns(name string) bool {
	if sel.include != nil && sel.include.child(name) == nil {
		return false
	}
	ex := sel.exclude.child(name)
	return ex == nil || !ex.all
}

// wholeAttribute reports whether the attribute is returned whole, none of
// its sub-attributes trimmed.
func (sel selection) wholeAttribute(name string) bool {
	if sel.include != nil {
		if in := sel.include.child(name); in == nil || !in.all {
			return false
		}
	}
	return sel.exclude.child(name) == nil
}

// apply trims a rendered resource.
func (sel selection) apply(res map[string]any) map[string]any {
	if sel.include != nil {
		out := make(map[string]any, len(sel.include.subs)+len(alwaysReturned))
		for k, v := range res {
			if alwaysReturned[k] {
				out[k] = v
			} else if node := sel.include.child(k); node != nil {
				out[k] = node.keep(v)
			}
		}
		res = out
	}
	if sel.exclude != nil {
		for k, v := range res {
			if node := sel.exclude.child(k); node != nil && !alwaysReturned[k] {
				if node.all {
					delete(res, k)
				} else {
					res[k] = node.remove(v)
				}
			}
		}
	}
	return res
}

// keep returns the parts of v the set names.
func (s *attrSet) keep(v any) any {
	if s.all {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if node := s.child(k); node != nil {
				out[k] = node.keep(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = s.keep(x)
		}
		return out
	}
	return v
}

// remove returns v without the parts the set names.
func (s *attrSet) remove(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			node := s.child(k)
			switch {
			case node == nil:
				out[k] = x
			case !node.all:
				out[k] = node.remove(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = s.remove(x)
		}
		return out
	}
	return v
}
