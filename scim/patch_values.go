package scim

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim/schema"

	"github.com/roster/roster/scim/internal/filter"
)

// Values for the patch engine: matching elements of multi-valued
// attributes against value filters in memory, and coercing what clients
// send into the canonical form the attribute maps hold.

// elementFrom builds the element a filter of equalities describes (an
// empty one for no filter), for writes that match no element.
func elementFrom(e filter.Expr, attr schema.CoreAttribute) (map[string]any, bool) {
	el := map[string]any{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch e := e.(type) {
		case filter.And:
			for _, x := range e {
				if !walk(x) {
					return false
				}
			}
			return true
		case filter.Compare:
			sub, ok := attr.SubAttributes().ContainsAttribute(e.Attr.Name)
			if !ok || e.Op != "eq" || e.Value == nil {
				return false
			}
			v, err := coerceOne(sub, e.Value, attr.Name()+"."+sub.Name())
			if err != nil {
				return false
			}
			el[sub.Name()] = v
			return true
		}
		return false
	}
	if e != nil && !walk(e) {
		return nil, false
	}
	return el, true
}

// matchElement evaluates a value filter on one element of attr.
func matchElement(e filter.Expr, attr schema.CoreAttribute, el any) bool {
	obj, _ := el.(map[string]any)
	switch e := e.(type) {
	case filter.And:
		for _, x := range e {
			if !matchElement(x, attr, el) {
				return false
			}
		}
		return true
	case filter.Or:
		for _, x := range e {
			if matchElement(x, attr, el) {
				return true
			}
		}
		return false
	case filter.Not:
		return !matchElement(e.X, attr, el)
	case filter.Compare:
		sub, ok := attr.SubAttributes().ContainsAttribute(e.Attr.Name)
		if !ok {
			return false
		}
		return compareValue(lookup(obj, sub.Name()), e.Op, e.Value, sub.CaseExact())
	}
	return false
}

// compareValue applies a filter operator to an attribute value in memory.
func compareValue(have any, op string, want any, caseExact bool) bool {
	if op == "pr" {
		return have != nil && have != ""
	}
	if want == nil {
		return (op == "eq") == (have == nil || have == "")
	}
	switch h := have.(type) {
	case string:
		w, ok := want.(string)
		if !ok {
			return false
		}
		if !caseExact {
			h, w = strings.ToLower(h), strings.ToLower(w)
		}
		switch op {
		case "eq":
			return h == w
		case "ne":
			return h != w
		case "co":
			return strings.Contains(h, w)
		case "sw":
			return strings.HasPrefix(h, w)
		case "ew":
			return strings.HasSuffix(h, w)
		case "gt":
			return h > w
		case "ge":
			return h >= w
		case "lt":
			return h < w
		case "le":
			return h <= w
		}
	case bool:
		w, ok := boolValue(want)
		switch {
		case !ok:
			return false
		case op == "eq":
			return h == w
		case op == "ne":
			return h != w
		}
	case nil:
		return op == "ne"
	}
	return false
}

// removeElements drops the elements of list equal to one of gone: by
// "value" for complex elements that have one, else entirely.
func removeElements(list, gone []any) []any {
	kept := list[:0:0]
	for _, el := range list {
		if indexOf(gone, el) < 0 {
			kept = append(kept, el)
		}
	}
	return kept
}

// indexOf finds an element equal to v: the same "value" when both have one
// (so that re-adding an email does not duplicate it), else deeply equal.
func indexOf(list []any, v any) int {
	vm, _ := v.(map[string]any)
	for i, el := range list {
		em, _ := el.(map[string]any)
		if vm != nil && em != nil && vm["value"] != nil {
			if reflect.DeepEqual(vm["value"], em["value"]) {
				return i
			}
			continue
		}
		if reflect.DeepEqual(el, v) {
			return i
		}
	}
	return -1
}

func contains(list []int, x int) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// coerceList coerces a multi-valued attribute's value: a list, or one
// element.
func coerceList(attr schema.CoreAttribute, value any) ([]any, error) {
	list, ok := value.([]any)
	if !ok {
		list = []any{value}
	}
	out := make([]any, 0, len(list))
	for _, el := range list {
		if el == nil {
			continue
		}
		v, err := coerceOne(attr, el, attr.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// coerce checks a value against a single-valued attribute (or one element
// of a multi-valued one) and converts it to the canonical form: canonical
// sub-attribute names, booleans from "True"/"False", numbers as float64.
func coerce(attr schema.CoreAttribute, value any, name string) (any, error) {
	if list, ok := value.([]any); ok && !attr.MultiValued() && attr.AttributeType() == "complex" && len(list) == 1 {
		// Entra sends the manager as a one-element list.
		value = list[0]
	}
	return coerceOne(attr, value, name)
}

func coerceOne(attr schema.CoreAttribute, value any, name string) (any, error) {
	switch attr.AttributeType() {
	case "string", "reference", "binary":
		if s, ok := value.(string); ok {
			return s, nil
		}
	case "boolean":
		if b, ok := boolValue(value); ok {
			return b, nil
		}
	case "decimal", "integer":
		var s string
		switch v := value.(type) {
		case json.Number:
			s = v.String()
		case float64:
			return v, nil
		case string:
			s = v
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	case "dateTime":
		if s, ok := value.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return s, nil
			}
		}
	case "complex":
		switch v := value.(type) {
		case string:
			// A bare id for a complex reference such as the manager.
			if sub, ok := attr.SubAttributes().ContainsAttribute("value"); ok {
				return map[string]any{sub.Name(): v}, nil
			}
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				sub, ok := attr.SubAttributes().ContainsAttribute(k)
				if !ok || x == nil || sub.Mutability() == "readOnly" {
					continue
				}
				cv, err := coerceOne(sub, x, name+"."+sub.Name())
				if err != nil {
					return nil, err
				}
				out[sub.Name()] = cv
			}
			return out, nil
		}
	}
	return nil, invalidValue("%s must be %s, not %s", name, typeName(attr), describe(value))
}

func typeName(attr schema.CoreAttribute) string {
	switch attr.AttributeType() {
	case "boolean":
		return "true or false"
	case "decimal", "integer":
		return "a number"
	case "dateTime":
		return "a date and time (RFC 3339)"
	case "complex":
		return "an object"
	}
	return "a string"
}
