package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// decodeYAML decodes data into c, rejecting unknown keys, and returns every
// problem with the key's full path and line.
func decodeYAML(data []byte, c *Config) []string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if err == nil || errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []string{fmt.Sprintf("config file: %v", err)}
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc) // it parsed above; the index only improves messages
	keys := map[int]keyAt{}
	indexKeys(&doc, "", keys)
	problems := make([]string, 0, len(te.Errors))
	for _, msg := range te.Errors {
		problems = append(problems, explainYAMLError(msg, keys))
	}
	return problems
}

// keyAt is the key path that starts on a line, and its scalar value.
type keyAt struct {
	path, value string
}

func indexKeys(n *yaml.Node, prefix string, out map[int]keyAt) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := prefix + k.Value
			if _, taken := out[k.Line]; !taken {
				out[k.Line] = keyAt{path: path, value: v.Value}
			}
			if v.Kind == yaml.MappingNode {
				indexKeys(v, path+".", out)
			}
		}
	}
}

var (
	unknownFieldRE = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	badValueRE     = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `.*`)? into (\\S+)$")
)

// describeType tells an operator what values of a Go type look like.
func describeType(goType string) string {
	switch goType {
	case "time.Duration":
		return "a duration such as 15s or 1m30s"
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string", "config.Secret":
		return "a single value"
	}
	return "a mapping of keys" // the section structs
}

// explainYAMLError rewrites one of yaml.v3's messages, which name Go types,
// into one that names the key.
func explainYAMLError(msg string, keys map[int]keyAt) string {
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := m[2]
		if k, ok := keys[line]; ok {
			path = k.path
		}
		return fmt.Sprintf("unknown key %q (line %d)", path, line)
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		k, ok := keys[line]
		if !ok {
			return msg
		}
		want := describeType(m[3])
		switch m[2] {
		case "!!map":
			return fmt.Sprintf("%s (line %d): want %s, not a mapping", k.path, line, want)
		case "!!seq":
			return fmt.Sprintf("%s (line %d): want %s, not a list", k.path, line, want)
		}
		return fmt.Sprintf("%s (line %d): %q is not %s", k.path, line, k.value, want)
	}
	return msg
}
