package importer

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// maxText mirrors the directory's bound on free-text attributes, so that a
// long cell is reported at its cell rather than by the service.
const maxText = 1024

// fieldSet is a set of built-in fields.
type fieldSet uint64

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }
func (s *fieldSet) add(f field)     { *s |= 1 << f }

// candidate is one data row parsed into user attributes. Only the fields
// in set, and the properties in props, were given (non-blank cells).
type candidate struct {
	line     int
	user     directory.User
	set      fieldSet
	props    map[string]any
	problems []Problem
	// services, when hasServices, are the services the row's cell names,
	// of all (the organization's).
	hasServices bool
	services    []*directory.OrgService
	all         []*directory.OrgService
}

// parseRow reads one data row. It returns nil for a blank row.
func parseRow(l *layout, org *directory.Org, format Format, line int, cells []string) *candidate {
	c := &candidate{line: line}
	blank := true
	for i, raw := range cells {
		v := cleanCell(raw)
		if v == "" {
			continue
		}
		blank = false
		if i >= len(l.cols) || l.cols[i].field == fieldNone {
			name, _ := excelize.CoordinatesToCellName(i+1, line)
			c.problems = append(c.problems, Problem{Row: line, Cell: name, Message: "a value in a column without a known header"})
			continue
		}
		if l.cols[i].field == fieldServices {
			c.setServices(l, l.cols[i], v)
			continue
		}
		c.setCell(l.cols[i], v, format)
	}
	if blank {
		return nil
	}
	userName := l.byField[fieldUserName]
	switch {
	case !c.set.has(fieldUserName) && !c.hasProblemAt(userName):
		c.problem(userName, "userName is required")
	case strings.EqualFold(c.user.UserName, exampleUserName):
		c.problem(userName, "this is the template's example row; delete it")
	}
	return c
}

// setServices reads a services cell: keys of the organization's services.
func (c *candidate) setServices(l *layout, col column, v string) {
	svcs, err := directory.PickServices(l.services, splitServices(v))
	if err != nil {
		c.problem(col, directory.ErrorMessage(err))
		return
	}
	c.hasServices, c.services, c.all = true, svcs, l.services
}

// cleanCell trims a cell and undoes the export's formula escape.
func cleanCell(s string) string { return unneutralize(strings.TrimSpace(s)) }

func (c *candidate) hasProblemAt(col column) bool {
	for _, p := range c.problems {
		if p.Column == col.header {
			return true
		}
	}
	return false
}

func (c *candidate) problem(col column, msg string) {
	c.problems = append(c.problems, Problem{Row: c.line, Column: col.header, Cell: col.cellName(c.line), Message: msg})
}

// setCell parses one non-blank cell into the candidate.
func (c *candidate) setCell(col column, v string, format Format) {
	if col.field == fieldReadOnly {
		return
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		c.problem(col, "line breaks, tabs and other control characters are not allowed")
		return
	}
	if col.field == fieldProperty {
		val, err := parseProperty(col.prop, v, format)
		if err != "" {
			c.problem(col, err)
			return
		}
		if c.props == nil {
			c.props = map[string]any{}
		}
		c.props[col.prop.Key] = val
		return
	}
	if len(v) > maxText {
		c.problem(col, fmt.Sprintf("longer than %d characters", maxText))
		return
	}
	switch col.field {
	case fieldUserName:
		if err := directory.ValidateUserName(v); err != nil {
			var e *directory.Error
			if errors.As(err, &e) {
				c.problem(col, e.Message)
			}
			return
		}
	case fieldEmail:
		if err := directory.ValidateEmail(col.attr, v); err != nil {
			c.problem(col, fmt.Sprintf("%q is not an email address", v))
			return
		}
	case fieldRole:
		r := directory.Role(roleSeparators.Replace(strings.ToLower(v)))
		if !r.Valid() {
			c.problem(col, fmt.Sprintf("role %q is not one of user, org_admin, org_viewer, billing_admin", v))
			return
		}
		v = string(r)
	case fieldAuthMethod:
		m := directory.AuthMethod(strings.ToLower(v))
		if !m.Valid() {
			c.problem(col, fmt.Sprintf("authMethod %q is not local or sso", v))
			return
		}
		v = string(m)
	}
	*c.text(col.field) = v
	c.set.add(col.field)
}

// roleSeparators turns the spaces and dashes of a role as people write it
// ("Org Admin", "org-admin") into underscores.
var roleSeparators = strings.NewReplacer(" ", "_", "-", "_")

// text returns the user attribute a text field holds.
func (c *candidate) text(f field) *string { return userText(&c.user, f) }

func userText(u *directory.User, f field) *string {
	if f == fieldNone || int(f) > len(standardColumns) {
		panic(fmt.Sprintf("importer: field %d is not text", f))
	}
	return standardColumns[f-1].text(u)
}

// parseProperty reads a custom property cell as its type; the message is
// "" when it parses.
func parseProperty(p directory.PropertyDef, v string, format Format) (any, string) {
	switch p.Type {
	case directory.PropertyString:
		if len(v) > maxText {
			return nil, fmt.Sprintf("longer than %d characters", maxText)
		}
		return v, ""
	case directory.PropertyNumber:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Sprintf("%q is not a number", v)
		}
		return n, ""
	case directory.PropertyBoolean:
		switch strings.ToLower(v) {
		case "true", "yes", "y", "1":
			return true, ""
		case "false", "no", "n", "0":
			return false, ""
		}
		return nil, fmt.Sprintf("%q is not true or false", v)
	case directory.PropertyDate:
		if d, err := time.Parse(time.DateOnly, v); err == nil {
			return d.Format(time.DateOnly), ""
		}
		// Excel stores a date typed into a date-formatted cell as a serial
		// day number, which the raw XLSX reading yields.
		if n, err := strconv.ParseFloat(v, 64); err == nil && format == XLSX && n >= 1 && n < 2958466 {
			if d, err := excelize.ExcelDateToTime(n, false); err == nil {
				return d.Format(time.DateOnly), ""
			}
		}
		return nil, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", v)
	}
	return nil, fmt.Sprintf("property %q has an unknown type", p.Key)
}

// newUser is the user a create row makes. Its status is left to the
// service: pending until the invitation is accepted, active for SSO users.
func (c *candidate) newUser() *directory.User {
	u := c.user
	u.Source = directory.SourceImport
	if c.hasServices {
		u.Entitlements = nil
		directory.AddServices(&u, c.services)
	}
	if len(c.props) > 0 {
		u.Properties = make(map[string]any, len(c.props))
		for k, v := range c.props {
			u.Properties[k] = v
		}
	}
	return &u
}

// checkCreate reports what would keep the row from creating a user,
// beyond the cell checks: required properties and the directory's rules.
func (c *candidate) checkCreate(l *layout, org *directory.Org) {
	for _, p := range org.UserProperties {
		if _, ok := c.props[p.Key]; p.Required && !ok {
			c.problem(l.byProp[p.Key], fmt.Sprintf("%s is required", p.Key))
		}
	}
	u := c.newUser()
	u.Normalize()
	u.Status = directory.StatusPending
	c.backstop(l, u.Validate())
	c.backstop(l, directory.ValidateProperties(org, u.Properties, false))
}

// backstop reports an error of the directory's own validation, unless its
// column already has a problem.
func (c *candidate) backstop(l *layout, err error) {
	if err == nil {
		return
	}
	p := l.problemFor(c.line, err)
	if p.Column != "" && c.hasProblemAt(column{header: p.Column}) {
		return
	}
	c.problems = append(c.problems, p)
}

// problemFor places an error of the directory at its column, when it
// names an attribute the file has.
func (l *layout) problemFor(line int, err error) Problem {
	var e *directory.Error
	if errors.As(err, &e) {
		if col, ok := l.byAttr[e.Field]; ok {
			return Problem{Row: line, Column: col.header, Cell: col.cellName(line), Message: e.Message}
		}
	}
	return Problem{Row: line, Message: directory.ErrorMessage(err)}
}

// applyTo writes the row's non-blank cells into an existing user and
// reports whether anything changed. A user that a directory manages keeps
// the attributes the directory owns; only its role and custom properties,
// which are Roster's, may change.
func (c *candidate) applyTo(u *directory.User) (bool, error) {
	changed := false
	for _, sc := range standardColumns {
		f := sc.field
		if !c.set.has(f) || f == fieldUserName {
			continue
		}
		cur, next := userText(u, f), *c.text(f)
		if *cur == next {
			continue
		}
		if u.Source.IsDirectory() && f != fieldRole {
			return false, directory.FieldErrorf(directory.CodeInvalid, attrOf(f), "the user is managed by %s, which owns %s; change it there", u.Source, headerOf(f))
		}
		*cur = next
		changed = true
	}
	if c.hasServices {
		before := u.Entitlements
		directory.SetServices(u, c.services, c.all)
		if !slices.Equal(before, u.Entitlements) {
			changed = true
		}
	}
	for k, v := range c.props {
		if old, ok := u.Properties[k]; ok && reflect.DeepEqual(old, v) {
			continue
		}
		if u.Properties == nil {
			u.Properties = map[string]any{}
		}
		u.Properties[k] = v
		changed = true
	}
	return changed, nil
}

func attrOf(f field) string {
	for _, sc := range standardColumns {
		if sc.field == f {
			return sc.attr
		}
	}
	return ""
}

func headerOf(f field) string {
	for _, sc := range standardColumns {
		if sc.field == f {
			return sc.header
		}
	}
	return ""
}
