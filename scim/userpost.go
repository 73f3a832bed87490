package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/roster/roster/internal/etag"
	"github.com/roster/roster/internal/jsonenc"
)

// POST /Users is served as the library serves it, byte for byte: the body
// validated against the organization's User schema with the library's own
// validator, the same errors, and the answer in the library's form (its
// meta members in struct order, times as stored). The library rebuilds the
// schema it validates against on every request, compiling a regular
// expression per attribute name, and encodes the answer by reflection:
// together more than a third of what a create allocated.

// userValidator validates User bodies as the library's ResourceType does.
type userValidator struct {
	// withCommon is the core schema with externalId added, as the
	// library's schemaWithCommon builds it for every request.
	withCommon schema.Schema
	extensions []schema.Schema
}

func newUserValidator(rs *resourceSchema) userValidator {
	externalID := schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		CaseExact:  true,
		Mutability: schema.AttributeMutabilityReadWrite(),
		Name:       schema.CommonAttributeExternalID,
		Uniqueness: schema.AttributeUniquenessNone(),
	}))
	s := rs.core
	attrs := make([]schema.CoreAttribute, len(s.Attributes), len(s.Attributes)+1)
	copy(attrs, s.Attributes)
	s.Attributes = append(attrs, externalID)
	return userValidator{withCommon: s, extensions: rs.extensions}
}

// validate is the library's ResourceType.validate (every extension is
// optional).
func (v userValidator) validate(raw []byte) (scim.ResourceAttributes, *scimerrors.ScimError) {
	// What decoding into a map[string]any with UseNumber gives: an object,
	// or nil for null; anything else fails.
	doc, err := decodeAny(raw)
	m, ok := doc.(map[string]any)
	if err != nil || !ok && doc != nil {
		return scim.ResourceAttributes{}, &scimerrors.ScimErrorInvalidSyntax
	}
	attributes, se := v.withCommon.Validate(m)
	if se != nil {
		return scim.ResourceAttributes{}, se
	}
	for _, ext := range v.extensions {
		field := m[ext.ID]
		if field == nil {
			continue
		}
		extAttrs, se := ext.ValidateExtension(field)
		if se != nil {
			return scim.ResourceAttributes{}, se
		}
		attributes[ext.ID] = extAttrs
	}
	return attributes, nil
}

// postUser serves POST /Users.
func (h *handler) postUser(w http.ResponseWriter, r *http.Request) {
	o, err := h.orgs.get(r.Context(), tokenOf(r.Context()).OrgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	attrs, se := o.userValidator.validate(requestBody(r))
	if se != nil {
		writeError(w, *se)
		return
	}
	u, err := h.createUser(r, attrs)
	if err != nil {
		writeError(w, createError(err))
		return
	}
	loc := h.libLocation("Users", u.ID)
	var body []byte
	if sel := h.selection(r, h.users); sel.include == nil && sel.exclude == nil {
		body = append(make([]byte, 0, 1024), '{')
		var ok bool
		if body, ok = appendUserFields(body, u, h.base, h.userSchemas, loc); ok {
			body = append(body, '}')
		}
	}
	if body == nil {
		body, err = json.Marshal(libResponse(h.libUser(r, u), "User", h.userSchemas, loc))
		if err != nil {
			writeError(w, scimerrors.ScimErrorInternal)
			h.log.ErrorContext(r.Context(), "scim: encoding a created user", "error", err)
			return
		}
	}
	w.Header()["Content-Type"] = contentTypeValue
	w.Header().Set("Location", loc)
	w.Header().Set("Etag", etag.Of(u.Version))
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body) //nolint:gosec // JSON (<, > and & escaped) served as application/scim+json
}

// libMeta is the library's meta: members in struct order.
type libMeta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location"`
	Version      string `json:"version,omitempty"`
}

// libResponse is what the library encodes for a resource it answers with.
func libResponse(res scim.Resource, resourceType string, schemas []string, loc string) map[string]any {
	out := make(map[string]any, len(res.Attributes)+3)
	for k, v := range res.Attributes {
		out[k] = v
	}
	out[schema.CommonAttributeID] = res.ID
	if res.ExternalID.Present() {
		out[schema.CommonAttributeExternalID] = res.ExternalID.Value()
	}
	out["schemas"] = schemas
	m := libMeta{ResourceType: resourceType, Location: loc, Version: res.Meta.Version}
	if res.Meta.Created != nil {
		m.Created = res.Meta.Created.Format(time.RFC3339)
	}
	if res.Meta.LastModified != nil {
		m.LastModified = res.Meta.LastModified.Format(time.RFC3339)
	}
	out[schema.CommonAttributeMeta] = m
	return out
}

// appendLibMeta writes libMeta's encoding for a user.
func appendLibMeta(b []byte, created, modified time.Time, loc string, version int64) []byte {
	b = append(b, `{"resourceType":"User","created":"`...)
	b = created.AppendFormat(b, time.RFC3339)
	b = append(b, `","lastModified":"`...)
	b = modified.AppendFormat(b, time.RFC3339)
	b = append(b, `","location":`...)
	b = jsonenc.AppendString(b, loc)
	b = append(b, `,"version":`...)
	b = appendETag(b, version)
	return append(b, '}')
}

// libLocation is the library's location of a resource (its
// resourceLocation), from a prefix worked out once when the id needs no
// escaping, as Roster's UUIDs do not.
func (h *handler) libLocation(endpoint, id string) string {
	if prefix, ok := h.libPrefixes[endpoint]; ok && validID(id) {
		return prefix + id
	}
	return resourceLocation(h.base, endpoint, id)
}

// resourceLocation is the library's resourceLocation.
func resourceLocation(base, endpoint, id string) string {
	relative := endpoint + "/" + url.PathEscape(id)
	if base == "" {
		return relative
	}
	u, err := url.Parse(base)
	if err != nil {
		return relative
	}
	u.Path = u.Path + "/" + relative
	return u.String()
}

// libPrefixes works out the prefix of the library's locations for each
// endpoint, when appending an id to it gives the same location.
func libPrefixes(base string) map[string]string {
	const probe = "01a2095a-8e4a-7152-b41f-1546cb81e81d"
	out := map[string]string{}
	for _, endpoint := range []string{"Users", "Groups"} {
		if loc := resourceLocation(base, endpoint, probe); strings.HasSuffix(loc, "/"+probe) {
			out[endpoint] = strings.TrimSuffix(loc, probe)
		}
	}
	return out
}

// bufferedBody is a request body the middleware has read whole.
type bufferedBody struct {
	bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// requestBody returns the request's body: the middleware's copy when
// nothing has read from it yet, without copying it again.
func requestBody(r *http.Request) []byte {
	if b, ok := r.Body.(*bufferedBody); ok && b.Len() == len(b.data) {
		return b.data
	}
	if r.Body == nil {
		return nil
	}
	data, _ := io.ReadAll(r.Body)
	return data
}

// createError is the answer to a create that failed: the library's rule,
// a status SCIM does not list for POST is a 500, but for a 503 (the
// database briefly out of reach), which identity providers retry after
// Retry-After instead of counting the user failed.
func createError(err error) scimerrors.ScimError {
	var se scimerrors.ScimError
	if errors.As(err, &se) && se.Status == http.StatusServiceUnavailable {
		return se
	}
	return scimerrors.CheckScimError(err, http.MethodPost)
}
