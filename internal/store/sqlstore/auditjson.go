package sqlstore

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/roster/roster/internal/directory"
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
		var err error
		if b, err = appendJSONString(b, f.key); err != nil {
			return nil, err
		}
		b = append(b, ":{"...)
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

// appendJSONObject appends m as json.Marshal writes it.
func appendJSONObject(b []byte, m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONString(b, k); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendJSONValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONValue appends v as json.Marshal writes it.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v)
	case directory.Role:
		return appendJSONString(b, string(v))
	case directory.AuthMethod:
		return appendJSONString(b, string(v))
	case directory.Status:
		return appendJSONString(b, string(v))
	case directory.Source:
		return appendJSONString(b, string(v))
	case directory.Authority:
		return appendJSONString(b, string(v))
	case directory.Enterprise:
		var err error
		for _, f := range [...]struct{ name, v string }{
			{`{"EmployeeNumber":`, v.EmployeeNumber}, {`,"CostCenter":`, v.CostCenter},
			{`,"Organization":`, v.Organization}, {`,"Division":`, v.Division},
			{`,"Department":`, v.Department}, {`,"ManagerID":`, v.ManagerID},
		} {
			b = append(b, f.name...)
			if b, err = appendJSONString(b, f.v); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		// json.Marshal writes these with 'f'; others (exponents, NaN,
		// infinities) it is left to.
		if abs := math.Abs(v); abs == 0 || abs >= 1e-6 && abs < 1e21 {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	}
	return appendMarshaled(b, v)
}

// appendJSONString appends s quoted; a string that json.Marshal escapes
// is left to it.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return appendMarshaled(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

func appendMarshaled(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON column: %w", err)
	}
	return append(b, j...), nil
}
