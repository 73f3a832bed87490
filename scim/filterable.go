package scim

import "github.com/roster/roster/internal/directory"

// RFC 7643 gives attributes no "filterable" characteristic, so /Schemas
// adds one, "filterable": false, to each attribute Roster cannot filter
// on; clients ignore characteristics they do not know. The attributes it
// does not mark are filterable, on every store.
const filterableKey = "filterable"

// noteUnfilterable marks, in a /Schemas resource, the attributes (or, for
// complex ones, sub-attributes) that a filter cannot name: those the
// resource type's query table cannot compile. Marking from the compiler
// keeps the schema and the filters from drifting apart.
func noteUnfilterable(s map[string]any) {
	id, _ := s["id"].(string)
	var t *queryTable
	switch id {
	case userURN, enterpriseURN, customURN, directory.SchemaRoster:
		t = &userQueries
	case groupURN:
		t = &groupQueries
	default:
		return
	}
	attrs, _ := s["attributes"].([]any)
	for _, a := range attrs {
		am, _ := a.(map[string]any)
		name, _ := am["name"].(string)
		subs, _ := am["subAttributes"].([]any)
		if len(subs) == 0 {
			markIfUnfilterable(am, id+":"+name, t)
			continue
		}
		for _, sub := range subs {
			sm, _ := sub.(map[string]any)
			subName, _ := sm["name"].(string)
			markIfUnfilterable(sm, id+":"+name+"."+subName, t)
		}
	}
}

func markIfUnfilterable(attr map[string]any, path string, t *queryTable) {
	if attr == nil {
		return
	}
	if _, err := compileFilter(path+" pr", t); err == nil {
		return
	}
	attr[filterableKey] = false
}
