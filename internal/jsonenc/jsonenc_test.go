package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
)

// Append must write byte for byte what json.Marshal writes.
func TestAppendIsJSONMarshal(t *testing.T) {
	for name, v := range map[string]any{
		"strings to escape": []any{"plain", `quote " and \ back`, "<b>&amp;</b>", "Zoë", "line\u2028sep", "ctl\u0001", "bad \xff UTF-8", ""},
		"numbers":           map[string]any{"int": 42, "int64": int64(-7), "zero": 0.0, "float": 0.25, "big": 1e21, "small": 1e-7, "number": json.Number("12.50")},
		"nested":            map[string]any{"b": map[string]any{"z": []string{"x", "y"}, "a": true}, "a": []map[string]any{{"k": nil}}},
		"odd keys":          map[string]any{"<b>": 1, "é": 2, "": 3, "a\"b": 4, "B": 5, "a": 6},
		"nil values":        map[string]any{"map": map[string]any(nil), "list": []any(nil), "strings": []string(nil), "maps": []map[string]any(nil)},
		"empty values":      map[string]any{"map": map[string]any{}, "list": []any{}, "strings": []string{}},
		"a struct":          struct{ A string }{"x"},
		"null":              nil,
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append([]byte("prefix:"), v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != "prefix:"+string(want) {
			t.Errorf("%s:\n got %s\nwant prefix:%s", name, got, want)
		}
	}
	for name, v := range map[string]any{
		"a function": map[string]any{"f": func() {}},
		"NaN":        []any{math.NaN()},
	} {
		if _, err := Append(nil, v); err == nil {
			t.Errorf("%s, which json.Marshal refuses, was encoded", name)
		}
	}
}

// Any string, and any map of strings, must come out as json.Marshal's.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"`, `\`, "<>&", "é", "\u2028", "\x00", "\xff", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, map[string]any{s: s, "k": []string{s}}} {
			want, _ := json.Marshal(v)
			got, err := Append(nil, v)
			if err != nil || string(got) != string(want) {
				t.Fatalf("Append(%q) = %s, %v; want %s", s, got, err, want)
			}
		}
	})
}

// Lists of strings, written without boxing each one, are json.Marshal's too.
func TestAppendListOfStrings(t *testing.T) {
	for _, list := range [][]string{nil, {}, {"a"}, {"urn:x", "<&>", "é", `q"b\`, ""}} {
		want, _ := json.Marshal(list)
		got, err := AppendList([]byte("p:"), list)
		if err != nil || string(got) != "p:"+string(want) {
			t.Errorf("AppendList(%q) = %s, %v; want p:%s", list, got, err, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = AppendList(make([]byte, 0, 64), []string{"a", "b", "c"})
	}); n > 1 {
		t.Errorf("%v allocations for three plain strings, want at most the buffer's", n)
	}
}
