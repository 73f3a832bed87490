package importer

import (
	"fmt"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// field is what a column holds: a built-in column (its position in
// standardColumns, from 1), a custom property, or nothing the importer
// reads.
type field uint8

// Fields that are not built-in columns.
const (
	fieldNone     field = 0   // a blank header past the last column
	fieldServices field = 253 // the services column: service keys
	fieldProperty field = 254 // a custom property
	fieldReadOnly field = 255 // an export column the importer ignores
)

// standardColumn is a built-in column of the template and the export.
type standardColumn struct {
	header  string
	field   field
	attr    string // the directory's name for the attribute (error fields)
	help    string
	example string
	// text reaches the attribute's value in a user.
	text func(*directory.User) *string
}

// typedText reaches the attributes that imports set but that are not plain
// text in the catalogue (their values are checked against a list).
var typedText = map[directory.Attr]func(*directory.User) *string{
	directory.UserRole:       func(u *directory.User) *string { return (*string)(&u.Role) },
	directory.UserAuthMethod: func(u *directory.User) *string { return (*string)(&u.AuthMethod) },
}

// standardColumns are the importable attributes, in template order: the
// catalogue's attributes with an import header, in catalogue order.
var standardColumns = func() []standardColumn {
	var out []standardColumn
	for _, a := range directory.UserAttributes() {
		if a.ImportHeader == "" {
			continue
		}
		text := a.Text
		if text == nil {
			text = typedText[a.Name]
		}
		if text == nil {
			panic(fmt.Sprintf("importer: %s has an import header but no text accessor", a.Name))
		}
		out = append(out, standardColumn{
			header: a.ImportHeader, field: field(len(out) + 1), attr: string(a.Name),
			help: a.ImportHelp, example: a.ImportExample, text: text,
		})
	}
	if len(out) >= int(fieldProperty) || len(out) >= 64 {
		panic("importer: more built-in columns than fieldSet holds")
	}
	return out
}()

// Built-in columns the importer treats specially.
var (
	fieldUserName   = fieldOf(directory.UserUserName)
	fieldEmail      = fieldOf(directory.UserEmail)
	fieldRole       = fieldOf(directory.UserRole)
	fieldAuthMethod = fieldOf(directory.UserAuthMethod)
	fieldExternalID = fieldOf(directory.UserExternalID)
)

// fieldOf is the built-in column of a catalogue attribute.
func fieldOf(name directory.Attr) field {
	for _, sc := range standardColumns {
		if sc.attr == string(name) {
			return sc.field
		}
	}
	panic(fmt.Sprintf("importer: %s has no import column", name))
}

// readOnlyColumns are written by the export and skipped by the importer.
var readOnlyColumns = []string{"id", "status", "statusReason", "source", "createdAt", "updatedAt", "lastLoginAt"}

// exampleUserName is the template's example row; a file that still holds
// it is told to delete it.
const exampleUserName = "jane.doe@example.com"

// column is one column of a file, bound to what it holds.
type column struct {
	header string // as written in the file
	index  int    // 0-based position
	field  field
	attr   string // directory attribute name, for mapping validation errors
	prop   directory.PropertyDef
}

// cellName is the spreadsheet name of the column's cell in row line ("C7").
func (c column) cellName(line int) string {
	name, err := excelize.CoordinatesToCellName(c.index+1, line)
	if err != nil {
		return ""
	}
	return name
}

// layout is a file's header, bound to fields.
type layout struct {
	cols    []column
	byField map[field]column
	byProp  map[string]column // property key → column
	byAttr  map[string]column // directory attribute → column
	// services are the organization's services, read when the file has
	// a services column.
	services []*directory.OrgService
}

// servicesHeader is the header of the column of service keys.
const servicesHeader = "services"

// servicesHelp explains the services column.
const servicesHelp = "Keys of the services the user holds, separated by ';' (e.g. crm;wiki). " +
	"When updating, the list replaces the user's services; a blank cell keeps them. A full service refuses the whole import."

// splitServices reads a services cell: keys separated by ';' or ','.
func splitServices(v string) []string {
	var out []string
	for _, k := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// normalizeHeader folds the differences people introduce when they retype
// a header: case, spaces, dashes, dots, underscores and a required marker.
func normalizeHeader(s string) string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "*"))
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '_', '-', '.', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// headerNames maps normalized header names to columns for an
// organization: built-in columns first, then custom property keys, then
// their labels where a label is unambiguous.
func headerNames(org *directory.Org) map[string]column {
	names := map[string]column{}
	names[servicesHeader] = column{field: fieldServices, attr: servicesHeader}
	for _, sc := range standardColumns {
		names[normalizeHeader(sc.header)] = column{field: sc.field, attr: sc.attr}
	}
	for _, h := range readOnlyColumns {
		names[normalizeHeader(h)] = column{field: fieldReadOnly}
	}
	props := func(key string, p directory.PropertyDef) {
		if _, taken := names[key]; !taken {
			names[key] = column{field: fieldProperty, attr: "properties." + p.Key, prop: p}
		}
	}
	for _, p := range org.UserProperties {
		props(normalizeHeader("properties."+p.Key), p)
		props(normalizeHeader(p.Key), p)
	}
	labels := map[string]int{}
	for _, p := range org.UserProperties {
		labels[normalizeHeader(p.Label)]++
	}
	for _, p := range org.UserProperties {
		if l := normalizeHeader(p.Label); l != "" && labels[l] == 1 {
			props(l, p)
		}
	}
	return names
}

// propertyHeader is the header the template and export write for a custom
// property: its key, unless a built-in column has that name.
func propertyHeader(p directory.PropertyDef) string {
	for _, sc := range standardColumns {
		if normalizeHeader(sc.header) == normalizeHeader(p.Key) {
			return "properties." + p.Key
		}
	}
	for _, h := range readOnlyColumns {
		if normalizeHeader(h) == normalizeHeader(p.Key) {
			return "properties." + p.Key
		}
	}
	return p.Key
}

// bindHeader binds a header row to fields. Every problem with it is
// returned, as row-1 problems, so that the admin fixes them in one go.
func bindHeader(cells []string, org *directory.Org, mode Mode) (*layout, []Problem) {
	names := headerNames(org)
	l := &layout{byField: map[field]column{}, byProp: map[string]column{}, byAttr: map[string]column{}}
	var problems []Problem
	last := len(cells) - 1
	for last >= 0 && strings.TrimSpace(cells[last]) == "" {
		last--
	}
	seen := map[string]column{}
	for i := 0; i <= last; i++ {
		h := strings.TrimSpace(strings.TrimPrefix(cells[i], "\ufeff"))
		col, ok := names[normalizeHeader(h)]
		col.header, col.index = h, i
		switch {
		case h == "":
			col.field = fieldNone
			problems = append(problems, headerProblem(col, "this column has no header"))
		case !ok:
			col.field = fieldNone
			problems = append(problems, headerProblem(col, fmt.Sprintf("unknown column %q", h)))
		case col.field != fieldReadOnly:
			key := col.attr
			if prev, dup := seen[key]; dup {
				problems = append(problems, headerProblem(col, fmt.Sprintf("column %q is the same as column %q (%s)", h, prev.header, prev.cellName(1))))
				col.field = fieldNone
				break
			}
			seen[key] = col
			if col.field == fieldProperty {
				l.byProp[col.prop.Key] = col
			} else {
				l.byField[col.field] = col
			}
			l.byAttr[col.attr] = col
		}
		l.cols = append(l.cols, col)
	}
	if _, ok := l.byField[fieldUserName]; !ok {
		problems = append(problems, Problem{Row: 1, Column: "userName", Message: "the userName column is missing"})
	}
	if mode != ModeUpdate {
		for _, p := range org.UserProperties {
			if _, ok := l.byProp[p.Key]; p.Required && !ok {
				problems = append(problems, Problem{Row: 1, Column: propertyHeader(p), Message: fmt.Sprintf("the column of the required property %q is missing", p.Key)})
			}
		}
	}
	if len(problems) > 0 {
		problems = append(problems, Problem{Row: 1, Message: "the columns are: " + strings.Join(templateHeader(org), ", ")})
	}
	return l, problems
}

func headerProblem(c column, msg string) Problem {
	return Problem{Row: 1, Column: c.header, Cell: c.cellName(1), Message: msg}
}

// templateHeader is the header row the template and export write.
func templateHeader(org *directory.Org) []string {
	h := make([]string, 0, len(standardColumns)+len(org.UserProperties))
	for _, sc := range standardColumns {
		h = append(h, sc.header)
	}
	h = append(h, servicesHeader)
	for _, p := range org.UserProperties {
		h = append(h, propertyHeader(p))
	}
	return h
}
