package sqlstore

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A user's emails, roles and entitlements arrive as the JSON of
// sqlbuild.ArrayAgg on every read of the user. Decoding it into [][]any
// boxed every value and allocated every row: a tenth of what reading a
// user allocated. scanTuples reads the arrays of plain values databases
// write without that; anything else goes through tuples.

// tupleValue is one value of a tuple: a string, a number or a boolean;
// anything else (null, a list, an object) reads as empty and false.
type tupleValue struct {
	s    string
	num  float64
	kind byte // 's' string, 'n' number, 'b' boolean (num 1 for true), 0 anything else
}

// str and truthy read a tupleValue as str and truthy read a value of
// tuples.
func (v tupleValue) str() string {
	if v.kind == 's' {
		return v.s
	}
	return ""
}

func (v tupleValue) truthy() bool { return (v.kind == 'n' || v.kind == 'b') && v.num != 0 }

// flatTuples decodes the result of sqlbuild.ArrayAgg as tuples does, into
// its values row after row, each row width values long.
func flatTuples(b []byte, width int) ([]tupleValue, error) {
	if vals, ok := scanTuples(b, width); ok {
		return vals, nil
	}
	rows, err := tuples(b, width)
	if err != nil {
		return nil, err
	}
	out := make([]tupleValue, 0, len(rows)*width)
	for _, r := range rows {
		for _, v := range r {
			var tv tupleValue
			switch v := v.(type) {
			case string:
				tv = tupleValue{s: v, kind: 's'}
			case float64:
				tv = tupleValue{num: v, kind: 'n'}
			case bool:
				tv = tupleValue{kind: 'b'}
				if v {
					tv.num = 1
				}
			}
			out = append(out, tv)
		}
	}
	return out, nil
}

// scanTuples reads an array of arrays of width plain values (strings,
// numbers, booleans, null). It reports false for anything else, malformed
// JSON included, which tuples then decodes or refuses.
func scanTuples(b []byte, width int) ([]tupleValue, bool) {
	switch string(b) {
	case "", "{}", "[]", "null":
		return nil, true // as unmarshal: no rows
	}
	s := tupleScanner{b: b}
	s.space()
	if !s.next('[') {
		return nil, false
	}
	s.space()
	if s.next(']') {
		s.space()
		return nil, s.i == len(b)
	}
	out := make([]tupleValue, 0, 2*width)
	for {
		s.space()
		if !s.next('[') {
			return nil, false
		}
		for n := 0; ; n++ {
			s.space()
			if n == 0 && width == 0 {
				if !s.next(']') {
					return nil, false
				}
				break
			}
			v, ok := s.value()
			if !ok || n >= width {
				return nil, false
			}
			out = append(out, v)
			s.space()
			if s.next(',') {
				continue
			}
			if !s.next(']') || n+1 != width {
				return nil, false
			}
			break
		}
		s.space()
		if s.next(',') {
			continue
		}
		if !s.next(']') {
			return nil, false
		}
		s.space()
		return out, s.i == len(b)
	}
}

type tupleScanner struct {
	b []byte
	i int
}

func (s *tupleScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *tupleScanner) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *tupleScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// value reads a string, a number, true, false or null.
func (s *tupleScanner) value() (tupleValue, bool) {
	if s.i >= len(s.b) {
		return tupleValue{}, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == 't':
		return tupleValue{num: 1, kind: 'b'}, s.literal("true")
	case c == 'f':
		return tupleValue{kind: 'b'}, s.literal("false")
	case c == 'n':
		return tupleValue{}, s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return tupleValue{}, false
}

// str reads a string. One with escapes, control characters or invalid
// UTF-8 is encoding/json's to decode, so that both read it alike.
func (s *tupleScanner) str() (tupleValue, bool) {
	start := s.i
	plain := true
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			if plain && utf8.Valid(raw) {
				return tupleValue{s: string(raw[1 : len(raw)-1]), kind: 's'}, true
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return tupleValue{}, false
			}
			return tupleValue{s: v, kind: 's'}, true
		case c == '\\':
			plain = false
			s.i++ // the escaped character, whatever it is
		case c < 0x20:
			plain = false
		}
	}
	return tupleValue{}, false
}

// number reads a number in JSON's grammar.
func (s *tupleScanner) number() (tupleValue, bool) {
	start := s.i
	s.next('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.next('0') {
		if s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			return tupleValue{}, false // a leading zero
		}
	} else if digits() == 0 {
		return tupleValue{}, false
	}
	if s.next('.') && digits() == 0 {
		return tupleValue{}, false
	}
	if s.next('e') || s.next('E') {
		if !s.next('+') {
			s.next('-')
		}
		if digits() == 0 {
			return tupleValue{}, false
		}
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil {
		return tupleValue{}, false // out of range: encoding/json refuses it too
	}
	return tupleValue{num: f, kind: 'n'}, true
}
