package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestEveryServedRouteHasAPermissionAndSchemas walks the patterns the
// mux serves: each belongs to a route of the table with a permission, and
// the document gives it a request body unless it declares noBody, and a
// success answer with content unless it answers noBody or redirects.
func TestEveryServedRouteHasAPermissionAndSchemas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t), withImporter(0))
	doc := openAPI(t, e)
	if len(e.h.patterns) != len(e.h.routes) {
		t.Fatalf("the mux serves %d patterns for %d routes", len(e.h.patterns), len(e.h.routes))
	}
	for i, pattern := range e.h.patterns {
		rt := e.h.routes[i]
		t.Run(pattern, func(t *testing.T) {
			if pattern != rt.method+" "+Prefix+rt.path {
				t.Fatalf("pattern of route %s %s", rt.method, rt.path)
			}
			if rt.perm == permNone || len(permRoles(rt.perm)) == 0 {
				t.Errorf("no permission")
			}
			if rt.bind.in == nil || rt.bind.out == nil || rt.bind.serve == nil {
				t.Fatalf("not bound to body types")
			}
			op := doc.Paths[Prefix+rt.path][strings.ToLower(rt.method)]
			if op == nil {
				t.Fatalf("not in the document")
			}
			if len(op.Roles) == 0 || op.Summary == "" {
				t.Errorf("documented without roles or summary")
			}
			if (rt.bind.in == noBodyType) != (op.RequestBody == nil) {
				t.Errorf("request body %s, documented %v", rt.bind.in, op.RequestBody != nil)
			}
			if op.RequestBody != nil && len(op.RequestBody.Content) == 0 {
				t.Errorf("a request body without content")
			}
			ok := op.Responses[statusText(rt.successStatus())]
			if ok == nil {
				t.Fatalf("no %d answer documented", rt.successStatus())
			}
			if empty := rt.bind.out == noBodyType || rt.bind.out == redirectType; empty != (len(ok.Content) == 0) {
				t.Errorf("answer %s, documented content %v", rt.bind.out, ok.Content)
			}
			if op.Responses["default"] == nil {
				t.Errorf("no error answer documented")
			}
		})
	}
}

// TestEveryDocumentedRouteIsServed: each operation of the document reaches
// the pattern of its route.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t), withImporter(0))
	doc := openAPI(t, e)
	n := 0
	for path, item := range doc.Paths {
		for method := range item {
			n++
			target := pathParam.ReplaceAllString(path, "x1")
			_, pattern := e.h.mux.Handler(httptest.NewRequest(strings.ToUpper(method), target, nil))
			if pattern != strings.ToUpper(method)+" "+path {
				t.Errorf("%s %s reaches %q", strings.ToUpper(method), path, pattern)
			}
		}
	}
	if n != len(e.h.routes) {
		t.Errorf("the document has %d operations for %d routes", n, len(e.h.routes))
	}
}

// TestARouteWithoutAPermissionIsRefused: the zero permission is none, so a
// route that forgets it cannot be public by accident.
func TestARouteWithoutAPermissionIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := &handler{cfg: e.h.cfg, mux: http.NewServeMux()}
	if err := h.register([]route{{method: http.MethodGet, path: "/x", bind: manualRoute[noBody, noBody](h.openapi)}}); err == nil {
		t.Error("a route without a permission was registered")
	}
	if err := h.register([]route{{method: http.MethodGet, path: "/x", perm: permRead}}); err == nil {
		t.Error("a route without a handler was registered")
	}
}

// TestNamedSchemasMatchTheirTypes proves that each hand-written schema of
// schemas.json names exactly the JSON fields of its Go type.
func TestNamedSchemasMatchTheirTypes(t *testing.T) {
	t.Parallel()
	hand, err := handSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for name := range hand {
		if _, ok := schemaTypes[name]; !ok {
			t.Errorf("schemas.json defines %s, which no Go type is named", name)
		}
	}
	for name, typ := range schemaTypes {
		raw, ok := hand[name].(map[string]any)
		if !ok {
			continue
		}
		for ref, _ := raw["$ref"].(string); ref != ""; ref, _ = raw["$ref"].(string) {
			raw = hand[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		typ = deref(typ)
		if typ.Kind() != reflect.Struct {
			if raw["type"] == "object" {
				t.Errorf("%s is an object, its type %s is not a struct", name, typ)
			}
			continue
		}
		props, _ := raw["properties"].(map[string]any)
		var documented, fields []string
		for k := range props {
			documented = append(documented, k)
		}
		for _, f := range jsonFields(typ) {
			fields = append(fields, f.name)
		}
		slices.Sort(documented)
		slices.Sort(fields)
		if !slices.Equal(documented, fields) {
			t.Errorf("schema %s documents %v; its type %s has %v", name, documented, typ, fields)
		}
	}
}

type docOp struct {
	Summary     string   `json:"summary"`
	Roles       []string `json:"x-roles"`
	RequestBody *struct {
		Content map[string]any `json:"content"`
	} `json:"requestBody"`
	Responses map[string]*struct {
		Content map[string]any `json:"content"`
	} `json:"responses"`
}

type apiDoc struct {
	Paths map[string]map[string]*docOp `json:"paths"`
}

func openAPI(t *testing.T, e *env) apiDoc {
	t.Helper()
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).want(t, http.StatusOK)
	var doc apiDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func statusText(status int) string {
	b, _ := json.Marshal(status)
	return string(b)
}
