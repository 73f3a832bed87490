package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestOpenAPIDocumentDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	ops := 0
	for _, item := range paths {
		ops += len(item.(map[string]any))
	}
	if ops != len(e.h.routes) {
		t.Errorf("the document has %d operations, the API %d routes", ops, len(e.h.routes))
	}
	for _, rt := range e.h.routes {
		item, ok := paths[Prefix+rt.path].(map[string]any)
		if !ok || item[strings.ToLower(rt.method)] == nil {
			t.Errorf("%s %s is not documented", rt.method, rt.path)
		}
	}
	// Every reference resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && !resolves(doc, ref) {
				t.Errorf("unresolved reference %s", ref)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	var v any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestSchemasMatchTheResponses compares the documented properties of the
// main shapes with what the handlers send.
func TestSchemasMatchTheResponses(t *testing.T) {
	t.Parallel()
	var schemas map[string]struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"User": userView{MFA: &mfaView{}, ManagedBy: "scim", SourceRef: "x", Services: []string{"crm"}}, "Org": orgView{}, "MFA": mfaView{SMS: &smsFactorView{}},
		"SCIMToken": scimTokenView{Token: "x"}, "APIToken": apiTokenView{Token: "x"}, "AuditEvent": auditView{},
		"Usage": usageView{}, "SSO": ssoView{}, "Session": sessionView{Token: "x", Next: "x", Factors: []string{"totp"}}, "Enterprise": enterpriseView{},
		"CreateUser": createUserRequest{}, "UserPatch": userPatch{}, "Settings": settingsView{},
		"Code": codeRequest{Factor: "sms", Credential: json.RawMessage(`{}`)},
	} {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if _, ok := schemas[name].Properties[k]; !ok {
				t.Errorf("%s sends %q, which the schema does not document", name, k)
			}
		}
		for k := range schemas[name].Properties {
			if _, ok := got[k]; !ok {
				t.Errorf("the %s schema documents %q, which is never sent", name, k)
			}
		}
	}
}

// The served document tells clients which second factors a login's
// answer may list and how /auth/mfa takes each.
func TestOpenAPIDocumentsTheSecondFactors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum  []string `json:"enum"`
					Items struct {
						Enum []string `json:"enum"`
					} `json:"items"`
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	want := "totp,sms,passkey,recovery"
	factors := doc.Components.Schemas["Session"].Properties["factors"]
	if got := strings.Join(factors.Items.Enum, ","); got != want || !strings.Contains(factors.Description, "/auth/mfa") {
		t.Errorf("Session.factors: %+v", factors)
	}
	factor := doc.Components.Schemas["Code"].Properties["factor"]
	if got := strings.Join(factor.Enum, ","); got != want {
		t.Errorf("Code.factor: %+v", factor)
	}
	if _, ok := doc.Components.Schemas["Code"].Properties["credential"]; !ok {
		t.Error("Code has no credential for the passkey factor")
	}
	op := string(doc.Paths[Prefix+"/auth/mfa"]["post"])
	if !strings.Contains(op, "#/components/schemas/Code") || !strings.Contains(op, "passkey") {
		t.Errorf("POST /auth/mfa: %s", op)
	}
}
