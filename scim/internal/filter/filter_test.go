package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func attr(name string) AttrPath { return AttrPath{Name: name} }

func TestParse(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		name, in string
		want     Expr
	}{
		{"an equality", `userName eq "bjensen"`,
			Compare{attr("userName"), "eq", "bjensen"}},
		{"operators in any case", `userName Eq "A" AND title PR`,
			And{Compare{attr("userName"), "eq", "A"}, Compare{attr("title"), "pr", nil}}},
		{"every operator", `a ne "x" or a co "x" or a sw "x" or a ew "x" or a gt "x" or a ge "x" or a lt "x" or a le "x"`,
			Or{Compare{attr("a"), "ne", "x"}, Compare{attr("a"), "co", "x"}, Compare{attr("a"), "sw", "x"}, Compare{attr("a"), "ew", "x"},
				Compare{attr("a"), "gt", "x"}, Compare{attr("a"), "ge", "x"}, Compare{attr("a"), "lt", "x"}, Compare{attr("a"), "le", "x"}}},
		{"and binds tighter than or", `a eq "1" or b eq "2" and c eq "3"`,
			Or{Compare{attr("a"), "eq", "1"}, And{Compare{attr("b"), "eq", "2"}, Compare{attr("c"), "eq", "3"}}}},
		{"grouping and not", `userType eq "Employee" and (emails co "example.com" or not (title pr))`,
			And{Compare{attr("userType"), "eq", "Employee"}, Or{Compare{attr("emails"), "co", "example.com"}, Not{Compare{attr("title"), "pr", nil}}}}},
		{"a sub-attribute", `name.familyName co "O'Malley"`,
			Compare{AttrPath{Name: "name", Sub: "familyName"}, "co", "O'Malley"}},
		{"a schema URN", ent + `:employeeNumber eq "701984"`,
			Compare{AttrPath{URI: ent, Name: "employeeNumber"}, "eq", "701984"}},
		{"a URN with a sub-attribute", ent + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			Compare{AttrPath{URI: ent, Name: "manager", Sub: "value"}, "eq", "26118915-6090-4610-87e4-49d8ca9f808d"}},
		{"literals", `active eq true and x eq false and y eq null and n gt 2.5e3`,
			And{Compare{attr("active"), "eq", true}, Compare{attr("x"), "eq", false}, Compare{attr("y"), "eq", nil}, Compare{attr("n"), "gt", json.Number("2.5e3")}}},
		{"escapes in strings", `displayName eq "say \"hi\" \u00e9"`,
			Compare{attr("displayName"), "eq", `say "hi" é`}},
		{"a value path", `emails[type eq "work" and value co "@example.com"]`,
			ValuePath{attr("emails"), And{Compare{attr("type"), "eq", "work"}, Compare{attr("value"), "co", "@example.com"}}}},
		{"a value path of three terms with grouping", `emails[type eq "work" and (value ew ".org" or primary eq true) and not (display pr)]`,
			ValuePath{attr("emails"), And{Compare{attr("type"), "eq", "work"},
				Or{Compare{attr("value"), "ew", ".org"}, Compare{attr("primary"), "eq", true}}, Not{Compare{attr("display"), "pr", nil}}}}},
		{"Entra's value path with a trailing comparison", `emails[type eq "work"].value eq "user@contoso.com"`,
			ValuePath{attr("emails"), And{Compare{attr("type"), "eq", "work"}, Compare{attr("value"), "eq", "user@contoso.com"}}}},
		{"value paths joined", `members[value eq "a"] or members[value eq "b"]`,
			Or{ValuePath{attr("members"), Compare{attr("value"), "eq", "a"}}, ValuePath{attr("members"), Compare{attr("value"), "eq", "b"}}}},
		{"an attribute named like a keyword", `not eq "x"`,
			Compare{attr("not"), "eq", "x"}},
		{"meta dates", `meta.lastModified gt "2011-05-13T04:42:34Z"`,
			Compare{AttrPath{Name: "meta", Sub: "lastModified"}, "gt", "2011-05-13T04:42:34Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"an empty filter":             ``,
		"an unquoted value":           `externalId eq jyoung`,
		"a missing value":             `userName eq`,
		"an unknown operator":         `userName like "x"`,
		"an unterminated string":      `userName eq "x`,
		"an unbalanced parenthesis":   `(userName eq "x"`,
		"a stray parenthesis":         `userName eq "x")`,
		"nested value paths":          `emails[type[value eq "x"] eq "y"]`,
		"a URN inside a value path":   `emails[urn:x:type eq "work"]`,
		"a dangling and":              `userName eq "x" and`,
		"a malformed number":          `x eq 1.2.3`,
		"a bare not":                  `not userName eq "x"`,
		"an attribute starting badly": `1abc eq "x"`,
		"too many dots":               `a.b.c eq "x"`,
		"deep nesting":                strings.Repeat("(", 40) + `a eq "x"` + strings.Repeat(")", 40),
		"an oversized filter":         `a eq "` + strings.Repeat("x", MaxLength) + `"`,
		"a control character":         "a eq \"x\" \x00",
	} {
		t.Run(name, func(t *testing.T) {
			if e, err := Parse(in); err == nil {
				t.Errorf("Parse(%q) = %#v, want an error", in, e)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		in   string
		want Path
	}{
		{`userName`, Path{Attr: attr("userName")}},
		{`name.givenName`, Path{Attr: AttrPath{Name: "name", Sub: "givenName"}}},
		{ent + `:manager`, Path{Attr: AttrPath{URI: ent, Name: "manager"}}},
		{`members[value eq "2819c223"]`, Path{Attr: attr("members"), Filter: Compare{attr("value"), "eq", "2819c223"}}},
		{`emails[type eq "work"].value`, Path{Attr: AttrPath{Name: "emails", Sub: "value"}, Filter: Compare{attr("type"), "eq", "work"}}},
		{`addresses[type eq "work" and primary eq true].postalCode`, Path{Attr: AttrPath{Name: "addresses", Sub: "postalCode"},
			Filter: And{Compare{attr("type"), "eq", "work"}, Compare{attr("primary"), "eq", true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePath (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{``, `name.givenName[type eq "x"]`, `emails[type eq "work"]extra`, `emails[`, `a b`} {
		if p, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", bad, p)
		}
	}
}

// FuzzParse checks that no input makes the parsers panic or loop.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`userName eq "bjensen"`, `emails[type eq "work"].value eq "a@b.c"`, `not (a pr) or (b gt 1 and c le "x")`,
		`members[value eq "x" or value eq "y"]`, `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "J"`,
		`a eq "\u00e9\"`, `((((`, `a[b[c]]`, `x eq -1e-9`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s)
		_, _ = ParsePath(s)
	})
}
