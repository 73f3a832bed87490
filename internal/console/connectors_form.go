package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/roster/roster/sync/engine"
)

// The connector form is built from the settings schema of the kind (GET
// /api/v1/connector-kinds gives the same): the console knows no kind's
// settings itself. Each property of the schema is one field named
// "settings.<name>", each secret of the kind one password field named
// "secret.<name>".

// schemaField is one setting of a kind as the form shows it.
type schemaField struct {
	Name, Title string
	// Type is the schema's: string, boolean, integer or array (of
	// strings, one a line).
	Type     string
	Enum     []string
	Required bool
	Min, Max *int
	// Value is what the form shows (what was typed, after a refusal).
	Value string
	Error string
}

// kindSchema is the part of a kind's JSON Schema the form reads.
type kindSchema struct {
	Required   []string `json:"required"`
	Properties map[string]struct {
		Type    string   `json:"type"`
		Title   string   `json:"title"`
		Enum    []string `json:"enum"`
		Minimum *int     `json:"minimum"`
		Maximum *int     `json:"maximum"`
	} `json:"properties"`
}

// schemaFields lists a kind's settings, the required ones first, then by
// name.
func schemaFields(k engine.KindInfo) ([]schemaField, error) {
	var s kindSchema
	if err := json.Unmarshal(k.Settings, &s); err != nil {
		return nil, fmt.Errorf("console: settings schema of %s: %w", k.Name, err)
	}
	required := map[string]bool{}
	for _, name := range s.Required {
		required[name] = true
	}
	out := make([]schemaField, 0, len(s.Properties))
	for name, p := range s.Properties {
		out = append(out, schemaField{Name: name, Title: p.Title, Type: p.Type, Enum: p.Enum,
			Required: required[name], Min: p.Minimum, Max: p.Maximum})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Required != out[j].Required {
			return out[i].Required
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// readSettings turns the form's settings fields into the kind's settings
// JSON, leaving out what is empty; fields are given the typed values, and
// an error when a value is not of the field's type.
func readSettings(r *http.Request, fields []schemaField) (json.RawMessage, bool) {
	settings := map[string]any{}
	ok := true
	for i := range fields {
		f := &fields[i]
		raw := r.PostFormValue("settings." + f.Name)
		f.Value = raw
		v := strings.TrimSpace(raw)
		switch f.Type {
		case "boolean":
			if raw == "on" {
				settings[f.Name] = true
			}
		case "integer":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || (f.Min != nil && n < *f.Min) || (f.Max != nil && n > *f.Max) {
				f.Error, ok = fmt.Sprintf("enter a whole number%s", bounds(f)), false
				continue
			}
			settings[f.Name] = n
		case "array":
			var list []string
			for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ',' }) {
				if s := strings.TrimSpace(line); s != "" {
					list = append(list, s)
				}
			}
			if len(list) > 0 {
				settings[f.Name] = list
			}
		default:
			if v == "" {
				if f.Required {
					f.Error, ok = "required", false
				}
				continue
			}
			settings[f.Name] = v
		}
	}
	b, err := json.Marshal(settings)
	if err != nil {
		return nil, false // strings, numbers and booleans always encode
	}
	return b, ok
}

func bounds(f *schemaField) string {
	switch {
	case f.Min != nil && f.Max != nil:
		return fmt.Sprintf(" from %d to %d", *f.Min, *f.Max)
	case f.Min != nil:
		return fmt.Sprintf(" of at least %d", *f.Min)
	}
	return ""
}
