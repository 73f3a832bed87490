package sqlstore

import (
	"fmt"

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

// appendJSONValue appends v as json.Marshal writes it: the domain's
// string types and Enterprise here, plain values by jsonenc.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
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
		for _, f := range [...]struct{ name, v string }{
			{`{"EmployeeNumber":`, v.EmployeeNumber}, {`,"CostCenter":`, v.CostCenter},
			{`,"Organization":`, v.Organization}, {`,"Division":`, v.Division},
			{`,"Department":`, v.Department}, {`,"ManagerID":`, v.ManagerID},
		} {
			b = append(b, f.name...)
			b = jsonenc.AppendString(b, f.v)
		}
		return append(b, '}'), nil
	}
	b, err := jsonenc.Append(b, v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON column: %w", err)
	}
	return b, nil
}
