package scim

import (
	"regexp"
	"slices"
	"strings"

	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/roster/roster/internal/directory"
)

// Schema URNs Roster serves.
const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// customURN holds the organization's custom user properties.
	customURN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"

	listResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOpURN       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	bulkRequestURN   = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN  = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	spConfigURN      = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// resourceSchema is one resource type's core schema and extensions: what the
// library validates POST and PUT bodies against, what the patch engine and
// projection resolve attribute names with, and what /Schemas publishes.
// Only attributes Roster stores are listed, so that discovery tells the
// truth; the library drops anything else from request bodies.
type resourceSchema struct {
	core       schema.Schema
	extensions []schema.Schema
}

// commonAttributes are the attributes every resource has (RFC 7643 section
// 3.1). They belong to no schema, so they are resolved on their own.
var commonAttributes = schema.Schema{Attributes: []schema.CoreAttribute{
	schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		Name: "id", CaseExact: true, Mutability: schema.AttributeMutabilityReadOnly(),
	})),
	schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		Name: "externalId", CaseExact: true,
	})),
	schema.ComplexCoreAttribute(schema.ComplexParams{
		Name: "meta", Mutability: schema.AttributeMutabilityReadOnly(),
		SubAttributes: []schema.SimpleParams{
			readOnlyStr("resourceType", ""), readOnlyStr("created", ""), readOnlyStr("lastModified", ""),
			readOnlyStr("location", ""), readOnlyStr("version", ""),
		},
	}),
}}

// schemaFor returns the schema with the given URN (any case), or nil.
func (rs *resourceSchema) schemaFor(urn string) *schema.Schema {
	if strings.EqualFold(urn, rs.core.ID) {
		return &rs.core
	}
	for i := range rs.extensions {
		if strings.EqualFold(urn, rs.extensions[i].ID) {
			return &rs.extensions[i]
		}
	}
	return nil
}

// resolve finds an attribute by schema URN (empty: the common attributes
// and core schema first, then the extensions, as clients such as Entra send
// "manager") and name. It returns the schema the attribute belongs to; the
// common attributes count as the core schema's.
func (rs *resourceSchema) resolve(urn, name string) (*schema.Schema, schema.CoreAttribute, bool) {
	if urn == "" || strings.EqualFold(urn, rs.core.ID) {
		if a, ok := commonAttributes.Attributes.ContainsAttribute(name); ok {
			return &rs.core, a, true
		}
	}
	if urn != "" {
		s := rs.schemaFor(urn)
		if s == nil {
			return nil, schema.CoreAttribute{}, false
		}
		a, ok := s.Attributes.ContainsAttribute(name)
		return s, a, ok
	}
	if a, ok := rs.core.Attributes.ContainsAttribute(name); ok {
		return &rs.core, a, true
	}
	for i := range rs.extensions {
		if a, ok := rs.extensions[i].Attributes.ContainsAttribute(name); ok {
			return &rs.extensions[i], a, true
		}
	}
	return nil, schema.CoreAttribute{}, false
}

// ids lists the URNs of the core schema and every extension, as a resource's
// "schemas" attribute does (the library writes the same list).
func (rs *resourceSchema) ids() []string {
	ids := []string{rs.core.ID}
	for _, e := range rs.extensions {
		ids = append(ids, e.ID)
	}
	return ids
}

// userSchema builds the User resource schema for an organization: the core
// User schema, the enterprise extension and an extension listing the
// organization's custom properties. The password attribute exists only when
// Roster can hash passwords.
func userSchema(org *directory.Org, passwords bool) *resourceSchema {
	exts := []schema.Schema{enterpriseSchema()}
	for _, urn := range catalogueExtensions {
		if urn != enterpriseURN {
			exts = append(exts, extensionSchema(urn))
		}
	}
	return &resourceSchema{
		core:       coreUserSchema(passwords),
		extensions: append(exts, customSchema(org)),
	}
}

// extensionMeta names the extension schemas that catalogue attributes
// belong to, for /Schemas.
var extensionMeta = map[string]struct{ name, description string }{
	enterpriseURN:          {"EnterpriseUser", "Enterprise User"},
	directory.SchemaRoster: {"RosterUser", "Attributes Roster adds to the User resource."},
}

// catalogueExtensions lists the URNs of the extension schemas of
// catalogue attributes, in catalogue order.
var catalogueExtensions = func() []string {
	var out []string
	for _, a := range directory.UserAttributes() {
		if a.Schema != "" && a.Schema != userURN && !slices.Contains(out, a.Schema) {
			if _, ok := extensionMeta[a.Schema]; !ok {
				panic("scim: the catalogue uses extension schema " + a.Schema + ", which extensionMeta does not name")
			}
			out = append(out, a.Schema)
		}
	}
	return out
}()

// extensionSchema is an extension schema whose attributes are all the
// catalogue's plain text ones.
func extensionSchema(urn string) schema.Schema {
	meta := extensionMeta[urn]
	return schema.Schema{
		ID: urn, Name: optional.NewString(meta.name), Description: optional.NewString(meta.description),
		Attributes: catalogueAttributes(urn),
	}
}

func groupSchema() *resourceSchema {
	return &resourceSchema{core: coreGroupSchema()}
}

func str(name, desc string) schema.SimpleParams {
	return schema.SimpleStringParams(schema.StringParams{Name: name, Description: optional.NewString(desc)})
}

func readOnlyStr(name, desc string) schema.SimpleParams {
	return schema.SimpleStringParams(schema.StringParams{
		Name: name, Description: optional.NewString(desc), Mutability: schema.AttributeMutabilityReadOnly(),
	})
}

func boolean(name, desc string) schema.SimpleParams {
	return schema.SimpleBooleanParams(schema.BooleanParams{Name: name, Description: optional.NewString(desc)})
}

func ref(name, desc string, types ...schema.AttributeReferenceType) schema.SimpleParams {
	return schema.SimpleReferenceParams(schema.ReferenceParams{
		Name: name, Description: optional.NewString(desc), ReferenceTypes: types,
	})
}

func multi(name, desc string, subs ...schema.SimpleParams) schema.CoreAttribute {
	return schema.ComplexCoreAttribute(schema.ComplexParams{
		Name: name, Description: optional.NewString(desc), MultiValued: true, SubAttributes: subs,
	})
}

func typed(desc string, values ...string) schema.SimpleParams {
	return schema.SimpleStringParams(schema.StringParams{
		Name: "type", Description: optional.NewString(desc), CanonicalValues: values,
	})
}

func coreUserSchema(passwords bool) schema.Schema {
	attrs := []schema.CoreAttribute{
		schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			Name: "userName", Required: true, Uniqueness: schema.AttributeUniquenessServer(),
			Description: optional.NewString("The user's identifier: any text up to 256 characters, unique within the organization regardless of case. People log in with their primary email, not with the userName."),
		})),
		schema.ComplexCoreAttribute(schema.ComplexParams{
			Name: "name", Description: optional.NewString("The components of the user's name."),
			SubAttributes: []schema.SimpleParams{
				schema.SimpleStringParams(schema.StringParams{
					Name: "formatted", Mutability: schema.AttributeMutabilityReadOnly(),
					Description: optional.NewString("givenName and familyName joined; derived, so writes are ignored."),
				}),
				str("familyName", "The family name."),
				str("givenName", "The given name."),
				str("middleName", "The middle name."),
				str("honorificPrefix", "The honorific prefix."),
				str("honorificSuffix", "The honorific suffix."),
			},
		}),
		schema.SimpleCoreAttribute(str("displayName", "The name shown for the user.")),
		schema.SimpleCoreAttribute(str("nickName", "The casual name.")),
		schema.SimpleCoreAttribute(ref("profileUrl", "A URL of the user's online profile.", schema.AttributeReferenceTypeExternal)),
		schema.SimpleCoreAttribute(str("title", "The job title.")),
		schema.SimpleCoreAttribute(str("userType", "The relationship to the organization, e.g. Employee.")),
		schema.SimpleCoreAttribute(str("preferredLanguage", "The preferred language, e.g. en-US.")),
		schema.SimpleCoreAttribute(str("locale", "The locale, e.g. en-US.")),
		schema.SimpleCoreAttribute(str("timezone", "The time zone, e.g. Europe/Amsterdam.")),
		schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{
			Name: "active",
			Description: optional.NewString("false while the user is suspended. false suspends the user; " +
				"true lifts only a suspension that SCIM made."),
		})),
	}
	if passwords {
		attrs = append(attrs, schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			Name: "password", Description: optional.NewString("Sets the user's password; never returned."),
			Mutability: schema.AttributeMutabilityWriteOnly(), Returned: schema.AttributeReturnedNever(),
		})))
	}
	attrs = append(attrs,
		multi("emails", "Email addresses; the primary (or first) one is the user's contact email.",
			str("value", "The email address."), str("display", "A label for the address."),
			typed("The kind of address.", "work", "home", "other"), boolean("primary", "Whether this is the primary address.")),
		multi("phoneNumbers", "Phone numbers; the primary (or first) one is the user's phone.",
			str("value", "The phone number."), typed("The kind of number.", "work", "home", "mobile", "fax", "pager", "other"),
			boolean("primary", "Whether this is the primary number.")),
		multi("addresses", "Postal addresses.",
			str("formatted", "The full address."), str("streetAddress", "The street."), str("locality", "The city."),
			str("region", "The state or region."), str("postalCode", "The postal code."), str("country", "The country."),
			typed("The kind of address.", "work", "home", "other"), boolean("primary", "Whether this is the primary address.")),
		multi("roles", "Roles the identity provider assigns (e.g. Entra app roles). An organization may map role values "+
			"to Roster roles; otherwise they are kept as given.",
			str("value", "The role."), str("display", "A label for the role."), str("type", "The kind of role."),
			boolean("primary", "Whether this is the primary role.")),
		multi("entitlements", "Entitlements the identity provider assigns. A value that is the key of one of the "+
			"organization's services gives the user that service (within its seats); other values are kept as given.",
			str("value", "The entitlement."), str("display", "A label for the entitlement."), str("type", "The kind of entitlement."),
			boolean("primary", "Whether this is the primary entitlement.")),
		schema.ComplexCoreAttribute(schema.ComplexParams{
			Name: "groups", MultiValued: true, Mutability: schema.AttributeMutabilityReadOnly(),
			// Listing a user's groups costs a query per user, so it is
			// returned only when asked for with attributes=groups.
			Returned:    schema.AttributeReturnedRequest(),
			Description: optional.NewString("The groups the user belongs to; change them through /Groups."),
			SubAttributes: []schema.SimpleParams{
				readOnlyStr("value", "The group's id."),
				schema.SimpleReferenceParams(schema.ReferenceParams{
					Name: "$ref", ReferenceTypes: []schema.AttributeReferenceType{"Group"},
					Mutability: schema.AttributeMutabilityReadOnly(),
				}),
				readOnlyStr("display", "The group's displayName."),
			},
		}),
	)
	return schema.Schema{
		ID: userURN, Name: optional.NewString("User"), Description: optional.NewString("User Account"),
		Attributes: attrs,
	}
}

func enterpriseSchema() schema.Schema {
	attrs := catalogueAttributes(enterpriseURN)
	attrs = append(attrs, schema.ComplexCoreAttribute(schema.ComplexParams{
		Name: "manager", Description: optional.NewString("The user's manager."),
		SubAttributes: []schema.SimpleParams{
			schema.SimpleStringParams(schema.StringParams{
				Name: "value", CaseExact: true, Description: optional.NewString("The manager's id."),
			}),
			schema.SimpleReferenceParams(schema.ReferenceParams{
				Name: "$ref", ReferenceTypes: []schema.AttributeReferenceType{"User"},
				Mutability: schema.AttributeMutabilityReadOnly(),
			}),
			readOnlyStr("displayName", "Not stored; never returned."),
		},
	}))
	return schema.Schema{
		ID: enterpriseURN, Name: optional.NewString("EnterpriseUser"), Description: optional.NewString("Enterprise User"),
		Attributes: attrs,
	}
}

// catalogueAttributes lists, in catalogue order, the plain text attributes
// the catalogue puts at the top of an extension schema.
func catalogueAttributes(urn string) []schema.CoreAttribute {
	var out []schema.CoreAttribute
	for _, f := range scimTextFields {
		if f.schema == urn && f.parent == "" {
			out = append(out, schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name: f.key, CaseExact: f.attr.CaseExact, Description: optional.NewString(f.attr.Description),
			})))
		}
	}
	return out
}

// validAttrName is the library's rule for attribute names; its schema
// constructors panic on anything else, so keys that do not fit are left out
// (the organization's own validation makes that impossible today).
var validAttrName = regexp.MustCompile(`^[A-Za-z][\w$-]*$`)

// customSchema lists the organization's custom user properties. Dates are
// strings (YYYY-MM-DD), not SCIM dateTimes. Properties an organization
// requires are optional here: directories are not held to them.
func customSchema(org *directory.Org) schema.Schema {
	s := schema.Schema{
		ID: customURN, Name: optional.NewString("RosterUser"),
		Description: optional.NewString("The organization's custom user properties."),
	}
	if org == nil {
		return s
	}
	for _, p := range org.UserProperties {
		if !validAttrName.MatchString(p.Key) {
			continue
		}
		desc := optional.NewString(p.Label)
		var a schema.SimpleParams
		switch p.Type {
		case directory.PropertyNumber:
			a = schema.SimpleNumberParams(schema.NumberParams{Name: p.Key, Description: desc, Type: schema.AttributeTypeDecimal()})
		case directory.PropertyBoolean:
			a = schema.SimpleBooleanParams(schema.BooleanParams{Name: p.Key, Description: desc})
		case directory.PropertyDate:
			a = schema.SimpleStringParams(schema.StringParams{
				Name: p.Key, Description: optional.NewString(strings.TrimSpace(p.Label + " (a date: YYYY-MM-DD)")),
			})
		default:
			a = schema.SimpleStringParams(schema.StringParams{Name: p.Key, Description: desc})
		}
		s.Attributes = append(s.Attributes, schema.SimpleCoreAttribute(a))
	}
	return s
}

func coreGroupSchema() schema.Schema {
	return schema.Schema{
		ID: groupURN, Name: optional.NewString("Group"), Description: optional.NewString("Group"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name: "displayName", Required: true, Uniqueness: schema.AttributeUniquenessServer(),
				Description: optional.NewString("The group's name, unique in the organization regardless of case."),
			})),
			schema.ComplexCoreAttribute(schema.ComplexParams{
				Name: "members", MultiValued: true, Description: optional.NewString("The users in the group."),
				SubAttributes: []schema.SimpleParams{
					schema.SimpleStringParams(schema.StringParams{
						Name: "value", CaseExact: true, Mutability: schema.AttributeMutabilityImmutable(),
						Description: optional.NewString("The user's id."),
					}),
					schema.SimpleReferenceParams(schema.ReferenceParams{
						Name: "$ref", ReferenceTypes: []schema.AttributeReferenceType{"User"},
						Mutability: schema.AttributeMutabilityImmutable(),
					}),
					readOnlyStr("display", "The user's displayName, or userName."),
					schema.SimpleStringParams(schema.StringParams{
						Name: "type", CanonicalValues: []string{"User"}, Mutability: schema.AttributeMutabilityImmutable(),
						Description: optional.NewString("Always User: groups do not nest."),
					}),
				},
			}),
		},
	}
}
