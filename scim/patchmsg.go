package scim

import (
	"bytes"
	"encoding/json"
	"strings"
)

// patchMessage is a PatchOp message as parsePatch reads it.
type patchMessage struct {
	listsURN   bool // schemas lists patchOpURN
	operations []patchMember
}

// patchMember is one of a PatchOp message's Operations.
type patchMember struct {
	op, path string
	raw      json.RawMessage // the value as sent, if not decoded
	value    any             // the value, if decoded is set
	decoded  bool
}

// readPatchMessage reads a PatchOp message as json.Unmarshal reads it into
// {Schemas []string; Operations []struct{Op, Path string; Value
// json.RawMessage}}, which it does for a message scanPatchMessage does not
// take, for its errors.
func readPatchMessage(body []byte) (patchMessage, error) {
	if msg, ok := scanPatchMessage(body); ok {
		return msg, nil
	}
	return unmarshalPatchMessage(body)
}

func unmarshalPatchMessage(body []byte) (patchMessage, error) {
	var msg struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return patchMessage{}, err
	}
	out := patchMessage{listsURN: containsFold(msg.Schemas, patchOpURN), operations: make([]patchMember, len(msg.Operations))}
	for i, o := range msg.Operations {
		out.operations[i] = patchMember{op: o.Op, path: o.Path, raw: o.Value}
	}
	return out, nil
}

// scanPatchMessage reads the PatchOp messages clients send to what
// json.Unmarshal makes of them, with fewer allocations: the schemas are
// compared where they lie, an op that names one of the three is that
// name's constant, the values are decoded in place (see decodeAny). It
// takes valid JSON whose member names are ASCII without escapes, each
// given once per object, with values of the fields' types or null, and
// reports false for anything else.
func scanPatchMessage(body []byte) (patchMessage, bool) {
	var msg patchMessage
	if !json.Valid(body) {
		return msg, false
	}
	p := anyParser{data: body}
	if !p.open('{') {
		return msg, false
	}
	var schemas, operations bool // seen
	for {
		name, done, ok := p.nextName()
		switch {
		case !ok:
			return msg, false
		case done:
			return msg, true
		case bytes.EqualFold(name, []byte("schemas")):
			if schemas || !p.scanSchemas(&msg) {
				return msg, false
			}
			schemas = true
		case bytes.EqualFold(name, []byte("Operations")):
			if operations || !p.scanOperations(&msg) {
				return msg, false
			}
			operations = true
		default:
			p.value() // a member json.Unmarshal ignores
		}
	}
}

func (p *anyParser) scanSchemas(msg *patchMessage) bool {
	if p.null() {
		return true
	}
	if !p.open('[') {
		return false
	}
	for !p.nextElement() {
		if p.null() {
			continue // "" in the list
		}
		if p.data[p.i] != '"' {
			return false
		}
		quoted, plain := p.str()
		if plain {
			msg.listsURN = msg.listsURN || bytes.EqualFold(quoted[1:len(quoted)-1], []byte(patchOpURN))
		} else {
			msg.listsURN = msg.listsURN || strings.EqualFold(unquote(quoted, plain), patchOpURN)
		}
	}
	return true
}

func (p *anyParser) scanOperations(msg *patchMessage) bool {
	if p.null() {
		return true
	}
	if !p.open('[') {
		return false
	}
	for !p.nextElement() {
		var m patchMember
		if !p.null() && !p.scanOperation(&m) {
			return false
		}
		msg.operations = append(msg.operations, m)
	}
	return true
}

func (p *anyParser) scanOperation(m *patchMember) bool {
	if !p.open('{') {
		return false
	}
	var op, path, value bool // seen
	for {
		name, done, ok := p.nextName()
		switch {
		case !ok:
			return false
		case done:
			return true
		case bytes.EqualFold(name, []byte("op")):
			if op || !p.scanString(&m.op, true) {
				return false
			}
			op = true
		case bytes.EqualFold(name, []byte("path")):
			if path || !p.scanString(&m.path, false) {
				return false
			}
			path = true
		case bytes.EqualFold(name, []byte("value")):
			if value {
				return false
			}
			m.value, m.decoded, value = p.value(), true, true
		default:
			p.value() // a member json.Unmarshal ignores
		}
	}
}

// scanString reads a string, or null (which leaves dst as it is). An op
// that names one of the three, in any case, is read as that name.
func (p *anyParser) scanString(dst *string, op bool) bool {
	if p.null() {
		return true
	}
	if p.data[p.i] != '"' {
		return false
	}
	quoted, plain := p.str()
	if op && plain {
		if name := patchOpName(string(quoted[1 : len(quoted)-1])); name != "" {
			*dst = name
			return true
		}
	}
	*dst = unquote(quoted, plain)
	return true
}

// open moves past c, the start of an object or array, if it is next.
func (p *anyParser) open(c byte) bool {
	p.skipSpace()
	if p.data[p.i] != c {
		return false
	}
	p.i++
	return true
}

// null moves past a null, if it is next.
func (p *anyParser) null() bool {
	p.skipSpace()
	if p.data[p.i] != 'n' {
		return false
	}
	p.i += len("null")
	return true
}

// nextName moves to the next member of an object, past its name and
// colon, and returns the name; done at the object's end (moved past). ok
// is false for a name with escapes or other than ASCII, which only
// json.Unmarshal matches to a field as it does.
func (p *anyParser) nextName() (name []byte, done, ok bool) {
	p.skipSpace()
	if p.data[p.i] == ',' {
		p.i++
		p.skipSpace()
	}
	if p.data[p.i] == '}' {
		p.i++
		return nil, true, true
	}
	quoted, plain := p.str()
	name = quoted[1 : len(quoted)-1]
	p.skipSpace()
	p.i++ // :
	for _, c := range name {
		if c >= 0x80 {
			return name, false, false
		}
	}
	return name, false, plain
}

// nextElement moves to the next element of an array; done at the array's
// end (moved past).
func (p *anyParser) nextElement() (done bool) {
	p.skipSpace()
	if p.data[p.i] == ',' {
		p.i++
		p.skipSpace()
	}
	if p.data[p.i] == ']' {
		p.i++
		return true
	}
	return false
}
