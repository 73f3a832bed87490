package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/sync/engine"
)

// errorBody is every error answer: {"error": {"code", "message", "field"}}.
type errorBody struct {
	Error apijson.ErrorDetail `json:"error"`
}

var (
	errorType    = reflect.TypeFor[errorBody]()
	fileBodyType = reflect.TypeFor[fileBody]()
	redirectType = reflect.TypeFor[redirect]()
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
)

// schemaTypes names the body types of the API in the document's
// components. A name that schemas.json defines takes its hand-written
// schema (a test proves that it lists the fields of its type); the
// others are generated from the type by reflection: json tags name the
// properties, omitempty and pointers make them optional in answers, and a
// doc tag describes them.
var schemaTypes = map[string]reflect.Type{
	"Error":               errorType,
	"Login":               reflect.TypeFor[loginRequest](),
	"Session":             reflect.TypeFor[sessionView](),
	"Code":                reflect.TypeFor[codeRequest](),
	"Forgot":              reflect.TypeFor[forgotRequest](),
	"Message":             reflect.TypeFor[messageView](),
	"SetPassword":         reflect.TypeFor[setPasswordRequest](),
	"PasswordSet":         reflect.TypeFor[passwordSetView](),
	"Status":              reflect.TypeFor[directory.Status](),
	"Role":                reflect.TypeFor[roleRequest](),
	"RoleName":            reflect.TypeFor[directory.Role](),
	"Enterprise":          reflect.TypeFor[enterpriseView](),
	"MFA":                 reflect.TypeFor[mfaView](),
	"User":                reflect.TypeFor[userView](),
	"UserPage":            reflect.TypeFor[userPage](),
	"CreateUser":          reflect.TypeFor[createUserRequest](),
	"Email":               reflect.TypeFor[emailResult](),
	"CreatedUser":         reflect.TypeFor[createdUser](),
	"BulkCreate":          reflect.TypeFor[bulkCreateRequest](),
	"BulkDelete":          reflect.TypeFor[bulkDeleteRequest](),
	"BulkResult":          reflect.TypeFor[bulkResult](),
	"UserPatch":           reflect.TypeFor[userPatch](),
	"ProfilePatch":        reflect.TypeFor[profilePatch](),
	"PasswordChange":      reflect.TypeFor[passwordChange](),
	"Enrolment":           reflect.TypeFor[enrolmentView](),
	"SMSEnrol":            reflect.TypeFor[smsEnrolRequest](),
	"SMSSent":             reflect.TypeFor[smsSentView](),
	"SMSCode":             reflect.TypeFor[smsCodeRequest](),
	"RecoveryCodes":       reflect.TypeFor[recoveryCodesView](),
	"Name":                reflect.TypeFor[nameRequest](),
	"APIToken":            reflect.TypeFor[apiTokenView](),
	"APITokenList":        reflect.TypeFor[apiTokenList](),
	"PasskeyOptions":      reflect.TypeFor[passkeyOptionsView](),
	"PasskeyRegistration": reflect.TypeFor[passkeyRegistration](),
	"PasskeyAssertion":    reflect.TypeFor[passkeyAssertion](),
	"PasswordlessRequest": reflect.TypeFor[passwordlessRequest](),
	"Passkey":             reflect.TypeFor[passkeyView](),
	"PasskeyList":         reflect.TypeFor[passkeyList](),
	"RegisteredPasskey":   reflect.TypeFor[registeredPasskey](),
	"Reason":              reflect.TypeFor[reasonRequest](),
	"Unlock":              reflect.TypeFor[unlockRequest](),
	"MFARequire":          reflect.TypeFor[mfaRequireRequest](),
	"PasswordPolicy":      reflect.TypeFor[passwordPolicyView](),
	"Settings":            reflect.TypeFor[settingsView](),
	"SettingsPatch":       reflect.TypeFor[settingsPatch](),
	"Domain":              reflect.TypeFor[domainView](),
	"DomainInput":         reflect.TypeFor[domainInput](),
	"Domains":             reflect.TypeFor[domainsRequest](),
	"DomainList":          reflect.TypeFor[domainList](),
	"DomainAdd":           reflect.TypeFor[domainAdd](),
	"Property":            reflect.TypeFor[propertyView](),
	"PropertyPatch":       reflect.TypeFor[propertyPatch](),
	"PropertyList":        reflect.TypeFor[propertyList](),
	"RoleMapping":         reflect.TypeFor[directory.RoleMapping](),
	"RoleMappings":        reflect.TypeFor[roleMappings](),
	"Org":                 reflect.TypeFor[orgView](),
	"SSO":                 reflect.TypeFor[ssoView](),
	"SSORequest":          reflect.TypeFor[ssoRequest](),
	"SCIMToken":           reflect.TypeFor[scimTokenView](),
	"SCIMTokenList":       reflect.TypeFor[scimTokenList](),
	"Usage":               reflect.TypeFor[usageView](),
	"UsageHistory":        reflect.TypeFor[usageHistoryView](),
	"UsageDay":            reflect.TypeFor[directory.UsageDay](),
	"Service":             reflect.TypeFor[serviceView](),
	"ServiceList":         reflect.TypeFor[serviceList](),
	"ServiceRequest":      reflect.TypeFor[serviceRequest](),
	"ServiceSeats":        reflect.TypeFor[serviceSeatsView](),
	"ServiceAssign":       reflect.TypeFor[assignRequest](),
	"ServiceRef":          reflect.TypeFor[serviceRef](),
	"UserServices":        reflect.TypeFor[userServices](),
	"AssignResult":        reflect.TypeFor[assignResult](),
	"SetServices":         reflect.TypeFor[setServicesRequest](),
	"AuditEvent":          reflect.TypeFor[auditView](),
	"AuditPage":           reflect.TypeFor[auditPage](),

	"ImportProblem":   reflect.TypeFor[importer.Problem](),
	"ImportSummary":   reflect.TypeFor[importer.Summary](),
	"ImportCommitted": reflect.TypeFor[importCommitted](),
	"ImportRefused":   reflect.TypeFor[importRefused](),
	"ImportRun":       reflect.TypeFor[importRunView](),

	"Connector":      reflect.TypeFor[engine.ConnectorView](),
	"ConnectorInput": reflect.TypeFor[engine.ConnectorInput](),
	"ConnectorList":  reflect.TypeFor[connectorList](),
	"ConnectorCheck": reflect.TypeFor[checkResult](),
	"RoleRule":       reflect.TypeFor[directory.RoleRule](),
	"Run":            reflect.TypeFor[engine.Run](),
	"RunProgress":    reflect.TypeFor[engine.RunProgress](),
	"RunList":        reflect.TypeFor[runList](),
	"RunOptions":     reflect.TypeFor[runOptions](),
	"Plan":           reflect.TypeFor[engine.Plan](),
	"PlanItem":       reflect.TypeFor[engine.PlanItem](),

	"OpenAPI": reflect.TypeFor[openAPIDocument](),
}

// schemas builds the document's components from schemaTypes as routes
// refer to them.
type schemas struct {
	names      map[reflect.Type]string
	components map[string]any
	// requests are the request body types, whose fields are never
	// required by their type alone.
	requests map[reflect.Type]bool
	problems []error
}

func newSchemas(routes []route) (*schemas, error) {
	hand, err := handSchemas()
	if err != nil {
		return nil, err
	}
	s := &schemas{names: map[reflect.Type]string{}, components: hand, requests: map[reflect.Type]bool{}}
	for name, t := range schemaTypes {
		if other, ok := s.names[t]; ok {
			return nil, fmt.Errorf("admin: %s is named both %s and %s", t, name, other)
		}
		s.names[t] = name
	}
	for _, rt := range routes {
		s.requests[deref(rt.bind.in)] = true
	}
	return s, nil
}

func (s *schemas) err() error { return errors.Join(s.problems...) }

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// of is the schema of a body of type t: a reference to its component when
// it has a name, else the schema itself.
func (s *schemas) of(t reflect.Type) map[string]any {
	t = deref(t)
	if name, ok := s.names[t]; ok {
		if _, done := s.components[name]; !done {
			s.components[name] = map[string]any{} // for a type that refers to itself
			s.components[name] = s.build(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return s.build(t)
}

func (s *schemas) build(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object", "additionalProperties": true}
		}
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for _, f := range jsonFields(t) {
			p := s.of(f.typ)
			if f.typ.Kind() == reflect.Pointer && !f.omitempty {
				p = nullable(p)
			}
			if f.doc != "" {
				p["description"] = f.doc
			}
			props[f.name] = p
			if !f.optional && !s.requests[t] {
				required = append(required, f.name)
			}
		}
		out := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	}
	s.problems = append(s.problems, fmt.Errorf("admin: no JSON schema for %s", t))
	return map[string]any{}
}

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	name string
	typ  reflect.Type
	// optional fields are omitempty or pointers.
	optional  bool
	omitempty bool
	doc       string
}

// nullable lets a schema be null too, as a nil pointer is written.
func nullable(p map[string]any) map[string]any {
	if t, ok := p["type"].(string); ok {
		p["type"] = []string{t, "null"}
		return p
	}
	return map[string]any{"anyOf": []any{p, map[string]any{"type": "null"}}}
}

// jsonFields lists the fields of a struct type in order, with the fields
// of embedded structs promoted, as the strict decoder reads them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for _, f := range apijson.Fields(t) {
		out = append(out, jsonField{
			name: f.Name, typ: f.Type, doc: f.Tag.Get("doc"), omitempty: f.OmitEmpty,
			optional: f.OmitEmpty || f.Type.Kind() == reflect.Pointer,
		})
	}
	return out
}
