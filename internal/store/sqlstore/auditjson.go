package sqlstore

import (
	"fmt"
	"reflect"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jsonenc"
)

// appendChanges appends the JSON of an audit event's changes, byte for
// byte what json.Marshal writes (keys in order, before and after left out
// when nil, strings escaped for HTML), without its reflection: a bulk
// write encodes one a row. Values of other types than the plain ones
// audit events mostly hold are left to json.Marshal.
func appendChanges(b []byte, changes map[string]directory.Change) ([]byte, error) {
	return appendChangesIn(b, changes, true)
}

// appendChangesIn is appendChanges with the keys in map order unless
// sorted: a jsonb column keeps its keys in an order of its own.
func appendChangesIn(b []byte, changes map[string]directory.Change, sorted bool) ([]byte, error) {
	type field struct {
		key    string
		change directory.Change
	}
	fields := make([]field, 0, 16)
	for k, c := range changes {
		// Sorted as they come: a user's dozen or so fields sort faster
		// so than by a general sort.
		i := len(fields)
		fields = append(fields, field{})
		for ; sorted && i > 0 && fields[i-1].key > k; i-- {
			fields[i] = fields[i-1]
		}
		fields[i] = field{k, c}
	}
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, f.key)
		b = append(b, ":{"...)
		var err error
		if f.change.Before != nil {
			b = append(b, `"before":`...)
			if b, err = appendJSONValue(b, f.change.Before); err != nil {
				return nil, err
			}
		}
		if f.change.After != nil {
			if f.change.Before != nil {
				b = append(b, ',')
			}
			b = append(b, `"after":`...)
			if b, err = appendJSONValue(b, f.change.After); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// enterpriseKeys are the JSON keys json.Marshal writes for the fields of
// directory.Enterprise, in order, each with the punctuation before it.
// Every field is a plain string without a tag, so that a new one is
// written without an edit here.
var enterpriseKeys = func() []string {
	t := reflect.TypeFor[directory.Enterprise]()
	keys := make([]string, t.NumField())
	for i := range keys {
		f := t.Field(i)
		if f.Type != reflect.TypeFor[string]() || f.Tag != "" || !f.IsExported() {
			panic("sqlstore: directory.Enterprise holds a field appendJSONValue cannot write: " + f.Name)
		}
		keys[i] = `,"` + f.Name + `":`
	}
	keys[0] = "{" + keys[0][1:]
	return keys
}()

// appendJSONValue appends v as json.Marshal writes it: the domain's
// string types and Enterprise here, plain values by jsonenc.
func appendJSONValue(b []byte, value any) ([]byte, error) {
	switch v := value.(type) {
	case directory.Role:
		return jsonenc.AppendString(b, string(v)), nil
	case directory.AuthMethod:
		return jsonenc.AppendString(b, string(v)), nil
	case directory.Status:
		return jsonenc.AppendString(b, string(v)), nil
	case directory.Source:
		return jsonenc.AppendString(b, string(v)), nil
	case directory.Authority:
		return jsonenc.AppendString(b, string(v)), nil
	case directory.Enterprise:
		e := reflect.ValueOf(value)
		for i, key := range enterpriseKeys {
			b = append(b, key...)
			b = jsonenc.AppendString(b, e.Field(i).String())
		}
		return append(b, '}'), nil
	}
	b, err := jsonenc.Append(b, value)
	if err != nil {
		return nil, fmt.Errorf("encode JSON column: %w", err)
	}
	return b, nil
}
