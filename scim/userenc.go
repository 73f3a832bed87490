package scim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jsonenc"
)

// A user answered whole (no attributes or excludedAttributes) is written
// straight from the directory.User, byte for byte as userAttributes'
// map would be encoded (keys sorted, empty values left out), without
// building the map: the map, its nested maps and the sorting of their
// keys were most of what rendering a user allocated. A request that
// selects attributes goes through the map and its projection.

// userField writes one attribute of a user: its key and value, or nothing
// (b unchanged, false) when the attribute is left out.
type userField struct {
	name  string
	write func(b []byte, u *directory.User, base string) ([]byte, bool)
}

// userFields are the attributes userAttributes renders, sorted by name.
var userFields = buildUserFields()

// pathSep joins the names of a complex attribute nested in an extension
// (URNs hold dots).
const pathSep = "\x00"

func buildUserFields() []userField {
	top := map[string]*userField{}
	objects := map[string]map[string]*userField{} // a complex attribute's fields by name
	add := func(fields map[string]*userField, name string, write func([]byte, *directory.User, string) ([]byte, bool)) {
		if fields[name] != nil {
			panic("scim: the user encoder has two attributes named " + name)
		}
		fields[name] = &userField{name: name, write: write}
	}
	object := func(name string) map[string]*userField {
		if objects[name] == nil {
			objects[name] = map[string]*userField{}
		}
		return objects[name]
	}
	text := func(get func(*directory.User) string) func([]byte, *directory.User, string) ([]byte, bool) {
		return func(b []byte, u *directory.User, _ string) ([]byte, bool) {
			v := get(u)
			if v == "" {
				return b, false
			}
			return jsonenc.AppendString(b, v), true
		}
	}

	add(top, "userName", func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		return jsonenc.AppendString(b, u.UserName), true
	})
	add(top, "active", func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		return strconv.AppendBool(b, scimActive(u)), true
	})
	for i := range scimTextFields {
		f := &scimTextFields[i]
		fields, path := top, ""
		if f.schema != userURN {
			path = f.schema
		}
		if f.parent != "" {
			if path != "" {
				path += pathSep
			}
			path += f.parent
		}
		if path != "" {
			fields = object(path)
		}
		add(fields, f.key, text(func(u *directory.User) string { return *f.attr.Text(u) }))
	}
	name := object("name")
	add(name, "middleName", text(func(u *directory.User) string { return u.Profile.MiddleName }))
	add(name, "honorificPrefix", text(func(u *directory.User) string { return u.Profile.HonorificPrefix }))
	add(name, "honorificSuffix", text(func(u *directory.User) string { return u.Profile.HonorificSuffix }))
	add(name, "formatted", text(func(u *directory.User) string { return strings.TrimSpace(u.GivenName + " " + u.FamilyName) }))
	add(top, "nickName", text(func(u *directory.User) string { return u.Profile.NickName }))
	add(top, "profileUrl", text(func(u *directory.User) string { return u.Profile.ProfileURL }))
	add(top, "userType", text(func(u *directory.User) string { return u.Profile.UserType }))
	add(top, "preferredLanguage", text(func(u *directory.User) string { return u.Profile.PreferredLanguage }))
	add(top, "locale", text(func(u *directory.User) string { return u.Profile.Locale }))
	add(top, "timezone", text(func(u *directory.User) string { return u.Profile.Timezone }))
	add(top, "emails", func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		if len(u.Emails) == 0 {
			return b, false
		}
		b = append(b, '[')
		for i, e := range u.Emails {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendElement(b, e.Display, e.Primary, e.Type, e.Value)
		}
		return append(b, ']'), true
	})
	add(top, "phoneNumbers", func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		if len(u.Profile.PhoneNumbers) == 0 {
			return b, false
		}
		b = append(b, '[')
		for i, p := range u.Profile.PhoneNumbers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendElement(b, "", p.Primary, p.Type, p.Value)
		}
		return append(b, ']'), true
	})
	add(top, "addresses", func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		if len(u.Profile.Addresses) == 0 {
			return b, false
		}
		b = append(b, '[')
		for i, a := range u.Profile.Addresses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAddress(b, &a)
		}
		return append(b, ']'), true
	})
	grants := func(get func(*directory.User) []directory.Grant) func([]byte, *directory.User, string) ([]byte, bool) {
		return func(b []byte, u *directory.User, _ string) ([]byte, bool) {
			list := get(u)
			if len(list) == 0 {
				return b, false
			}
			b = append(b, '[')
			for i, g := range list {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendElement(b, g.Display, g.Primary, g.Type, g.Value)
			}
			return append(b, ']'), true
		}
	}
	add(top, "roles", grants(func(u *directory.User) []directory.Grant { return u.Roles }))
	add(top, "entitlements", grants(func(u *directory.User) []directory.Grant { return u.Entitlements }))
	add(object(enterpriseURN), "manager", func(b []byte, u *directory.User, base string) ([]byte, bool) {
		if u.Enterprise.ManagerID == "" {
			return b, false
		}
		b = append(b, `{"$ref":`...)
		b = appendLocation(b, base, "Users", u.Enterprise.ManagerID)
		b = append(b, `,"value":`...)
		b = jsonenc.AppendString(b, u.Enterprise.ManagerID)
		return append(b, '}'), true
	})
	add(top, customURN, func(b []byte, u *directory.User, _ string) ([]byte, bool) {
		if len(u.Properties) == 0 {
			return b, false
		}
		keys := make([]string, 0, len(u.Properties))
		for k, v := range u.Properties {
			if v != nil {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = jsonenc.Append(b, u.Properties[k]); err != nil {
				// A value encoding/json cannot write either: the map
				// path reports it.
				return nil, false
			}
		}
		return append(b, '}'), true
	})

	// Complex attributes nested in extensions go inside their extension,
	// the deepest first; the rest at the top.
	paths := make([]string, 0, len(objects))
	for p := range objects {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int { return strings.Count(b, pathSep) - strings.Count(a, pathSep) })
	for _, p := range paths {
		parentFields, key := top, p
		if i := strings.LastIndex(p, pathSep); i >= 0 {
			parentFields, key = object(p[:i]), p[i+len(pathSep):]
		}
		add(parentFields, key, objectWriter(sortedFields(objects[p])))
	}
	return sortedFields(top)
}

// sortedFields lists fields in the order encoding/json writes map keys.
func sortedFields(fields map[string]*userField) []userField {
	out := make([]userField, 0, len(fields))
	for _, f := range fields {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b userField) int { return strings.Compare(a.name, b.name) })
	return out
}

// objectWriter writes a complex attribute, left out when none of its
// fields is written.
func objectWriter(fields []userField) func([]byte, *directory.User, string) ([]byte, bool) {
	return func(b []byte, u *directory.User, base string) ([]byte, bool) {
		start := len(b)
		b = append(b, '{')
		b, written := appendFields(b, fields, u, base)
		if b == nil {
			return nil, false
		}
		if !written {
			return b[:start], false
		}
		return append(b, '}'), true
	}
}

// appendFields writes fields as the members of an object, separated by
// commas, and reports whether it wrote any. A nil b reports a value
// that could not be encoded.
func appendFields(b []byte, fields []userField, u *directory.User, base string) ([]byte, bool) {
	wrote := false
	for i := range fields {
		f := &fields[i]
		mark := len(b)
		if wrote {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, f.name)
		b = append(b, ':')
		var ok bool
		if b, ok = f.write(b, u, base); b == nil {
			return nil, false
		}
		if ok {
			wrote = true
		} else {
			b = b[:mark]
		}
	}
	return b, wrote
}

// appendElement writes an element of emails, phoneNumbers, roles or
// entitlements: value always, the rest when set.
func appendElement(b []byte, display string, primary bool, typ, value string) []byte {
	b = append(b, '{')
	if display != "" {
		b = append(b, `"display":`...)
		b = jsonenc.AppendString(b, display)
		b = append(b, ',')
	}
	if primary {
		b = append(b, `"primary":true,`...)
	}
	if typ != "" {
		b = append(b, `"type":`...)
		b = jsonenc.AppendString(b, typ)
		b = append(b, ',')
	}
	b = append(b, `"value":`...)
	b = jsonenc.AppendString(b, value)
	return append(b, '}')
}

func appendAddress(b []byte, a *directory.Address) []byte {
	b = append(b, '{')
	start := len(b)
	member := func(key, v string) {
		if v == "" {
			return
		}
		if len(b) > start {
			b = append(b, ',')
		}
		b = append(b, key...)
		b = jsonenc.AppendString(b, v)
	}
	member(`"country":`, a.Country)
	member(`"formatted":`, a.Formatted)
	member(`"locality":`, a.Locality)
	member(`"postalCode":`, a.PostalCode)
	if a.Primary {
		if len(b) > start {
			b = append(b, ',')
		}
		b = append(b, `"primary":true`...)
	}
	member(`"region":`, a.Region)
	member(`"streetAddress":`, a.StreetAddress)
	member(`"type":`, a.Type)
	return append(b, '}')
}

// appendLocation writes location(base, endpoint, id) as a JSON string.
func appendLocation(b []byte, base, endpoint, id string) []byte {
	if !plainJSON(base) || !plainJSON(endpoint) || !plainJSON(id) {
		return jsonenc.AppendString(b, location(base, endpoint, id))
	}
	b = append(b, '"')
	b = append(b, base...)
	b = append(b, '/')
	b = append(b, endpoint...)
	b = append(b, '/')
	b = append(b, id...)
	return append(b, '"')
}

// plainJSON reports whether s needs no escaping in a JSON string.
func plainJSON(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendTimestamp writes timestamp(t) as a JSON string.
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendETag writes etag.Of(version) as a JSON string.
func appendETag(b []byte, version int64) []byte {
	b = append(b, `"W/\"`...)
	b = strconv.AppendInt(b, version, 10)
	return append(b, `\""`...)
}

// userDoc is a user answered whole: what userJSON returns when nothing is
// selected, encoded by appendJSON like the map it stands for.
type userDoc struct {
	u       *directory.User
	base    string
	schemas []string
}

// appendJSON writes the user with id, meta and schemas, as userJSON's map.
func (d userDoc) appendJSON(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, '{')
	var ok bool
	if b, ok = appendUserFields(b, d.u, d.base, d.schemas, ""); !ok {
		// A custom property encoding/json cannot write: the map path
		// reports the error.
		m := userAttributes(d.u, d.base)
		m["schemas"], m["id"] = d.schemas, d.u.ID
		m["meta"] = meta("User", location(d.base, "Users", d.u.ID), d.u.CreatedAt, d.u.UpdatedAt, d.u.Version)
		return jsonenc.Append(b[:start], m)
	}
	return append(b, '}'), nil
}

// MarshalJSON lets encoding/json write a userDoc as appendJSON does.
func (d userDoc) MarshalJSON() ([]byte, error) { return d.appendJSON(nil) }

// appendUserFields writes the members of a user's object: its attributes
// in key order, with id, meta and schemas among them. It reports false
// when a custom property could not be encoded. With libLocation, meta is
// written as the library writes it (see postUser); without, as Roster's
// routes do.
func appendUserFields(b []byte, u *directory.User, base string, schemas []string, libLocation string) ([]byte, bool) {
	// Of the attributes, active, emails, entitlements, externalId and
	// the like sort before "id", which sorts before "locale" and "meta",
	// which sort before "name" and the rest; "schemas" sorts before
	// "timezone", "title", the URNs and "userName".
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	extra := func(name string) {
		switch name {
		case "id":
			sep()
			b = append(b, `"id":`...)
			b = jsonenc.AppendString(b, u.ID)
		case "meta":
			sep()
			if libLocation != "" {
				b = append(b, `"meta":`...)
				b = appendLibMeta(b, u.CreatedAt, u.UpdatedAt, libLocation, u.Version)
				return
			}
			b = append(b, `"meta":{"created":`...)
			b = appendTimestamp(b, u.CreatedAt)
			b = append(b, `,"lastModified":`...)
			b = appendTimestamp(b, u.UpdatedAt)
			b = append(b, `,"location":`...)
			b = appendLocation(b, base, "Users", u.ID)
			b = append(b, `,"resourceType":"User","version":`...)
			b = appendETag(b, u.Version)
			b = append(b, '}')
		case "schemas":
			sep()
			b = append(b, `"schemas":`...)
			b, _ = jsonenc.AppendList(b, schemas) // strings always encode
		}
	}
	pending := [...]string{"id", "meta", "schemas"}
	next := 0
	for i := range userFields {
		f := &userFields[i]
		for next < len(pending) && pending[next] < f.name {
			extra(pending[next])
			next++
		}
		mark, wasFirst := len(b), first
		sep()
		b = jsonenc.AppendString(b, f.name)
		b = append(b, ':')
		var ok bool
		if b, ok = f.write(b, u, base); b == nil {
			return nil, false
		}
		if !ok {
			b, first = b[:mark], wasFirst
		}
	}
	for ; next < len(pending); next++ {
		extra(pending[next])
	}
	return b, true
}
