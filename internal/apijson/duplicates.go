package apijson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// duplicateFold returns the path of the first key that an object of data
// gives twice, regardless of case, and whether there is one. data must be valid
// JSON (json.Valid). It reads the bytes once and allocates only for keys
// with escapes and for objects of many keys: every SCIM request with a
// body goes through it, and encoding/json's Decoder.Token allocated more
// per request than the rest of a PATCH did.
func duplicateFold(data []byte) (string, bool) {
	// The path sized for a body's usual nesting, allocated once rather
	// than grown step by step.
	s := dupScanner{data: data, path: make([]pathStep, 0, 8)}
	return s.value()
}

type dupScanner struct {
	data []byte
	i    int
	// path holds the keys (or indexes, key nil) down to the value being
	// read, for the message.
	path []pathStep
}

type pathStep struct {
	key []byte
	idx int
}

func (s *dupScanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value and returns the path of a duplicate in it, if any.
func (s *dupScanner) value() (string, bool) {
	s.ws()
	switch s.data[s.i] {
	case '{':
		return s.object()
	case '[':
		s.i++
		for idx := 0; ; idx++ {
			s.ws()
			switch s.data[s.i] {
			case ']':
				s.i++
				return "", false
			case ',':
				s.i++
			}
			s.path = append(s.path, pathStep{idx: idx})
			if dup, ok := s.value(); ok {
				return dup, true
			}
			s.path = s.path[:len(s.path)-1]
		}
	case '"':
		s.str()
	default: // a number, true, false or null
		for s.i < len(s.data) && !endsLiteral(s.data[s.i]) {
			s.i++
		}
	}
	return "", false
}

func endsLiteral(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// manyKeys is the number of keys from which an object's keys are compared
// through a map rather than with each other.
const manyKeys = 16

func (s *dupScanner) object() (string, bool) {
	s.i++ // {
	var keys [manyKeys][]byte
	n := 0
	var folded map[string]bool
	for {
		s.ws()
		switch s.data[s.i] {
		case '}':
			s.i++
			return "", false
		case ',':
			s.i++
			s.ws()
		}
		key := s.str()
		s.ws()
		s.i++ // :
		dup := false
		switch {
		case folded != nil:
			k := strings.ToLower(string(key))
			dup, folded[k] = folded[k], true
		default:
			for _, k := range keys[:n] {
				if sameFold(k, key) {
					dup = true
					break
				}
			}
			if n < manyKeys {
				keys[n] = key
				n++
			} else {
				folded = make(map[string]bool, 2*manyKeys)
				for _, k := range keys {
					folded[strings.ToLower(string(k))] = true
				}
				folded[strings.ToLower(string(key))] = true
			}
		}
		s.path = append(s.path, pathStep{key: key})
		if dup {
			return s.pathString(), true
		}
		if d, ok := s.value(); ok {
			return d, true
		}
		s.path = s.path[:len(s.path)-1]
	}
}

// sameFold reports whether a and b are the same key regardless of case, as
// strings.ToLower compares them.
func sameFold(a, b []byte) bool {
	if len(a) == len(b) && bytes.Equal(a, b) {
		return true
	}
	if isASCII(a) && isASCII(b) {
		return len(a) == len(b) && bytes.EqualFold(a, b)
	}
	// Lower-cased, as the map of many keys and the token walk compare
	// them: EqualFold also matches a few letters that ToLower keeps apart.
	return strings.ToLower(string(a)) == strings.ToLower(string(b)) //nolint:staticcheck // see above
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// str reads a string and returns its content, unescaped.
func (s *dupScanner) str() []byte {
	start := s.i // the opening quote
	s.i++
	escaped := false
	for s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			escaped = true
			s.i++
		}
		s.i++
	}
	s.i++
	if !escaped {
		return s.data[start+1 : s.i-1]
	}
	var v string
	_ = json.Unmarshal(s.data[start:s.i], &v) // a valid JSON string
	return []byte(v)
}

func (s *dupScanner) pathString() string {
	var b strings.Builder
	for i, p := range s.path {
		switch {
		case p.key == nil:
			b.WriteString("[" + strconv.Itoa(p.idx) + "]")
		case i > 0:
			b.WriteByte('.')
			fallthrough
		default:
			b.Write(p.key)
		}
	}
	return b.String()
}
