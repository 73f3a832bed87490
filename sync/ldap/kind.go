package ldap

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// SecretBindPassword names the bind password among a connector's secrets.
const SecretBindPassword = "bindPassword"

// Kind returns the LDAP / Active Directory connector kind for the runner.
// now is the clock OpenLDAP cursors are taken from (nil: time.Now).
func Kind(now func() time.Time) engine.Kind {
	return engine.Kind{
		Name:    directory.ConnectorLDAP,
		Secrets: []string{SecretBindPassword},
		// Both flavors feed the same fields; OpenLDAP's names stand for
		// them.
		Mapping: OpenLDAPMapping,
		New: func(raw json.RawMessage, mapping engine.Mapping, secrets map[string]string) (engine.Connector, error) {
			var s Settings
			if err := engine.DecodeSettings(raw, &s); err != nil {
				return nil, err
			}
			if len(s.Mapping) > 0 {
				return nil, errors.New("ldap: settings: set the mapping on the connector, not in its settings")
			}
			s.Mapping = mapping
			return New(s, secrets[SecretBindPassword], now)
		},
	}
}
