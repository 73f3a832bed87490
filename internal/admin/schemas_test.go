package admin

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type genInner struct {
	N int `json:"n"`
}

type genEmbedded struct {
	Extra string `json:"extra,omitempty"`
}

type genAnswer struct {
	genEmbedded
	Name     string            `json:"name" doc:"What it is called."`
	When     time.Time         `json:"when"`
	Ended    *time.Time        `json:"ended"`
	Later    *time.Time        `json:"later,omitempty"`
	Tags     []string          `json:"tags,omitempty"`
	Counts   map[string]int    `json:"counts"`
	Any      map[string]any    `json:"any,omitempty"`
	Settings json.RawMessage   `json:"settings,omitempty"`
	Inner    genInner          `json:"inner"`
	Inners   []*genInner       `json:"inners,omitempty"`
	Ratio    float64           `json:"ratio,omitempty"`
	Hidden   string            `json:"-"`
	ByName   map[string]string `json:"byName,omitempty"`
	private  bool
}

// TestSchemasAreGeneratedFromTypes: json tags name the properties,
// omitempty and pointers make them optional, a nil pointer may be null,
// time.Time is a date-time, json.RawMessage an object, and a doc tag
// describes a property.
func TestSchemasAreGeneratedFromTypes(t *testing.T) {
	t.Parallel()
	s := &schemas{names: map[reflect.Type]string{reflect.TypeFor[genInner](): "Inner"}, components: map[string]any{}, requests: map[reflect.Type]bool{}}
	_ = genAnswer{}.private
	got := s.of(reflect.TypeFor[*genAnswer]())
	inner := map[string]any{"$ref": "#/components/schemas/Inner"}
	want := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"extra":    map[string]any{"type": "string"},
			"name":     map[string]any{"type": "string", "description": "What it is called."},
			"when":     map[string]any{"type": "string", "format": "date-time"},
			"ended":    map[string]any{"type": []string{"string", "null"}, "format": "date-time"},
			"later":    map[string]any{"type": "string", "format": "date-time"},
			"tags":     map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"counts":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}},
			"any":      map[string]any{"type": "object", "additionalProperties": true},
			"settings": map[string]any{"type": "object"},
			"inner":    inner,
			"inners":   map[string]any{"type": "array", "items": inner},
			"ratio":    map[string]any{"type": "number"},
			"byName":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		},
		"required": []string{"name", "when", "counts", "inner"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}},
		"required": []string{"n"}}, s.components["Inner"]); diff != "" {
		t.Errorf("the named type's component (-want +got):\n%s", diff)
	}
	if err := s.err(); err != nil {
		t.Error(err)
	}

	// A request type requires nothing by its type alone.
	s.requests[reflect.TypeFor[genAnswer]()] = true
	if req := s.build(reflect.TypeFor[genAnswer]()); req["required"] != nil {
		t.Errorf("a request body requires %v", req["required"])
	}
	// A type with no JSON shape is an error, not a silent {}.
	s.of(reflect.TypeFor[chan int]())
	if s.err() == nil {
		t.Error("a channel got a schema")
	}
}
