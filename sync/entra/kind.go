package entra

import (
	"encoding/json"
	"errors"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// SecretClientSecret names the application's client secret among a
// connector's secrets.
const SecretClientSecret = "clientSecret"

// KindName is the Microsoft Entra connector kind.
const KindName directory.ConnectorKind = "entra"

// Kind returns the Microsoft Entra connector kind for the runner; opts
// apply to every connector it builds (an HTTP client with a proxy, say).
func Kind(opts ...Option) engine.Kind {
	return engine.Kind{
		Name:     KindName,
		Label:    "Microsoft Entra ID",
		Source:   directory.SourceEntra,
		Settings: settingsSchema,
		Secrets:  []string{SecretClientSecret},
		Mapping:  DefaultMapping,
		New: func(raw json.RawMessage, mapping engine.Mapping, secrets map[string]string) (engine.Connector, error) {
			var s Settings
			if err := engine.DecodeSettings(raw, &s); err != nil {
				return nil, err
			}
			if len(s.Mapping) > 0 {
				return nil, errors.New("entra: settings: set the mapping on the connector, not in its settings")
			}
			s.Mapping = mapping
			return New(s, secrets[SecretClientSecret], opts...)
		},
	}
}

// settingsSchema is the JSON Schema of Settings (without the mapping,
// which is the connector's), for the API and the console's form.
var settingsSchema = json.RawMessage(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["tenantId", "clientId"],
  "properties": {
    "tenantId": {"type": "string", "title": "Directory (tenant) id"},
    "clientId": {"type": "string", "title": "Application (client) id"},
    "cloud": {"type": "string", "enum": ["global", "usgov", "usgov-dod", "china"], "default": "global", "title": "Microsoft cloud: login endpoint, Graph and token scope"},
    "authorityUrl": {"type": "string", "format": "uri", "title": "Override of the cloud's login endpoint, without the tenant (a proxy, a test)"},
    "graphUrl": {"type": "string", "format": "uri", "title": "Override of the cloud's Graph root, without the version (a proxy, a test)"},
    "groups": {"type": "string", "enum": ["all", "none", "listed"], "title": "Groups to read"},
    "groupIds": {"type": "array", "items": {"type": "string"}, "maxItems": 50, "title": "Object ids of the groups to read (groups: listed)"},
    "nestedGroups": {"type": "boolean", "title": "Count the members of groups within groups (every run reads all groups)"},
    "maxRetries": {"type": "integer", "minimum": 1, "title": "Retries of a throttled or unavailable request"}
  }
}`)
