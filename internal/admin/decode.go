package admin

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/directory"
)

// decode reads one JSON object from the body into v. It insists on a JSON
// content type (which also keeps cross-site forms out), refuses unknown
// fields, trailing data and bodies over the limit, each with a message that
// says what was wrong.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return directory.Errorf(directory.CodeInvalid, "send the body as application/json")
		}
	} else {
		return directory.Errorf(directory.CodeInvalid, "send the body as application/json")
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, h.cfg.MaxBodyBytes)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err, h.cfg.MaxBodyBytes)
		}
		return directory.Errorf(directory.CodeInvalid, "the body holds more than one JSON value")
	}
	return nil
}

func decodeError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return directory.Errorf(directory.CodeTooLarge, "the body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return directory.Errorf(directory.CodeInvalid, "the body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return directory.Errorf(directory.CodeInvalid, "the body is not valid JSON: %v", err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return directory.Errorf(directory.CodeInvalid, "the body must be a JSON object")
		}
		return directory.FieldErrorf(directory.CodeInvalid, field, "%s must be a %s", field, jsonKind(typ.Type.Kind().String()))
	}
	if msg := err.Error(); len(msg) > len("json: unknown field ") && msg[:len("json: unknown field ")] == "json: unknown field " {
		name, _ := strconv.Unquote(msg[len("json: unknown field "):])
		return directory.FieldErrorf(directory.CodeInvalid, name, "unknown field %s", msg[len("json: unknown field "):])
	}
	return directory.Errorf(directory.CodeInvalid, "the body cannot be read: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64":
		return "number"
	case "slice":
		return "list"
	}
	return "object"
}

// queryInt reads an optional integer query parameter within [min, max].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, directory.FieldErrorf(directory.CodeInvalid, name, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}
