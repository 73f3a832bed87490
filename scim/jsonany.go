package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/elimity-com/scim/schema"
)

// decodeAny decodes data as a json.Decoder with UseNumber decodes its first
// value into an any: objects as map[string]any, arrays as []any, numbers as
// json.Number. Data that json.Valid refuses goes to such a decoder, for its
// errors. Valid data, what requests hold once the middleware has checked
// them, is decoded here to the same value with fewer allocations: without
// the decoder's buffer and scanner, and with the keys SCIM names shared
// from a table instead of copied. TestDecodeAnyIsTheDecoders holds the two
// to the same result.
func decodeAny(data []byte) (any, error) {
	if !json.Valid(data) {
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		err := d.Decode(&v)
		return v, err
	}
	p := anyParser{data: data}
	return p.value(), nil
}

// anyParser decodes JSON that json.Valid accepts.
type anyParser struct {
	data []byte
	i    int
}

func (p *anyParser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value decodes the value at p.i.
func (p *anyParser) value() any {
	p.skipSpace()
	switch p.data[p.i] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return unquote(p.str())
	case 't':
		p.i += len("true")
		return true
	case 'f':
		p.i += len("false")
		return false
	case 'n':
		p.i += len("null")
		return nil
	}
	start := p.i
	for p.i < len(p.data) && strings.IndexByte("+-.0123456789eE", p.data[p.i]) >= 0 {
		p.i++
	}
	return json.Number(p.data[start:p.i])
}

func (p *anyParser) object() map[string]any {
	m := map[string]any{}
	p.i++ // {
	for {
		p.skipSpace()
		if p.data[p.i] == '}' {
			p.i++
			return m
		}
		quoted, plain := p.str()
		key, ok := "", false
		if plain {
			key, ok = scimKeys[string(quoted[1:len(quoted)-1])]
		}
		if !ok {
			key = unquote(quoted, plain)
		}
		p.skipSpace()
		p.i++ // :
		m[key] = p.value()
		p.skipSpace()
		if p.data[p.i] == ',' {
			p.i++
		}
	}
}

func (p *anyParser) array() []any {
	list := make([]any, 0)
	p.i++ // [
	for {
		p.skipSpace()
		if p.data[p.i] == ']' {
			p.i++
			return list
		}
		list = append(list, p.value())
		p.skipSpace()
		if p.data[p.i] == ',' {
			p.i++
		}
	}
}

// str moves past the string at p.i and returns it, quoted, and whether
// its text between the quotes is its value: no escapes, valid UTF-8.
func (p *anyParser) str() (quoted []byte, plain bool) {
	start := p.i
	p.i++ // "
	plain = true
	for p.data[p.i] != '"' {
		if p.data[p.i] == '\\' {
			plain = false
			p.i++
		}
		p.i++
	}
	p.i++ // "
	quoted = p.data[start:p.i]
	return quoted, plain && utf8.Valid(quoted[1:len(quoted)-1])
}

// unquote is the value of a string str returned.
func unquote(quoted []byte, plain bool) string {
	if plain {
		return string(quoted[1 : len(quoted)-1])
	}
	// Escapes, or invalid UTF-8 that encoding/json replaces: its way.
	var s string
	_ = json.Unmarshal(quoted, &s) // a valid JSON string always decodes
	return s
}

// scimKeys holds the names a SCIM request's objects use, so that decoding
// one as a key takes the table's string rather than allocating a copy: the
// attributes (and sub-attributes) of the schemas Roster serves, the
// schemas' URNs, and the members of a PatchOp message.
var scimKeys = func() map[string]string {
	m := map[string]string{}
	add := func(k string) { m[k] = k }
	var walk func(attrs schema.Attributes)
	walk = func(attrs schema.Attributes) {
		for _, a := range attrs {
			add(a.Name())
			walk(a.SubAttributes())
		}
	}
	schemas := []schema.Schema{commonAttributes, coreUserSchema(true), enterpriseSchema(), coreGroupSchema()}
	for _, urn := range catalogueExtensions {
		schemas = append(schemas, extensionSchema(urn))
	}
	for _, sc := range schemas {
		walk(sc.Attributes)
	}
	for _, k := range []string{"schemas", "Operations", "op", "path", "value",
		userURN, enterpriseURN, customURN, groupURN, patchOpURN} {
		add(k)
	}
	return m
}()
