package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/roster/roster/internal/directory"
)

// Kind builds the connectors of one kind of directory from their stored
// configuration. The ldap and entra packages each provide one (ldap.Kind,
// entra.Kind); main hands them to the Runner, since this package cannot
// import them.
type Kind struct {
	Name directory.ConnectorKind
	// Secrets names the secrets a connector of the kind needs, all
	// required ("bindPassword", "clientSecret").
	Secrets []string
	// Mapping is the default attribute mapping that a connector's own
	// overlays field by field.
	Mapping Mapping
	// New checks settings (rejecting unknown keys) and returns a connector
	// reading with secrets and the kind's default mapping overlaid with
	// mapping. Its error lists every problem of the settings.
	New func(settings json.RawMessage, mapping Mapping, secrets map[string]string) (Connector, error)
}

// kinds indexes Kinds by name.
type kinds map[directory.ConnectorKind]Kind

func newKinds(list []Kind) (kinds, error) {
	out := make(kinds, len(list))
	for _, k := range list {
		if k.Name.Source() == "" || k.New == nil {
			return nil, fmt.Errorf("sync: kind %q is not a connector kind or has no constructor", k.Name)
		}
		out[k.Name] = k
	}
	return out, nil
}

func (ks kinds) get(name directory.ConnectorKind) (Kind, error) {
	k, ok := ks[name]
	if !ok {
		return Kind{}, directory.FieldErrorf(directory.CodeInvalid, "kind", "connector kind %q is not available", name)
	}
	return k, nil
}

// fields lists the Roster fields a connector with the mapping overrides
// feeds, for RunScope.Fields.
func (k Kind) fields(overrides Mapping) []directory.Attr {
	m := k.Mapping.With(overrides)
	out := make([]directory.Attr, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// DecodeSettings decodes a connector's settings into dst, refusing keys
// dst does not have, so that a misspelt setting is an error rather than a
// silently ignored one.
func DecodeSettings(raw json.RawMessage, dst any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}
