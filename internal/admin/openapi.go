package admin

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

//go:embed schemas.json
var schemasJSON []byte

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openapiDoc builds the OpenAPI 3.1 document from the route table: each
// route's permission, parameters, and the schemas of the Go types its
// handler is bound to (see schemas.go), so that the document cannot
// drift from what the API does.
func (h *handler) openapiDoc() (map[string]any, error) {
	sc, err := newSchemas(h.routes)
	if err != nil {
		return nil, err
	}
	jsonContent := func(t reflect.Type) map[string]any {
		return map[string]any{"application/json": map[string]any{"schema": sc.of(t)}}
	}
	paths := map[string]any{}
	for _, rt := range h.routes {
		d := rt.doc
		status := rt.successStatus()
		ok := map[string]any{"description": http.StatusText(status)}
		switch out := rt.bind.out; out {
		case noBodyType, redirectType:
		case fileBodyType:
			ok["content"] = fileContent()
		default:
			ok["content"] = jsonContent(out)
		}
		op := map[string]any{
			"tags":        []string{d.tag},
			"summary":     d.summary,
			"operationId": operationID(rt.method, rt.path),
			"responses": map[string]any{
				strconv.Itoa(status): ok,
				"default":            map[string]any{"description": "An error", "content": jsonContent(errorType)},
			},
			"x-roles": permRoles(rt.perm),
		}
		if rt.perm == permPublic {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range d.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch in := rt.bind.in; in {
		case noBodyType:
		case fileBodyType:
			content := fileContent()
			content["multipart/form-data"] = map[string]any{"schema": map[string]any{
				"type": "object", "required": []string{"file"},
				"properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}},
			}}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		default:
			_, optional := reflect.New(in).Interface().(optionalBody)
			op["requestBody"] = map[string]any{"required": !optional, "content": jsonContent(in)}
		}
		if d.unprocessable != nil {
			op["responses"].(map[string]any)["422"] = map[string]any{
				"description": http.StatusText(http.StatusUnprocessableEntity), "content": jsonContent(d.unprocessable),
			}
		}
		item, _ := paths[Prefix+rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[Prefix+rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	if err := sc.err(); err != nil {
		return nil, err
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Roster API",
			"version": "1",
			"description": "Users, security settings, SCIM tokens, directory connectors, imports, usage and audit of an organization, " +
				"and the logins of its users. Errors have the Error shape. x-roles lists the roles that may call an operation.",
		},
		"servers": []any{map[string]any{"url": h.cfg.PublicURL}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": sc.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "A session token from login, or a personal API token."},
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"cookie": []any{}}},
	}, nil
}

// fileContent is the content of an import or export file: CSV or XLSX.
func fileContent() map[string]any {
	binary := map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
	return map[string]any{
		"text/csv": binary,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": binary,
	}
}

func permRoles(p perm) []string {
	switch p {
	case permPublic:
		return []string{"anonymous"}
	case permPending, permSelf:
		return []string{"org_admin", "org_viewer", "billing_admin", "user"}
	}
	var out []string
	for _, r := range roles[p] {
		out = append(out, string(r))
	}
	return out
}

// operationID is a stable name such as "postUsersIdSuspend".
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// openAPIDocument is the answer of GET /openapi.json.
type openAPIDocument map[string]any

// openapi serves the document NewHandler built: the routes do not change
// while the server runs.
func (h *handler) openapi(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(h.openapiJSON) // the status is sent; a broken connection is the client's
	return nil
}

// handSchemas reads the hand-written schemas, whose descriptions, formats
// and enumerations say more than a Go type can; a test proves each one
// names the fields of its type (see schemaTypes).
func handSchemas() (map[string]any, error) {
	var schemas map[string]any
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		return nil, fmt.Errorf("admin: schemas.json: %w", err)
	}
	return schemas, nil
}
