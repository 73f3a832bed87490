package sqlstore

import (
	"encoding/json"
	"fmt"
)

// marshal encodes v for a JSON column. Both stores take JSON as text.
func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode JSON column: %w", err)
	}
	return string(b), nil
}

// unmarshal decodes a JSON column; NULL and empty values leave v alone,
// without the cost of the decoder (most users have no profile extras).
func unmarshal(b []byte, v any) error {
	switch string(b) {
	case "", "{}", "[]", "null":
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode JSON column: %w", err)
	}
	return nil
}

// tuples decodes the result of sqlbuild.ArrayAgg: one []any per child row.
func tuples(b []byte, width int) ([][]any, error) {
	var rows [][]any
	if err := unmarshal(b, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if len(r) != width {
			return nil, fmt.Errorf("decode child rows: got %d values, want %d", len(r), width)
		}
	}
	return rows, nil
}

// str and truthy read the values of a tuple. SQLite writes booleans as 0 and 1.
func str(v any) string {
	s, _ := v.(string)
	return s
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case float64:
		return b != 0
	}
	return false
}
