package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Kind is one kind of directory Roster pulls from: what a connector of the
// kind is configured with, and how to build it. Each connector package
// exports its kinds (ldap.Kinds, entra.Kind); main hands them to the
// Runner, which is then all that knows them. A new kind is a new package
// and one more entry in that list.
type Kind struct {
	// Name is the kind as connectors store it ("ldap", "ad", "entra").
	Name directory.ConnectorKind
	// Label is how people read it ("Active Directory").
	Label string
	// Source is the source of the users and groups the kind's connectors
	// make, and the authority their status changes are recorded under
	// (the name of the kind if empty). Kinds that read the same
	// directories share one, so that their users stay theirs: ldap and ad
	// are both "ldap".
	Source directory.Source
	// Settings is the JSON Schema of the kind's settings, for the API and
	// the console's form. New is what checks them.
	Settings json.RawMessage
	// Secrets names the secrets a connector of the kind needs, all
	// required ("bindPassword", "clientSecret").
	Secrets []string
	// Mapping is the default attribute mapping that a connector's own
	// overlays attribute by attribute.
	Mapping Mapping
	// New checks settings (rejecting unknown keys) and returns a connector
	// reading with secrets and the kind's default mapping overlaid with
	// mapping. Its error lists every problem of the settings. The
	// connector's Check is the kind's connection test.
	New func(settings json.RawMessage, mapping Mapping, secrets map[string]string) (Connector, error)
}

// KindInfo describes a connector kind to the API, the console and the CLI.
type KindInfo struct {
	Name  directory.ConnectorKind `json:"name"`
	Label string                  `json:"label"`
	// Source is what the kind's users have as their source.
	Source directory.Source `json:"source"`
	// Settings is the JSON Schema of the kind's settings.
	Settings json.RawMessage `json:"settingsSchema"`
	// Secrets names the secrets a connector of the kind needs.
	Secrets []string `json:"secrets"`
	// Mapping is the kind's default mapping: attribute → directory
	// attribute.
	Mapping map[string]string `json:"defaultMapping"`
}

// registry holds the kinds a Runner knows, by name, in the order given.
type registry struct {
	byName map[directory.ConnectorKind]*Kind
	order  []*Kind
}

// newRegistry checks the kinds: each named, labelled, with a directory
// source, a valid default mapping, a settings schema and a constructor,
// and no name given twice.
func newRegistry(list []Kind) (*registry, error) {
	reg := &registry{byName: make(map[directory.ConnectorKind]*Kind, len(list))}
	for _, k := range list {
		if k.Source == "" {
			k.Source = directory.Source(k.Name)
		}
		switch {
		case !k.Name.Valid():
			return nil, fmt.Errorf("sync: connector kind %q: not a kind's name", k.Name)
		case reg.byName[k.Name] != nil:
			return nil, fmt.Errorf("sync: connector kind %q given twice", k.Name)
		case k.Label == "" || k.New == nil:
			return nil, fmt.Errorf("sync: connector kind %q needs a label and a constructor", k.Name)
		case !k.Source.IsDirectory() || k.Source == directory.SourceSCIM:
			return nil, fmt.Errorf("sync: connector kind %q: source %q is not a directory's", k.Name, k.Source)
		case !json.Valid(k.Settings):
			return nil, fmt.Errorf("sync: connector kind %q: its settings schema is not JSON", k.Name)
		}
		if err := k.Mapping.Validate(); err != nil {
			return nil, fmt.Errorf("sync: connector kind %q: default %w", k.Name, err)
		}
		k.Secrets = slices.Clone(k.Secrets)
		reg.byName[k.Name] = &k
		reg.order = append(reg.order, &k)
	}
	return reg, nil
}

// get returns the kind named name, or a CodeInvalid error naming the
// kinds there are.
func (reg *registry) get(name directory.ConnectorKind) (*Kind, error) {
	k, ok := reg.byName[name]
	if !ok {
		names := make([]string, len(reg.order))
		for i, k := range reg.order {
			names[i] = string(k.Name)
		}
		return nil, directory.FieldErrorf(directory.CodeInvalid, "kind", "connector kind %q is not available (there are: %s)",
			name, strings.Join(names, ", "))
	}
	return k, nil
}

func (reg *registry) infos() []KindInfo {
	out := make([]KindInfo, len(reg.order))
	for i, k := range reg.order {
		m := make(map[string]string, len(k.Mapping))
		for a, src := range k.Mapping {
			m[string(a)] = src
		}
		out[i] = KindInfo{Name: k.Name, Label: k.Label, Source: k.Source, Settings: k.Settings,
			Secrets: slices.Clone(k.Secrets), Mapping: m}
	}
	return out
}

// Kinds describes the connector kinds the runner knows, in the order they
// were given.
func (r *Runner) Kinds() []KindInfo { return r.kinds.infos() }

// Describe checks kinds as NewRunner does and describes them, for callers
// without a runner (the CLI's help).
func Describe(kinds ...Kind) ([]KindInfo, error) {
	reg, err := newRegistry(kinds)
	if err != nil {
		return nil, err
	}
	return reg.infos(), nil
}

// actor is who a connector of the kind is audited as: the connector, under
// its kind's source and status authority.
func (k *Kind) actor(c *directory.Connector) directory.Actor {
	return directory.Actor{Kind: directory.ActorConnector, ID: c.ID, Name: c.Name, Source: k.Source}
}

// fields lists the attributes a connector with the mapping overrides
// feeds, for SyncScope.Fields.
func (k *Kind) fields(overrides Mapping) []directory.Attr {
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
