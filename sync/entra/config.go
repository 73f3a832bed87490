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
	// Cloud is the Microsoft cloud of the tenant: global (the default),
	// usgov (US Government L4, GCC High), usgov-dod (US Government L5,
	// DoD) or china (operated by 21Vianet). Its login endpoint, Graph and
	// token scope follow from it.
	Cloud string `json:"cloud,omitempty"`
	// AuthorityURL and GraphURL override the cloud's login endpoint
	// (without the tenant) and Graph root (without the version), for a
	// proxy or a test; the token's scope stays the cloud's Graph. Without
	// a cloud, a GraphURL that is a cloud's Graph chooses that cloud.
	AuthorityURL string `json:"authorityUrl,omitempty"`
	GraphURL     string `json:"graphUrl,omitempty"`
	// Mapping overrides DefaultMapping field by field. Attributes are
	// Graph user properties; a dotted path reads into an object
	// (onPremisesExtensionAttributes.extensionAttribute1).
	Mapping engine.Mapping `json:"mapping,omitempty"`
	// Groups selects which groups to read: "all" (default), "none", or
	// only those listed in GroupIDs.
	Groups   string   `json:"groups,omitempty"`
	GroupIDs []string `json:"groupIds,omitempty"`
	// NestedGroups gives each group its effective members: its own users
	// and those of the groups inside it, transitively. Every run then
	// reads the groups whole (a delta round from the start), since a
	// change deep inside changes every group above it. With listed groups,
	// Graph's transitiveMembers answers each listed group's users.
	NestedGroups bool `json:"nestedGroups,omitempty"`
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

// Microsoft clouds.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"     // US Government L4 (GCC High)
	CloudUSGovDoD = "usgov-dod" // US Government L5 (DoD)
	CloudChina    = "china"     // operated by 21Vianet
)

// Endpoints are a Microsoft cloud's login endpoint and Graph root; the
// token scope is Graph + "/.default".
type Endpoints struct {
	Authority, Graph string
}

// Clouds are the Microsoft clouds' endpoints, after Microsoft's national
// cloud deployment documentation.
var Clouds = map[string]Endpoints{
	CloudGlobal:   {Authority: "https://login.microsoftonline.com", Graph: "https://graph.microsoft.com"},
	CloudUSGov:    {Authority: "https://login.microsoftonline.us", Graph: "https://graph.microsoft.us"},
	CloudUSGovDoD: {Authority: "https://login.microsoftonline.us", Graph: "https://dod-graph.microsoft.us"},
	CloudChina:    {Authority: "https://login.chinacloudapi.cn", Graph: "https://microsoftgraph.chinacloudapi.cn"},
}

const (
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
	s.AuthorityURL = strings.TrimRight(s.AuthorityURL, "/")
	s.GraphURL = strings.TrimRight(s.GraphURL, "/")
	if s.Cloud == "" {
		s.Cloud = CloudGlobal
		for name, e := range Clouds {
			if strings.EqualFold(e.Graph, s.GraphURL) {
				s.Cloud = name
			}
		}
	}
	cloud, ok := Clouds[s.Cloud]
	if !ok {
		problems = append(problems, fmt.Sprintf("cloud must be global, usgov, usgov-dod or china, not %q", s.Cloud))
		cloud = Clouds[CloudGlobal]
	}
	if s.AuthorityURL == "" {
		s.AuthorityURL = cloud.Authority
	}
	if s.GraphURL == "" {
		s.GraphURL = cloud.Graph
	}
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

// scope is the OAuth scope of the token: the cloud's Graph, whatever URL
// Graph is reached at (settings with their defaults filled in).
func (s Settings) scope() string { return Clouds[s.Cloud].Graph + "/.default" }

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
