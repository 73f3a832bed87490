package apijson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
)

// Decode reads the body of r, one JSON object, into v. It is strict, so
// that a client's mistake is named rather than silently ignored: the
// content type must be JSON (which also keeps cross-site forms out), a
// body over limit bytes is refused with CodeTooLarge (413), and unknown
// fields, a key given twice in one object (at any depth), NUL or invalid
// UTF-8 in any string, trailing data and malformed JSON are refused with
// CodeInvalid (400), naming the field where there is one.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeBody(w, r, limit, v, false)
}

// DecodeOptional is Decode for a body that may be left out: an empty body
// (whatever its content type) leaves v as it is.
func DecodeOptional(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeBody(w, r, limit, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any, optional bool) error {
	const wrongType = "send the body as application/json"
	if !optional && !isJSON(r.Header.Get("Content-Type")) {
		return directory.Errorf(directory.CodeInvalid, wrongType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return directory.Errorf(directory.CodeTooLarge, "the body is larger than %d bytes", limit)
		}
		return directory.Errorf(directory.CodeInvalid, "the body cannot be read: %v", err)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return directory.Errorf(directory.CodeInvalid, wrongType)
	}
	return Unmarshal(body, v)
}

func isJSON(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// Unmarshal is the strict decoding of Decode without HTTP: data must hold
// exactly one JSON value that fits v, with no unknown field and no key
// given twice in one object.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return directory.Errorf(directory.CodeInvalid, "the body holds more than one JSON value")
	}
	return CheckDuplicates(data, reflect.TypeOf(v))
}

// CheckDuplicates refuses a JSON document that holds a string (key or
// value) with NUL or invalid UTF-8 (wrapping ErrText), or in which one
// object gives a key twice, which encoding/json would otherwise settle silently by keeping
// the last. t, the Go type the document decodes into (or nil), says where
// keys name struct fields, which encoding/json matches without regard to
// case: there "name" and "Name" are the same key. Elsewhere (maps, any,
// json.RawMessage) keys are compared exactly. The error names the key by
// its path, such as "enterprise.department" or "users[2].email". data
// must be valid JSON.
func CheckDuplicates(data []byte, t reflect.Type) error {
	return checkDuplicates(data, t, false)
}

// CheckDuplicatesFold is CheckDuplicates for documents whose keys are
// case-insensitive everywhere, as SCIM attribute names are (RFC 7643
// section 2.1): "userName" and "USERNAME" in one object are the same key
// given twice. data must be valid JSON.
func CheckDuplicatesFold(data []byte) error {
	// The one-pass scanner finds duplicates only; a document that may
	// hold NUL or invalid UTF-8 takes the walk, which names the field.
	// data is valid JSON, as the caller checked (SCIM's middleware).
	if utf8.Valid(data) && !bytes.Contains(data, []byte(`\u0000`)) {
		if at, dup := duplicateFold(data); dup {
			return directory.FieldErrorf(directory.CodeInvalid, at, "field %q is given more than once", at)
		}
		return nil
	}
	return checkDuplicates(data, nil, true)
}

func checkDuplicates(data []byte, t reflect.Type, fold bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, fold: fold, badUTF8: invalidUTF8At(data)}
	if err := w.walk("", t); err != nil {
		var de *directory.Error
		if errors.As(err, &de) {
			return err
		}
		return decodeError(err)
	}
	return nil
}

// walker reads a JSON document token by token.
type walker struct {
	dec *json.Decoder
	// fold says that keys differing only in case are the same key.
	fold bool
	// badUTF8 is the offset of the document's first byte that is not
	// valid UTF-8, or -1. encoding/json would quietly turn it into U+FFFD.
	badUTF8 int64
}

// invalidUTF8At returns the offset of the first byte of data that is not
// valid UTF-8, or -1.
func invalidUTF8At(data []byte) int64 {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return int64(i)
		}
		i += n
	}
	return -1
}

// checkText refuses a string (key or value) that ends at the decoder's
// offset and holds NUL or the document's invalid UTF-8: no store keeps
// them alike (PostgreSQL refuses NUL, SQLite keeps it), and no attribute
// needs them. path names the value.
func (w *walker) checkText(tok json.Token, path string) error {
	str, ok := tok.(string)
	if !ok {
		return nil
	}
	var e *directory.Error
	switch {
	case w.badUTF8 >= 0 && w.dec.InputOffset() > w.badUTF8:
		e = directory.FieldErrorf(directory.CodeInvalid, path, "%s is not valid UTF-8", describe(path))
	case strings.IndexByte(str, 0) >= 0:
		e = directory.FieldErrorf(directory.CodeInvalid, path, "%s must not contain NUL characters", describe(path))
	default:
		return nil
	}
	e.Err = ErrText
	return e
}

// ErrText is wrapped by the error for a JSON string that holds NUL or
// invalid UTF-8, so that a transport can tell it from a key given twice.
var ErrText = errors.New("text with NUL or invalid UTF-8")

func describe(path string) string {
	if path == "" {
		return "the body"
	}
	return "field " + strconv.Quote(path)
}

// walk reads one value from dec, of Go type t (nil when unknown): it
// refuses a key given twice in any object within it (with fold, keys that
// differ only in case are the same), and text that no attribute may hold
// (see checkText).
func (w *walker) walk(path string, t reflect.Type) error {
	dec, fold := w.dec, w.fold
	t = deref(t)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if err := w.checkText(tok, path); err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]field
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = structFields(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if err := w.checkText(tok, join(path, key)); err != nil {
				return err
			}
			name, sub := key, elem
			if fields != nil {
				if f, ok := lookup(fields, key); ok {
					name, sub = f.name, f.typ
				}
			}
			if fold {
				name = strings.ToLower(name)
			}
			at := join(path, key)
			if seen[name] {
				return directory.FieldErrorf(directory.CodeInvalid, at, "field %q is given more than once", at)
			}
			seen[name] = true
			if err := w.walk(at, sub); err != nil {
				return err
			}
		}
		_, err = dec.Token() // }
		return err
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := w.walk(path+"["+strconv.Itoa(i)+"]", elem); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ]
		return err
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return nil
	}
	return t
}

// field is a struct field as JSON sees it.
type field struct {
	name string
	typ  reflect.Type
}

// lookup finds the field a key decodes into the way encoding/json does:
// an exact match first, then one that differs only in case.
func lookup(fields map[string]field, key string) (field, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return field{}, false
}

// structFields indexes Fields(t) by name.
func structFields(t reflect.Type) map[string]field {
	fs := Fields(t)
	out := make(map[string]field, len(fs))
	for _, f := range fs {
		out[f.Name] = field{name: f.Name, typ: f.Type}
	}
	return out
}

// Field is one field of a struct as encoding/json reads and writes it.
type Field struct {
	Name string
	Type reflect.Type
	// OmitEmpty is set by the omitempty or omitzero option.
	OmitEmpty bool
	// Tag is the Go field's whole tag, for other keys (doc:"…").
	Tag reflect.StructTag
}

// Fields lists the JSON fields of a struct type in order, with the fields
// of embedded structs promoted unless the outer struct has a field of the
// same name, as encoding/json does. Both the strict decoder and the API's
// schema generator read it, so that they agree on what a body holds.
func Fields(t reflect.Type) []Field {
	var out []Field
	var promoted []Field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			if et := deref(sf.Type); et != nil && et.Kind() == reflect.Struct {
				promoted = append(promoted, Fields(et)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, Field{Name: name, Type: sf.Type, Tag: sf.Tag,
			OmitEmpty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")})
	}
	for _, f := range promoted {
		if !slices.ContainsFunc(out, func(o Field) bool { return o.Name == f.Name }) {
			out = append(out, f)
		}
	}
	return out
}

// decodeError says what encoding/json found wrong, naming the field when
// it can.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return directory.Errorf(directory.CodeInvalid, "the body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return directory.Errorf(directory.CodeInvalid, "the body is not valid JSON: %v", err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return directory.Errorf(directory.CodeInvalid, "the body must be a JSON object")
		}
		return directory.FieldErrorf(directory.CodeInvalid, field, "%s must be a %s", field, jsonKind(typ.Type.Kind()))
	}
	const unknown = "json: unknown field "
	if msg, ok := strings.CutPrefix(err.Error(), unknown); ok {
		name, _ := strconv.Unquote(msg)
		return directory.FieldErrorf(directory.CodeInvalid, name, "unknown field %s", msg)
	}
	return directory.Errorf(directory.CodeInvalid, "the body cannot be read: %v", err)
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list"
	}
	return "object"
}
