package scim

import (
	"sort"
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/roster/roster/scim/internal/filter"
)

// The patch engine applies RFC 7644 PATCH operations to a resource's
// attribute map, resolving paths against the resource's schemas. It takes
// what Entra and Okta send: capitalised ops, "True"/"False" strings,
// pathless values whose keys are dotted paths or schema URNs, a single-valued
// complex value sent as a one-element list, and a filtered add or replace
// on an element that does not exist yet (which creates it). Attributes the
// map does not hold (a group's members, a password) go to a hook.

// operation is one parsed PATCH operation.
type operation struct {
	op    string       // add, remove or replace
	path  *filter.Path // nil: the value names the attributes
	value any          // decoded with json.Number
}

// maxPatchOperations bounds one PATCH request.
const maxPatchOperations = 1000

// parsePatch reads a PatchOp message.
func parsePatch(body []byte) ([]operation, error) {
	msg, err := readPatchMessage(body)
	if err != nil {
		return nil, invalidSyntax("the body is not a PatchOp message: %v", err)
	}
	if !msg.listsURN {
		return nil, invalidSyntax("schemas must list %s", patchOpURN)
	}
	if len(msg.operations) == 0 {
		return nil, invalidValue("Operations must hold at least one operation")
	}
	if len(msg.operations) > maxPatchOperations {
		return nil, invalidValue("at most %d operations per request", maxPatchOperations)
	}
	ops := make([]operation, 0, len(msg.operations))
	for i, o := range msg.operations {
		op := operation{op: patchOpName(o.op)}
		if op.op == "" {
			return nil, invalidSyntax("operation %d: op must be add, remove or replace, not %q", i+1, o.op)
		}
		if o.path != "" {
			p, err := filter.ParsePath(o.path)
			if err != nil {
				return nil, invalidPath("operation %d: path %q: %v", i+1, o.path, err)
			}
			op.path = &p
		}
		if o.decoded {
			op.value = o.value
		} else if len(o.raw) > 0 {
			if err := decodeJSON(o.raw, &op.value); err != nil {
				return nil, invalidSyntax("operation %d: value: %v", i+1, err)
			}
		}
		switch {
		case op.op == "remove" && op.path == nil:
			return nil, noTarget("operation %d: remove needs a path", i+1)
		case op.op != "remove" && op.path == nil && op.value == nil:
			return nil, invalidValue("operation %d: %s needs a value", i+1, op.op)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// patchOpName returns op in lower case if it is add, remove or replace,
// in any case (Entra sends "Replace"), else "": the constant, where
// lowering "Replace" would allocate a copy.
func patchOpName(op string) string {
	for _, name := range []string{"add", "remove", "replace"} {
		if strings.EqualFold(op, name) {
			return name
		}
	}
	return ""
}

// decodeJSON decodes keeping numbers as json.Number. Into an any, what
// PATCH values are, it needs no decoder of its own (see decodeAny: a
// decoder's buffer was a fifth of the memory a PATCH allocated).
func decodeJSON(data []byte, v *any) (err error) {
	*v, err = decodeAny(data)
	return err
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// patcher applies operations to one resource.
type patcher struct {
	rs  *resourceSchema
	res map[string]any
	// hook takes the operations on the core attribute hookAttr (its
	// canonical name), which is not kept in res.
	hookAttr string
	hook     func(op string, t target, value any) error
	// kept names the core attributes, besides required ones, that always
	// hold a value: removing them is refused rather than ignored (a user
	// is active or not; "no value" would silently mean one of the two).
	kept map[string]bool
}

// target is a resolved path.
type target struct {
	schema *schema.Schema // where the attribute is defined
	attr   schema.CoreAttribute
	sub    *schema.CoreAttribute // nil: the attribute itself
	filter filter.Expr           // selects elements of a multi-valued attribute
}

func (p *patcher) apply(ops []operation) error {
	for _, o := range ops {
		var err error
		if o.path == nil {
			obj, ok := o.value.(map[string]any)
			if !ok {
				return invalidValue("a %s without a path needs an object value, not %s", o.op, describe(o.value))
			}
			err = p.applyObject(o.op, nil, obj)
		} else {
			var t target
			if t, err = p.resolve(*o.path, nil); err == nil {
				err = p.applyTarget(o.op, t, o.value, true)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// applyObject applies a pathless add or replace: each key names an
// attribute (a path, possibly dotted or URN-prefixed) or, as a whole, an
// extension schema whose attributes the value holds. Keys naming nothing
// Roster stores, or read-only attributes (Okta sends the id), are ignored,
// as unknown attributes of a POST are.
func (p *patcher) applyObject(op string, in *schema.Schema, obj map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	// Parents before their sub-attributes: "name" before "name.givenName".
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		if in == nil {
			if s := p.rs.schemaFor(k); s != nil && s != &p.rs.core {
				ext, ok := v.(map[string]any)
				if !ok {
					return invalidValue("%s must be an object", k)
				}
				if err := p.applyObject(op, s, ext); err != nil {
					return err
				}
				continue
			}
		}
		path, err := filter.ParsePath(k)
		if err != nil || path.Filter != nil {
			return invalidPath("%q is not an attribute path", k)
		}
		t, err := p.resolve(path, in)
		if err != nil {
			continue
		}
		if err := p.applyTarget(op, t, v, false); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds the attribute a path names, in schema `in` if given.
func (p *patcher) resolve(path filter.Path, in *schema.Schema) (target, error) {
	a := path.Attr
	var t target
	var ok bool
	switch {
	case in != nil && a.URI != "":
		return t, invalidPath("%s: an attribute inside %s cannot name another schema", a, in.ID)
	case in != nil:
		t.schema = in
		t.attr, ok = in.Attributes.ContainsAttribute(a.Name)
	default:
		t.schema, t.attr, ok = p.rs.resolve(a.URI, a.Name)
	}
	if !ok {
		return t, invalidPath("no attribute %s", a)
	}
	if a.Sub != "" {
		sub, ok := t.attr.SubAttributes().ContainsAttribute(a.Sub)
		if !ok {
			return t, invalidPath("%s has no sub-attribute %s", t.attr.Name(), a.Sub)
		}
		t.sub = &sub
	}
	if path.Filter != nil {
		if !t.attr.MultiValued() {
			return t, invalidPath("%s is single-valued; only multi-valued attributes take a filter", t.attr.Name())
		}
		if err := checkElementFilter(path.Filter, t.attr); err != nil {
			return t, err
		}
		t.filter = path.Filter
	}
	return t, nil
}

// checkElementFilter checks that a value filter names sub-attributes of attr.
func checkElementFilter(e filter.Expr, attr schema.CoreAttribute) error {
	switch e := e.(type) {
	case filter.And:
		for _, x := range e {
			if err := checkElementFilter(x, attr); err != nil {
				return err
			}
		}
	case filter.Or:
		for _, x := range e {
			if err := checkElementFilter(x, attr); err != nil {
				return err
			}
		}
	case filter.Not:
		return checkElementFilter(e.X, attr)
	case filter.Compare:
		if _, ok := attr.SubAttributes().ContainsAttribute(e.Attr.Name); !ok {
			return invalidFilter("%s has no sub-attribute %s", attr.Name(), e.Attr.Name)
		}
	default:
		return invalidFilter("value filters do not nest")
	}
	return nil
}

// applyTarget applies one operation to a resolved attribute. explicit is
// false for attributes named inside a pathless value.
func (p *patcher) applyTarget(op string, t target, value any, explicit bool) error {
	if t.attr.Mutability() == "readOnly" {
		if explicit {
			return mutability("%s is read-only", t.attr.Name())
		}
		return nil
	}
	if t.sub != nil && t.sub.Mutability() == "readOnly" {
		// Derived sub-attributes (name.formatted, members.display) are
		// echoed back by clients; writing them changes nothing. Removing
		// one by name cannot work, and saying so beats a silent success.
		if explicit && op == "remove" {
			return mutability("%s.%s is read-only: it is derived from the other sub-attributes; remove those instead", t.attr.Name(), t.sub.Name())
		}
		return nil
	}
	if (op == "remove" || value == nil) && t.sub == nil && t.schema == &p.rs.core && (t.attr.Required() || p.kept[t.attr.Name()]) {
		return mutability("%s cannot be removed: it always has a value; replace it instead", t.attr.Name())
	}
	if p.hook != nil && t.attr.Name() == p.hookAttr && t.schema == &p.rs.core {
		return p.hook(op, t, value)
	}
	if op != "remove" && value == nil {
		// A null value clears the attribute, as PUT does.
		op = "remove"
	}
	container := p.res
	if t.schema != &p.rs.core {
		ext, _ := p.res[t.schema.ID].(map[string]any)
		if ext == nil {
			if op == "remove" {
				return nil
			}
			ext = map[string]any{}
			p.res[t.schema.ID] = ext
		}
		container = ext
	}
	if t.attr.MultiValued() {
		return patchMulti(container, op, t, value)
	}
	return patchSingle(container, op, t, value)
}

// patchSingle changes a single-valued attribute or one of its
// sub-attributes.
func patchSingle(m map[string]any, op string, t target, value any) error {
	name := t.attr.Name()
	if t.sub == nil {
		if op == "remove" {
			delete(m, name)
			return nil
		}
		v, err := coerce(t.attr, value, name)
		if err != nil {
			return err
		}
		if old, ok := m[name].(map[string]any); ok {
			// Complex values merge: sub-attributes not given are kept.
			merged := make(map[string]any, len(old))
			for k, x := range old {
				merged[k] = x
			}
			for k, x := range v.(map[string]any) {
				merged[k] = x
			}
			v = merged
		}
		m[name] = v
		return nil
	}
	parent, _ := m[name].(map[string]any)
	if op == "remove" {
		if parent != nil {
			delete(parent, t.sub.Name())
			if len(parent) == 0 {
				delete(m, name)
			}
		}
		return nil
	}
	v, err := coerce(*t.sub, value, name+"."+t.sub.Name())
	if err != nil {
		return err
	}
	if parent == nil {
		parent = map[string]any{}
		m[name] = parent
	}
	parent[t.sub.Name()] = v
	return nil
}

// patchMulti changes a multi-valued attribute: the whole list, elements a
// filter selects, or a sub-attribute of those elements.
func patchMulti(m map[string]any, op string, t target, value any) error {
	name := t.attr.Name()
	list, _ := m[name].([]any)
	var touched []int // elements this operation wrote
	switch {
	case t.filter == nil && t.sub == nil:
		switch op {
		case "remove":
			if value == nil {
				list = nil
				break
			}
			// Entra removes members by value: {"path":"members","value":[{"value":"id"}]}.
			gone, err := coerceList(t.attr, value)
			if err != nil {
				return err
			}
			list = removeElements(list, gone)
		case "replace":
			vals, err := coerceList(t.attr, value)
			if err != nil {
				return err
			}
			list = vals
			for i := range list {
				touched = append(touched, i)
			}
		case "add":
			vals, err := coerceList(t.attr, value)
			if err != nil {
				return err
			}
			for _, v := range vals {
				if i := indexOf(list, v); i >= 0 {
					touched = append(touched, i)
					continue
				}
				list = append(list, v)
				touched = append(touched, len(list)-1)
			}
		}
	default:
		matches := make([]int, 0, len(list))
		for i, el := range list {
			if t.filter == nil || matchElement(t.filter, t.attr, el) {
				matches = append(matches, i)
			}
		}
		switch {
		case op == "remove" && t.sub == nil:
			kept := list[:0:0]
			for i, el := range list {
				if !contains(matches, i) {
					kept = append(kept, el)
				}
			}
			list = kept
		case op == "remove":
			for _, i := range matches {
				if el, ok := list[i].(map[string]any); ok {
					delete(el, t.sub.Name())
				}
			}
		default:
			if len(matches) == 0 {
				// Entra replaces emails[type eq "work"].value on a user
				// with no work email: the element is created, with what
				// the filter says of it.
				el, ok := elementFrom(t.filter, t.attr)
				if !ok {
					return noTarget("no element of %s matches the filter", name)
				}
				list = append(list, el)
				matches = []int{len(list) - 1}
				op = "add"
			}
			for _, i := range matches {
				if err := writeElement(list, i, op, t, value); err != nil {
					return err
				}
			}
			touched = matches
		}
	}
	list = onePrimary(list, touched)
	if len(list) == 0 {
		delete(m, name)
	} else {
		m[name] = list
	}
	return nil
}

// writeElement sets a selected element, or its sub-attribute.
func writeElement(list []any, i int, op string, t target, value any) error {
	el, _ := list[i].(map[string]any)
	if el == nil {
		el = map[string]any{}
	}
	if t.sub != nil {
		v, err := coerce(*t.sub, value, t.attr.Name()+"."+t.sub.Name())
		if err != nil {
			return err
		}
		el[t.sub.Name()] = v
		list[i] = el
		return nil
	}
	v, err := coerce(t.attr, value, t.attr.Name())
	if err != nil {
		return err
	}
	obj := v.(map[string]any)
	if op == "add" {
		for k, x := range obj {
			el[k] = x
		}
		obj = el
	}
	list[i] = obj
	return nil
}

// onePrimary keeps at most one element marked primary: if an element this
// operation wrote is primary, the others stop being.
func onePrimary(list []any, touched []int) []any {
	winner := -1
	for _, i := range touched {
		if el, ok := list[i].(map[string]any); ok && el["primary"] == true {
			winner = i
		}
	}
	if winner < 0 {
		return list
	}
	for i, x := range list {
		if el, ok := x.(map[string]any); ok && i != winner && el["primary"] == true {
			delete(el, "primary")
		}
	}
	return list
}
