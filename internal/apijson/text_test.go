package apijson

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestBadTextIsRefusedNamingTheField(t *testing.T) {
	type inner struct {
		Department string `json:"department"`
	}
	type body struct {
		Name  string            `json:"name"`
		Inner inner             `json:"enterprise"`
		List  []string          `json:"list"`
		Map   map[string]string `json:"map"`
	}
	for _, c := range []struct{ doc, field, message string }{
		{`{"name":"a\u0000b"}`, "name", `field "name" must not contain NUL characters`},
		{"{\"name\":\"a\xffb\"}", "name", `field "name" is not valid UTF-8`},
		{"{\"name\":\"ok\",\"enterprise\":{\"department\":\"\xc3\"}}", "enterprise.department", "is not valid UTF-8"},
		{`{"list":["ok","x\u0000"]}`, "list[1]", "must not contain NUL"},
		{`{"map":{"k\u0000":"v"}}`, "map.k\x00", "must not contain NUL"},
		{"{\"map\":{\"k\xfe\":\"v\"}}", "map.k\ufffd", "is not valid UTF-8"},
	} {
		var v body
		err := Unmarshal([]byte(c.doc), &v)
		var de *directory.Error
		if !errors.As(err, &de) || de.Code != directory.CodeInvalid || de.Field != c.field || !errors.Is(err, ErrText) {
			t.Errorf("%q: %v (field %q), want invalid %q", c.doc, err, fieldOf(de), c.field)
			continue
		}
		if !strings.Contains(de.Message, c.message) {
			t.Errorf("%q: message %q, want %q", c.doc, de.Message, c.message)
		}
	}
	// Line breaks and other escapes stay valid JSON text; the domain decides
	// where they may go.
	var v body
	if err := Unmarshal([]byte(`{"name":"a\nb \u00e9 \ud83d\ude00"}`), &v); err != nil || v.Name != "a\nb é 😀" {
		t.Fatalf("valid text refused: %v %q", err, v.Name)
	}
}

func TestCheckURL(t *testing.T) {
	for target, field := range map[string]string{
		"/api/v1/users/a%00b":          "path",
		"/api/v1/users/%ff":            "path",
		"/api/v1/users?q=%00":          "q",
		"/api/v1/users?q=ok&sort=%C3":  "sort",
		"/api/v1/users?%00=1":          "query",
		"/api/v1/users?q=caf%C3%A9":    "",
		"/api/v1/users/0190-ab?q=a%20": "",
	} {
		err := CheckURL(httptest.NewRequest(http.MethodGet, target, nil))
		var de *directory.Error
		errors.As(err, &de)
		if fieldOf(de) != field || (field != "" && !errors.Is(err, ErrText)) {
			t.Errorf("%s: %v, want field %q", target, err, field)
		}
	}
}

func fieldOf(de *directory.Error) string {
	if de == nil {
		return ""
	}
	return de.Field
}
