package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// Resources travel between Roster and the wire as attribute maps keyed by
// canonical attribute names (core attributes at the top, extension
// attributes under their schema URN): the library hands POST and PUT bodies
// over in that shape, the patch engine edits it, projection trims it and
// the encoder writes it. userAttributes and applyUserAttributes are the only
// places that know how a directory.User maps to SCIM.

// scimTextField is a catalogue attribute SCIM shows as a plain string: at
// the top of its schema, or (parent) inside a singular complex attribute.
type scimTextField struct {
	attr        *directory.Attribute
	schema      string // the schema URN
	parent, key string
}

// scimTextFields are the catalogue's plain text attributes that
// userAttributes and applyUserAttributes read and write generically, in
// catalogue order. userName, always shown, and the values SCIM shows inside
// multi-valued attributes (emails, phoneNumbers) are handled by hand.
var scimTextFields = func() []scimTextField {
	var out []scimTextField
	for _, a := range directory.UserAttributes() {
		if a.Text == nil || a.SCIMName == "" || a.Name == directory.UserUserName || insideMultiValued(a) {
			continue
		}
		f := scimTextField{attr: a, schema: a.Schema, key: a.SCIMName}
		if parent, key, ok := strings.Cut(a.SCIMName, "."); ok {
			f.parent, f.key = parent, key
		}
		out = append(out, f)
	}
	return out
}()

// child returns m[key] as an object, adding an empty one if absent.
func child(m map[string]any, key string) map[string]any {
	c, ok := m[key].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[key] = c
	}
	return c
}

// userAttributes renders the attributes SCIM shows of u, without id, schemas
// and meta. Empty values are left out rather than sent as null.
func userAttributes(u *directory.User, base string) map[string]any {
	m := map[string]any{"userName": u.UserName, "active": scimActive(u)}
	for i := range scimTextFields {
		f := &scimTextFields[i]
		v := *f.attr.Text(u)
		if v == "" {
			continue
		}
		dst := m
		if f.schema != userURN {
			dst = child(dst, f.schema)
		}
		if f.parent != "" {
			dst = child(dst, f.parent)
		}
		dst[f.key] = v
	}
	name, _ := m["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	put(name, "middleName", u.Profile.MiddleName)
	put(name, "honorificPrefix", u.Profile.HonorificPrefix)
	put(name, "honorificSuffix", u.Profile.HonorificSuffix)
	put(name, "formatted", strings.TrimSpace(u.GivenName+" "+u.FamilyName))
	if len(name) > 0 {
		m["name"] = name
	}
	put(m, "nickName", u.Profile.NickName)
	put(m, "profileUrl", u.Profile.ProfileURL)
	put(m, "userType", u.Profile.UserType)
	put(m, "preferredLanguage", u.Profile.PreferredLanguage)
	put(m, "locale", u.Profile.Locale)
	put(m, "timezone", u.Profile.Timezone)
	if len(u.Emails) > 0 {
		list := make([]any, len(u.Emails))
		for i, e := range u.Emails {
			el := map[string]any{"value": e.Value}
			put(el, "type", e.Type)
			put(el, "display", e.Display)
			if e.Primary {
				el["primary"] = true
			}
			list[i] = el
		}
		m["emails"] = list
	}
	if len(u.Profile.PhoneNumbers) > 0 {
		list := make([]any, len(u.Profile.PhoneNumbers))
		for i, p := range u.Profile.PhoneNumbers {
			el := map[string]any{"value": p.Value}
			put(el, "type", p.Type)
			if p.Primary {
				el["primary"] = true
			}
			list[i] = el
		}
		m["phoneNumbers"] = list
	}
	if len(u.Profile.Addresses) > 0 {
		list := make([]any, len(u.Profile.Addresses))
		for i, a := range u.Profile.Addresses {
			el := map[string]any{}
			put(el, "formatted", a.Formatted)
			put(el, "streetAddress", a.StreetAddress)
			put(el, "locality", a.Locality)
			put(el, "region", a.Region)
			put(el, "postalCode", a.PostalCode)
			put(el, "country", a.Country)
			put(el, "type", a.Type)
			if a.Primary {
				el["primary"] = true
			}
			list[i] = el
		}
		m["addresses"] = list
	}
	if list := grantList(u.Roles); list != nil {
		m["roles"] = list
	}
	if list := grantList(u.Entitlements); list != nil {
		m["entitlements"] = list
	}
	if u.Enterprise.ManagerID != "" {
		child(m, enterpriseURN)["manager"] = map[string]any{"value": u.Enterprise.ManagerID, "$ref": location(base, "Users", u.Enterprise.ManagerID)}
	}
	if len(u.Properties) > 0 {
		custom := make(map[string]any, len(u.Properties))
		for k, v := range u.Properties {
			if v != nil {
				custom[k] = v
			}
		}
		m[customURN] = custom
	}
	return m
}

// scimActive is what SCIM's "active" shows: whether the user's access is
// switched on as far as an identity provider is concerned. Only a
// suspension (by anyone) shows as false. A pending, locked or inactive user
// still shows true, because clients such as Okta read a user and write the
// same body back: were those shown as false, the echo would turn a lock or
// a pending invitation into a SCIM suspension, which the provider's next
// active=true would then lift.
func scimActive(u *directory.User) bool {
	return u.Status != directory.StatusSuspended && u.Status != directory.StatusDeleted
}

// applyUserAttributes sets every attribute SCIM manages on u from attrs, as
// a PUT does: attributes attrs lacks are cleared. active and password are
// not handled here (they go through the status rules and the hasher).
func applyUserAttributes(u *directory.User, attrs map[string]any) error {
	r := reader{m: attrs}
	u.UserName = r.str("userName")
	for i := range scimTextFields {
		f := &scimTextFields[i]
		src := &r
		var ext, parent reader
		if f.schema != userURN {
			ext = src.obj(f.schema)
			src = &ext
		}
		if f.parent != "" {
			parent = src.obj(f.parent)
			src = &parent
		}
		*f.attr.Text(u) = src.str(f.key)
	}
	name := r.obj("name")
	u.Profile.MiddleName = name.str("middleName")
	u.Profile.HonorificPrefix, u.Profile.HonorificSuffix = name.str("honorificPrefix"), name.str("honorificSuffix")
	u.Profile.NickName = r.str("nickName")
	u.Profile.ProfileURL = r.str("profileUrl")
	u.Profile.UserType = r.str("userType")
	u.Profile.PreferredLanguage = r.str("preferredLanguage")
	u.Profile.Locale = r.str("locale")
	u.Profile.Timezone = r.str("timezone")

	u.Emails = nil
	for _, el := range r.list("emails") {
		u.Emails = append(u.Emails, directory.Email{
			Value: el.str("value"), Type: el.str("type"), Display: el.str("display"), Primary: el.boolean("primary"),
		})
	}
	u.Profile.PhoneNumbers = nil
	for _, el := range r.list("phoneNumbers") {
		u.Profile.PhoneNumbers = append(u.Profile.PhoneNumbers, directory.PhoneNumber{
			Value: el.str("value"), Type: el.str("type"), Primary: el.boolean("primary"),
		})
	}
	u.Profile.Addresses = nil
	for _, el := range r.list("addresses") {
		u.Profile.Addresses = append(u.Profile.Addresses, directory.Address{
			Formatted: el.str("formatted"), StreetAddress: el.str("streetAddress"), Locality: el.str("locality"),
			Region: el.str("region"), PostalCode: el.str("postalCode"), Country: el.str("country"),
			Type: el.str("type"), Primary: el.boolean("primary"),
		})
	}
	u.Roles, u.Entitlements = readGrants(&r, "roles"), readGrants(&r, "entitlements")
	// The contact email and phone follow the primary (or first) entry; an
	// empty email falls back to userName when the service normalizes.
	u.Email = ""
	for i, e := range u.Emails {
		if e.Primary || (i == 0 && u.Email == "") {
			u.Email = e.Value
		}
	}
	u.Phone = ""
	for i, p := range u.Profile.PhoneNumbers {
		if p.Primary || (i == 0 && u.Phone == "") {
			u.Phone = p.Value
		}
	}

	enterprise := r.obj(enterpriseURN)
	manager := enterprise.obj("manager")
	u.Enterprise.ManagerID = manager.str("value")

	custom := r.obj(customURN)
	u.Properties = nil
	for k, v := range custom.m {
		if v == nil {
			continue
		}
		if n, ok := v.(json.Number); ok {
			f, err := n.Float64()
			if err != nil {
				return invalidValue("%s:%s is not a number", customURN, k)
			}
			v = f
		}
		if u.Properties == nil {
			u.Properties = map[string]any{}
		}
		u.Properties[k] = v
	}
	return r.err
}

// grantList renders roles or entitlements; nil when there are none.
func grantList(grants []directory.Grant) []any {
	if len(grants) == 0 {
		return nil
	}
	list := make([]any, len(grants))
	for i, g := range grants {
		el := map[string]any{"value": g.Value}
		put(el, "type", g.Type)
		put(el, "display", g.Display)
		if g.Primary {
			el["primary"] = true
		}
		list[i] = el
	}
	return list
}

// readGrants reads the roles or entitlements of attrs.
func readGrants(r *reader, key string) []directory.Grant {
	var out []directory.Grant
	for _, el := range r.list(key) {
		out = append(out, directory.Grant{
			Value: el.str("value"), Type: el.str("type"), Display: el.str("display"), Primary: el.boolean("primary"),
		})
	}
	return out
}

// groupAttributes renders a group's attributes, without id, schemas and
// meta. members is nil when members were not asked for (and so not loaded).
func groupAttributes(g *directory.Group, members []directory.Member, base string) map[string]any {
	m := map[string]any{"displayName": g.DisplayName}
	put(m, "externalId", g.ExternalID)
	if members != nil {
		list := make([]any, len(members))
		for i, mem := range members {
			el := map[string]any{"value": mem.UserID, "$ref": location(base, "Users", mem.UserID), "type": "User"}
			put(el, "display", mem.Display)
			list[i] = el
		}
		m["members"] = list
	}
	return m
}

// applyGroupAttributes sets a group's own attributes from attrs (members go
// through GroupChange, see memberIDs).
func applyGroupAttributes(g *directory.Group, attrs map[string]any) error {
	r := reader{m: attrs}
	g.DisplayName = r.str("displayName")
	g.ExternalID = r.str("externalId")
	return r.err
}

// memberIDs returns the user ids listed in a members value, and whether
// attrs lists members at all.
func memberIDs(attrs map[string]any) ([]string, bool, error) {
	v, ok := attrs["members"]
	if !ok || v == nil {
		return nil, ok, nil
	}
	ids, err := memberValues(v)
	return ids, true, err
}

// memberValues reads the ids out of a members value: a list of member
// objects or a single one.
func memberValues(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	ids := make([]string, 0, len(list))
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, invalidValue("members must be objects with a value")
		}
		id, _ := lookup(obj, "value").(string)
		if id == "" {
			return nil, invalidValue("every member needs a value (the user's id)")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// reader reads typed values out of an attribute map; the first type
// mismatch is kept in err (callers check it once at the end).
type reader struct {
	m      map[string]any
	err    error
	parent *reader
}

func (r *reader) str(key string) string {
	switch v := r.m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		r.fail("%s must be a string", key)
		return ""
	}
}

func (r *reader) boolean(key string) bool {
	switch v := r.m[key].(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	r.fail("%s must be true or false", key)
	return false
}

// obj returns a reader over a nested object; errors flow back to r.
func (r *reader) obj(key string) reader {
	child := reader{parent: r}
	switch v := r.m[key].(type) {
	case nil:
	case map[string]any:
		child.m = v
	default:
		r.fail("%s must be an object", key)
	}
	return child
}

func (r *reader) list(key string) []reader {
	switch v := r.m[key].(type) {
	case nil:
		return nil
	case []any:
		out := make([]reader, 0, len(v))
		for _, el := range v {
			obj, ok := el.(map[string]any)
			if !ok {
				r.fail("%s must hold objects", key)
				return nil
			}
			out = append(out, reader{m: obj, parent: r})
		}
		return out
	default:
		r.fail("%s must be a list", key)
		return nil
	}
}

func (r *reader) fail(format string, args ...any) {
	for r.parent != nil {
		r = r.parent
	}
	if r.err == nil {
		r.err = invalidValue(format, args...)
	}
}

// put sets m[key] to v unless v is empty.
func put(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// lookup finds a key regardless of case, as SCIM attribute names are.
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// location is the URL of a resource.
func location(base, endpoint, id string) string { return base + "/" + endpoint + "/" + id }

// timestamp formats meta.created and meta.lastModified as the library does.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// meta is a resource's meta attribute.
func meta(resourceType, loc string, created, modified time.Time, version int64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      timestamp(created),
		"lastModified": timestamp(modified),
		"location":     loc,
		"version":      etag.Of(version),
	}
}

// describe is a value's JSON shape, for error messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}
