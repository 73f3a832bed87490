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

// Kind returns the Microsoft Entra connector kind for the runner; opts
// apply to every connector it builds (an HTTP client with a proxy, say).
func Kind(opts ...Option) engine.Kind {
	return engine.Kind{
		Name:    directory.ConnectorEntra,
		Secrets: []string{SecretClientSecret},
		Mapping: DefaultMapping,
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
