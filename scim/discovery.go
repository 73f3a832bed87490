package scim

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"

	"github.com/roster/roster/internal/directory"
)

// orgCache keeps, per organization, the User schema (which lists the
// organization's custom properties) and a library server built on it. An
// entry is rebuilt when the organization's version changes, checked at most
// every orgSchemaTTL, so that writes do not each read the organization.
type orgCache struct {
	h  *handler
	mu sync.Mutex
	m  map[string]*orgSCIM
}

type orgSCIM struct {
	users *resourceSchema
	// userValidator validates POST /Users bodies against users.
	userValidator userValidator
	server        scim.Server
	version       int64
	checked       time.Time
}

func newOrgCache(h *handler) *orgCache { return &orgCache{h: h, m: map[string]*orgSCIM{}} }

func (c *orgCache) get(ctx context.Context, orgID string) (*orgSCIM, error) {
	now := c.h.now()
	c.mu.Lock()
	o := c.m[orgID]
	c.mu.Unlock()
	if o != nil && now.Sub(o.checked) < orgSchemaTTL {
		return o, nil
	}
	org, err := c.h.svc.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if o == nil || o.version != org.Version {
		if o, err = c.h.buildOrgSCIM(org); err != nil {
			return nil, err
		}
	} else {
		fresh := *o
		o = &fresh
	}
	o.checked = now
	c.mu.Lock()
	c.m[orgID] = o
	c.mu.Unlock()
	return o, nil
}

// schemaExtensions lists the User resource's extensions, all optional.
func schemaExtensions(rs *resourceSchema) []scim.SchemaExtension {
	out := make([]scim.SchemaExtension, len(rs.extensions))
	for i, e := range rs.extensions {
		out[i] = scim.SchemaExtension{Schema: e}
	}
	return out
}

// buildOrgSCIM builds the library server for an organization.
func (h *handler) buildOrgSCIM(org *directory.Org) (*orgSCIM, error) {
	users := userSchema(org, h.hash != nil)
	server, err := scim.NewServer(&scim.ServerArgs{
		// Only /Schemas and /ResourceTypes paging read this; Roster
		// serves /ServiceProviderConfig itself.
		ServiceProviderConfig: &scim.ServiceProviderConfig{MaxResults: directory.MaxPageSize, SupportFiltering: true, SupportPatch: true},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description:      optional.NewString("User Account"),
				Schema:           users.core,
				SchemaExtensions: schemaExtensions(users),
				Handler:          userResources{h: h},
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("Group"),
				Schema:      h.groups.core,
				Handler:     groupResources{h: h},
			},
		},
	}, scim.WithBaseURL(h.base), scim.WithLogger(libLogger{h.log}))
	if err != nil {
		return nil, directory.Internal(err)
	}
	return &orgSCIM{users: users, userValidator: newUserValidator(users), server: server, version: org.Version}, nil
}

// serviceProviderConfig says what this endpoint supports (RFC 7643 section
// 5, with RFC 9865's pagination).
func (h *handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":        []string{spConfigURN},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": true, "maxOperations": maxBulkOperations, "maxPayloadSize": h.maxBody},
		"filter":         map[string]any{"supported": true, "maxResults": directory.MaxPageSize},
		"changePassword": map[string]any{"supported": h.hash != nil},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"pagination": map[string]any{
			"cursor": true, "index": true, "defaultPaginationMethod": "index",
			"defaultPageSize": directory.DefaultPageSize, "maxPageSize": directory.MaxPageSize,
		},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A Roster SCIM token, sent as Authorization: Bearer <token>.",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.base + "/ServiceProviderConfig"},
	})
}
