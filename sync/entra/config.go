// Package entra reads users and groups from Microsoft Entra ID through
// Microsoft Graph delta queries (/users/delta, /groups/delta), with an
// application's client credentials.
package entra

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/roster/roster/sync/engine"
)

// Settings configure an Entra connector. They are stored with the
// connector; ClientSecret is kept apart and sealed.
type Settings struct {
	TenantID string `json:"tenantId"`
	ClientID string `json:"clientId"`
	// AuthorityURL is the login endpoint, without the tenant
	// (https://login.microsoftonline.com; sovereign clouds have their own).
	AuthorityURL string `json:"authorityUrl,omitempty"`
	// GraphURL is the Graph root, without the version
	// (https://graph.microsoft.com, https://graph.microsoft.us …).
	GraphURL string `json:"graphUrl,omitempty"`
	// Mapping overrides DefaultMapping field by field. Attributes are
	// Graph user properties; a dotted path reads into an object
	// (onPremisesExtensionAttributes.extensionAttribute1).
	Mapping engine.Mapping `json:"mapping,omitempty"`
	// Groups selects which groups to read: "all" (default), "none", or
	// only those listed in GroupIDs.
	Groups   string   `json:"groups,omitempty"`
	GroupIDs []string `json:"groupIds,omitempty"`
	// MaxRetries bounds retries of a throttled or unavailable request.
	MaxRetries int `json:"maxRetries,omitempty"`
}

// Group selection modes.
const (
	GroupsAll    = "all"
	GroupsNone   = "none"
	GroupsListed = "listed"
)

// DefaultMapping maps Graph user properties onto Roster's attributes: the
// catalogue's "entra" sources.
var DefaultMapping = engine.DefaultMapping("entra")

const (
	defaultAuthority  = "https://login.microsoftonline.com"
	defaultGraph      = "https://graph.microsoft.com"
	defaultMaxRetries = 6
	// maxGroupIDs is Graph's limit of ids in a delta $filter.
	maxGroupIDs = 50
)

// withDefaults returns s with defaults filled in, or an error listing what
// is wrong.
func (s Settings) withDefaults() (Settings, error) {
	var problems []string
	if strings.TrimSpace(s.TenantID) == "" {
		problems = append(problems, "tenantId is required")
	}
	if strings.TrimSpace(s.ClientID) == "" {
		problems = append(problems, "clientId is required")
	}
	if s.AuthorityURL == "" {
		s.AuthorityURL = defaultAuthority
	}
	if s.GraphURL == "" {
		s.GraphURL = defaultGraph
	}
	s.AuthorityURL = strings.TrimRight(s.AuthorityURL, "/")
	s.GraphURL = strings.TrimRight(s.GraphURL, "/")
	for name, v := range map[string]string{"authorityUrl": s.AuthorityURL, "graphUrl": s.GraphURL} {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			problems = append(problems, fmt.Sprintf("%s %q is not an http(s) URL", name, v))
		}
	}
	s.Mapping = DefaultMapping.With(s.Mapping)
	if err := s.Mapping.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	switch s.Groups {
	case "":
		s.Groups = GroupsAll
		if len(s.GroupIDs) > 0 {
			s.Groups = GroupsListed
		}
	case GroupsAll, GroupsNone:
	case GroupsListed:
		if len(s.GroupIDs) == 0 || len(s.GroupIDs) > maxGroupIDs {
			problems = append(problems, fmt.Sprintf("groups \"listed\" needs 1 to %d groupIds", maxGroupIDs))
		}
	default:
		problems = append(problems, fmt.Sprintf("groups must be all, none or listed, not %q", s.Groups))
	}
	for _, id := range s.GroupIDs {
		if !isGUID(id) {
			problems = append(problems, fmt.Sprintf("groupIds: %q is not an object id", id))
		}
	}
	if s.MaxRetries <= 0 {
		s.MaxRetries = defaultMaxRetries
	}
	if len(problems) > 0 {
		return s, fmt.Errorf("entra: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// backoff is the wait before retry n (0-based) when Graph names none:
// 1s, 2s, 4s … capped at a minute.
func backoff(n int) time.Duration {
	d := time.Second << min(n, 6)
	return min(d, time.Minute)
}
