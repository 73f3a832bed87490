// Package jsonenc appends JSON byte for byte as encoding/json's Marshal
// writes it (object keys sorted, <, > and & escaped), for the plain values
// Roster encodes on its busiest paths: SCIM answers and audit changes.
// Strings, booleans, integers, floats, maps and lists of them are written
// without reflection; anything else is left to json.Marshal.
package jsonenc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// Append appends v.
func Append(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendString(b, v), nil
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
	case map[string]any:
		return AppendObject(b, v)
	case []any:
		return AppendList(b, v)
	case []string:
		return AppendList(b, v)
	case []map[string]any:
		return AppendList(b, v)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// AppendObject appends m, its keys sorted; a nil map is null.
func AppendObject(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
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
		b = AppendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = Append(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// AppendList appends list; a nil list is null.
func AppendList[T any](b []byte, list []T) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	if strs, ok := any(list).([]string); ok {
		// Not one by one through Append, which would box each string.
		b = append(b, '[')
		for i, s := range strs {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, s)
		}
		return append(b, ']'), nil
	}
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = Append(b, v); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// AppendString appends s quoted. A string with anything to escape
// (quotes, control, HTML or non-ASCII characters) is json.Marshal's, so
// that both escape alike.
func AppendString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			data, _ := json.Marshal(s) // a string always encodes
			return append(b, data...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
