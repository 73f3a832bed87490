package apijson

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

type testEnterprise struct {
	Department string `json:"department"`
	Manager    string `json:"manager,omitempty"`
}

type testEmbedded struct {
	Note string `json:"note"`
}

type testBody struct {
	testEmbedded
	Name       string            `json:"name"`
	Age        int               `json:"age"`
	Admin      *bool             `json:"admin"`
	Tags       []string          `json:"tags"`
	Enterprise *testEnterprise   `json:"enterprise"`
	Rows       []testEnterprise  `json:"rows"`
	Labels     map[string]string `json:"labels"`
	Settings   json.RawMessage   `json:"settings"`
	Extra      any               `json:"extra"`
}

func TestUnmarshal(t *testing.T) {
	for _, c := range []struct {
		name  string
		body  string
		field string // "" for a valid body
		msg   string
	}{
		{"a plain object is read", `{"name":"ada","age":36}`, "", ""},
		{"nested objects and lists are read", `{"enterprise":{"department":"R&D"},"rows":[{"department":"a"},{"department":"b"}],"labels":{"a":"1","A":"2"}}`, "", ""},
		{"keys that differ in case are distinct in a map", `{"labels":{"x":"1","X":"2"},"settings":{"k":1,"K":2},"extra":{"k":1,"K":2}}`, "", ""},
		{"the same key in sibling objects is fine", `{"rows":[{"department":"a"},{"department":"a"}]}`, "", ""},
		{"a duplicate top-level key is refused", `{"name":"a","name":"b"}`, "name", "given more than once"},
		{"a duplicate that differs in case names one struct field", `{"name":"a","Name":"b"}`, "Name", "given more than once"},
		{"a duplicate in a nested object is named by its path", `{"enterprise":{"department":"a","department":"b"}}`, "enterprise.department", "given more than once"},
		{"a duplicate in a list element is named with its index", `{"rows":[{"department":"a"},{"manager":"m","manager":"n"}]}`, "rows[1].manager", "given more than once"},
		{"a duplicate map key is refused", `{"labels":{"a":"1","a":"2"}}`, "labels.a", "given more than once"},
		{"a duplicate inside raw settings is refused", `{"settings":{"host":"a","host":"b"}}`, "settings.host", "given more than once"},
		{"a duplicate deep inside any is refused", `{"extra":[{"a":{"b":1,"b":2}}]}`, "extra[0].a.b", "given more than once"},
		{"a duplicate promoted field is refused", `{"note":"a","note":"b"}`, "note", "given more than once"},
		{"an unknown field is named", `{"name":"a","isRoot":true}`, "isRoot", "unknown field"},
		{"an unknown nested field is refused", `{"enterprise":{"dept":"a"}}`, "", "unknown field"},
		{"a wrong type is named", `{"age":"old"}`, "age", "must be a number"},
		{"a list where an object belongs is refused", `[1,2]`, "", "must be a JSON object"},
		{"trailing data is refused", `{"name":"a"} {"name":"b"}`, "", "more than one JSON value"},
		{"trailing garbage is refused", `{"name":"a"} x`, "", "not valid JSON"},
		{"malformed JSON is refused", `{"name":`, "", "not valid JSON"},
		{"an empty body is refused", ``, "", "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v testBody
			err := Unmarshal([]byte(c.body), &v)
			if c.msg == "" {
				if err != nil {
					t.Fatalf("Unmarshal(%s) = %v", c.body, err)
				}
				return
			}
			var de *directory.Error
			if !errors.As(err, &de) || de.Code != directory.CodeInvalid {
				t.Fatalf("Unmarshal(%s) = %v, want an invalid error", c.body, err)
			}
			if !strings.Contains(de.Message, c.msg) || (c.field != "" && de.Field != c.field) {
				t.Errorf("Unmarshal(%s) = field %q %q, want field %q and %q", c.body, de.Field, de.Message, c.field, c.msg)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name        string
		contentType string
		body        string
		optional    bool
		status      int
		msg         string
	}{
		{"a JSON body is read", "application/json", `{"name":"a"}`, false, 0, ""},
		{"a charset parameter is fine", "application/json; charset=utf-8", `{"name":"a"}`, false, 0, ""},
		{"no content type is refused", "", `{"name":"a"}`, false, 400, "application/json"},
		{"a form is refused", "application/x-www-form-urlencoded", `name=a`, false, 400, "application/json"},
		{"a body over the limit is refused", "application/json", `{"name":"` + strings.Repeat("a", 100) + `"}`, false, 413, "larger than 64 bytes"},
		{"a duplicate key is refused", "application/json", `{"name":"a","name":"b"}`, false, 400, "more than once"},
		{"an optional empty body needs no content type", "", "  ", true, 0, ""},
		{"an optional body, when given, is checked", "text/plain", `{"name":"a"}`, true, 400, "application/json"},
		{"an optional body refuses duplicates", "application/json", `{"age":1,"age":2}`, true, 400, "more than once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			var v testBody
			decode := Decode
			if c.optional {
				decode = DecodeOptional
			}
			err := decode(httptest.NewRecorder(), r, 64, &v)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("decode = %v", err)
				}
				return
			}
			if Status(err) != c.status || !strings.Contains(directory.ErrorMessage(err), c.msg) {
				t.Errorf("decode = %d %v, want %d and %q", Status(err), err, c.status, c.msg)
			}
		})
	}
}

// FuzzUnmarshal checks that the strict decoder never panics, answers
// every refusal as a client error, and, when it accepts a body, reads it
// as encoding/json does.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","age":1,"tags":["x"],"enterprise":{"department":"d"}}`,
		`{"name":"a","name":"b"}`, `{"rows":[{"manager":"m","Manager":"n"}]}`,
		`{"labels":{"a":"1","A":"2"}}`, `{"settings":{"a":[{"b":1,"b":2}]}}`,
		`{"extra":[[[{}]]]}`, `{} {}`, `[`, `"x"`, `null`, `{"note":"n","admin":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict testBody
		err := Unmarshal(data, &strict)
		if err != nil {
			if Status(err) != http.StatusBadRequest {
				t.Fatalf("Unmarshal(%q) = %v, status %d, want 400", data, err, Status(err))
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Unmarshal accepted invalid JSON %q", data)
		}
		var loose testBody
		if err := json.Unmarshal(data, &loose); err != nil {
			t.Fatalf("Unmarshal accepted %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(strict, loose) {
			t.Fatalf("Unmarshal(%q) = %+v, encoding/json reads %+v", data, strict, loose)
		}
	})
}

// objectOfKeys is an object of n keys k0…, and then dup if not "".
func objectOfKeys(n int, dup string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"K%d":%d,`, i, i)
	}
	if dup != "" {
		fmt.Fprintf(&b, `%q:0,`, dup)
	}
	b.WriteString(`"last":[]}`)
	return b.String()
}

// FuzzCheckDuplicatesFold checks the one-pass scan of CheckDuplicatesFold
// against the walk through encoding/json's tokens that CheckDuplicates
// makes, on any valid document.
func FuzzCheckDuplicatesFold(f *testing.F) {
	for _, doc := range []string{`{"a":1,"A":2}`, `[{"x":[{"y":1,"Y":2}]}]`, `{"\u0041":1,"a":2}`, objectOfKeys(20, "k19"), `"s"`, `3`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got, want := CheckDuplicatesFold(data), checkDuplicates(data, nil, true)
		var g, w *directory.Error
		errors.As(got, &g)
		errors.As(want, &w)
		if (g == nil) != (w == nil) || (g != nil && g.Field != w.Field) {
			t.Fatalf("CheckDuplicatesFold(%q) = %v, the token walk finds %v", data, got, want)
		}
	})
}

func TestCheckDuplicatesFold(t *testing.T) {
	for _, tc := range []struct {
		doc, field string // field "" for no duplicate
	}{
		{`{"userName":"a","displayName":"b"}`, ""},
		{`{"userName":"a","userName":"b"}`, "userName"},
		{`{"userName":"a","USERNAME":"b"}`, "USERNAME"},
		{`{"emails":[{"value":"a"},{"value":"b"}]}`, ""},
		{`{"emails":[{"value":"a","Value":"b"}]}`, "emails[0].Value"},
		{`[{"a":1},{"a":1,"A":2}]`, "[1].A"},
		{`{"user\u004eame":"a","username":"b"}`, "username"},
		{`{"ÄRGER":1,"ärger":2}`, "ärger"},
		{`{"a":{"b":[1,{"c":true,"C":null}]}}`, "a.b[1].C"},
		{`{"a":"}\"{","b":[-1.5e3,"]"],"c":{}}`, ""},
		{objectOfKeys(40, "k3"), "k3"},
		{objectOfKeys(40, ""), ""},
	} {
		err := CheckDuplicatesFold([]byte(tc.doc))
		var de *directory.Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v, want no error", tc.doc, err)
		case tc.field != "" && (!errors.As(err, &de) || de.Field != tc.field):
			t.Errorf("%s: %v, want a duplicate named %q", tc.doc, err, tc.field)
		}
	}
	// The empty key is a key like any other.
	var de *directory.Error
	if err := CheckDuplicatesFold([]byte(`{"":1,"":2}`)); !errors.As(err, &de) || de.Field != "" {
		t.Errorf(`{"":1,"":2}: %v, want a duplicate of the empty key`, err)
	}
}
