package scim

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/elimity-com/scim"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// suspendReason is the status reason of a user SCIM suspended.
const suspendReason = "SCIM"

// userResources serves user creation, replacement and deletion through
// the library, which has validated the body against the organization's User
// schema by the time Create or Replace is called.
type userResources struct{ h *handler }

func (ur userResources) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	u, err := ur.h.createUser(r, attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	return ur.h.libUser(r, u), nil
}

// createUser creates the user a POST's validated attributes describe; its
// error is the one the client is shown.
func (h *handler) createUser(r *http.Request, attrs scim.ResourceAttributes) (*directory.User, error) {
	ctx := r.Context()
	in := &directory.User{Source: directory.SourceSCIM}
	if err := applyUserAttributes(in, attrs); err != nil {
		return nil, h.report(r, err)
	}
	if active, ok := attrs["active"].(bool); ok && !active {
		in.Status, in.StatusReason = directory.StatusSuspended, suspendReason
	}
	hash, err := h.hashPassword(ctx, tokenOf(ctx).OrgID, attrs["password"])
	if err != nil {
		return nil, h.report(r, err)
	}
	in.PasswordHash = hash
	// A userName a deleted user had is free: the POST creates a new user,
	// never revives the deleted one (nor its role, MFA or password).
	u, err := h.svc.CreateUser(ctx, actorOf(ctx), tokenOf(ctx).OrgID, in)
	if err != nil {
		return nil, h.report(r, err)
	}
	return u, nil
}

func (ur userResources) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h, ctx := ur.h, r.Context()
	orgID := tokenOf(ctx).OrgID
	if !validID(id) {
		return scim.Resource{}, h.report(r, notFound("user", id))
	}
	ifVersion, err := preconditions(r, h.userVersion(ctx, id))
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	hash, err := h.hashPassword(ctx, orgID, attrs["password"])
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	u, err := h.svc.UpdateUser(ctx, actorOf(ctx), orgID, id, ifVersion, func(u *directory.User) error {
		return replaceUser(u, attrs, hash)
	})
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	return h.libUser(r, u), nil
}

// replaceUser applies a full representation (PUT, or the POST that restores
// a user). Core attributes it lacks are cleared; an extension it lacks is
// not asserted and kept, so that a client unaware of the enterprise or
// custom attributes does not wipe them. A missing active leaves the status
// alone; a password (already hashed) replaces the old one.
func replaceUser(u *directory.User, attrs map[string]any, hash string) error {
	merged := make(map[string]any, len(attrs)+2)
	for k, v := range attrs {
		merged[k] = v
	}
	current := userAttributes(u, "")
	for _, ext := range []string{enterpriseURN, customURN} {
		if _, ok := attrs[ext]; !ok {
			merged[ext] = current[ext]
		}
	}
	if err := applyUserAttributes(u, merged); err != nil {
		return err
	}
	if active, ok := attrs["active"].(bool); ok {
		setActive(u, active)
	}
	if hash != "" {
		u.PasswordHash = hash
	}
	return nil
}

// setActive asks for active or suspended on behalf of SCIM. The status
// rules decide: a directory never lifts a status it did not set, so
// active=true lifts only a SCIM suspension and is otherwise no change.
func setActive(u *directory.User, active bool) {
	to, change := directory.StatusFromDirectory(u, active, directory.AuthoritySCIM)
	if !change {
		return
	}
	u.Status, u.StatusReason = to, ""
	if to == directory.StatusSuspended {
		u.StatusReason = suspendReason
	}
}

// hashPassword checks a password attribute's value against the
// organization's password policy, as every other way of setting a password
// does, and hashes it ("" when there is none).
func (h *handler) hashPassword(ctx context.Context, orgID string, v any) (string, error) {
	plain, _ := v.(string)
	if plain == "" {
		return "", nil
	}
	policy, err := h.passwordPolicy(ctx, orgID)
	if err != nil {
		return "", err
	}
	return h.hashChecked(policy, plain)
}

// passwordPolicy reads the organization's password policy as it is now,
// not from the schema cache: a policy an admin just tightened applies to
// the next password.
func (h *handler) passwordPolicy(ctx context.Context, orgID string) (directory.PasswordPolicy, error) {
	org, err := h.svc.GetOrg(ctx, orgID)
	if err != nil {
		return directory.PasswordPolicy{}, err
	}
	return org.Settings.PasswordPolicy, nil
}

// hashChecked checks plain against policy (a 400 invalidValue naming the
// rules it breaks) and hashes it.
func (h *handler) hashChecked(policy directory.PasswordPolicy, plain string) (string, error) {
	if err := policy.Check(plain); err != nil {
		return "", err
	}
	if h.hash == nil {
		return "", nil
	}
	hash, err := h.hash(plain)
	if err != nil {
		return "", directory.Internal(err)
	}
	return hash, nil
}

func (ur userResources) Delete(r *http.Request, id string) error {
	h, ctx := ur.h, r.Context()
	orgID := tokenOf(ctx).OrgID
	if !validID(id) {
		return h.report(r, notFound("user", id))
	}
	// If-Match pins the version, which the service checks in the
	// delete's own transaction.
	pinned, err := preconditions(r, h.userVersion(ctx, id))
	if err == nil {
		_, err = h.svc.DeleteUser(ctx, actorOf(ctx), orgID, id, pinned)
	}
	if err != nil {
		return h.report(r, err)
	}
	return nil
}

// Get, GetAll and Patch complete the library's ResourceHandler interface.
// Roster routes those requests itself (see newRoutes); only paths its routes
// do not match, such as /Users/ or /Users/a/b, reach the library, and they
// name no user.
func (ur userResources) Get(r *http.Request, id string) (scim.Resource, error) {
	return scim.Resource{}, ur.h.report(r, unrouted("user", id))
}

func (ur userResources) GetAll(r *http.Request, _ scim.ListRequestParams) (scim.Page, error) {
	return scim.Page{}, ur.h.report(r, errRouted)
}

func (ur userResources) Patch(r *http.Request, id string, _ []scim.PatchOperation) (scim.Resource, error) {
	return scim.Resource{}, ur.h.report(r, unrouted("user", id))
}

// unrouted is the error for a request the library received for an id:
// not found, unless the id is one Roster's routes should have taken.
func unrouted(kind, id string) error {
	if validID(id) {
		return errRouted
	}
	return notFound(kind, id)
}

// errRouted reports a request that reached the library although Roster
// routes it itself: a routing bug.
var errRouted = directory.Internal(errors.New("request reached the library but is routed by Roster"))

// liveUser fetches a user of the request's organization that is not
// deleted.
func (h *handler) liveUser(ctx context.Context, id string) (*directory.User, error) {
	if !validID(id) {
		return nil, notFound("user", id)
	}
	u, err := h.svc.GetUser(ctx, tokenOf(ctx).OrgID, id)
	if err != nil {
		return nil, err
	}
	if u.Deleted() {
		return nil, notFound("user", id)
	}
	return u, nil
}

// userVersion returns a function reading a live user's version, for
// preconditions.
func (h *handler) userVersion(ctx context.Context, id string) func() (int64, error) {
	return func() (int64, error) {
		u, err := h.liveUser(ctx, id)
		if err != nil {
			return 0, err
		}
		return u.Version, nil
	}
}

// libUser is a user as the library writes it (it adds id, schemas and meta).
func (h *handler) libUser(r *http.Request, u *directory.User) scim.Resource {
	sel := h.selection(r, h.users)
	return scim.Resource{
		ID:         u.ID,
		Attributes: sel.apply(userAttributes(u, h.base)),
		Meta:       scim.Meta{Created: &u.CreatedAt, LastModified: &u.UpdatedAt, Version: etag.Of(u.Version)},
	}
}

// selection reads attributes and excludedAttributes from the query string.
func (h *handler) selection(r *http.Request, rs *resourceSchema) selection {
	if r.URL.RawQuery == "" {
		return selection{}
	}
	q := r.URL.Query()
	return newSelection(splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")), rs)
}

// userJSON renders a user in full, with its groups when sel asks for them,
// and trims it as sel asks. A user answered whole is a userDoc, written
// without building its map.
func (h *handler) userJSON(ctx context.Context, u *directory.User, sel selection) (any, error) {
	if sel.include == nil && sel.exclude == nil {
		return userDoc{u: u, base: h.base, schemas: h.userSchemas}, nil
	}
	m := userAttributes(u, h.base)
	if sel.requested("groups") {
		groups, err := h.svc.GroupsOfUser(ctx, u.OrgID, u.ID)
		if err != nil {
			return nil, err
		}
		list := make([]any, len(groups))
		for i, g := range groups {
			list[i] = map[string]any{"value": g.ID, "$ref": location(h.base, "Groups", g.ID), "display": g.DisplayName}
		}
		m["groups"] = list
	}
	m["schemas"] = h.userSchemas
	m["id"] = u.ID
	m["meta"] = meta("User", location(h.base, "Users", u.ID), u.CreatedAt, u.UpdatedAt, u.Version)
	return sel.apply(m), nil
}

// getUser serves GET /Users/{id}.
func (h *handler) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.liveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if notModified(r, u.Version) {
		w.Header().Set("Etag", etag.Of(u.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.writeUser(w, r, u)
}

// writeUser answers with the user, trimmed as the request asks.
func (h *handler) writeUser(w http.ResponseWriter, r *http.Request, u *directory.User) {
	res, err := h.userJSON(r.Context(), u, h.selection(r, h.users))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Etag", etag.Of(u.Version)) // "Etag" is how HTTP/1 writes ETag; set so, no key is allocated
	writeJSON(w, http.StatusOK, res)
}

// patchUser serves PATCH /Users/{id}: every operation applies in one
// transaction, or none does.
func (h *handler) patchUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID, id := tokenOf(ctx).OrgID, r.PathValue("id")
	ops, err := parsePatch(requestBody(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !validID(id) {
		h.fail(w, r, notFound("user", id))
		return
	}
	org, err := h.orgs.get(ctx, orgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ifVersion, err := preconditions(r, h.userVersion(ctx, id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Check and hash passwords before the transaction: hashing is slow by
	// design.
	hashes, err := h.patchPasswords(ctx, orgID, ops)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.svc.UpdateUser(ctx, actorOf(ctx), orgID, id, ifVersion, func(u *directory.User) error {
		return patchUser(u, org.users, ops, hashes)
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeUser(w, r, u)
}

// patchUser applies operations to u. It runs inside the update's
// transaction and may run again if the update is retried, so it only
// reads u and ops.
func patchUser(u *directory.User, rs *resourceSchema, ops []operation, hashes map[string]string) error {
	res := userAttributes(u, "")
	wasActive := scimActive(u)
	var password string
	p := patcher{rs: rs, res: res, kept: userKept, hookAttr: "password", hook: func(op string, _ target, v any) error {
		s, ok := v.(string)
		if op == "remove" || !ok || s == "" {
			return invalidValue("password can only be set, to a non-empty string")
		}
		password = s
		return nil
	}}
	if err := p.apply(ops); err != nil {
		return err
	}
	if err := applyUserAttributes(u, res); err != nil {
		return err
	}
	if active, ok := res["active"].(bool); ok && active != wasActive {
		setActive(u, active)
	}
	if password != "" {
		hash, ok := hashes[password]
		if !ok {
			return directory.Internal(errUnhashed)
		}
		if hash != "" {
			u.PasswordHash = hash
		}
	}
	return nil
}

// userKept is the patcher's kept of users, shared by every patch, which
// only reads it.
var userKept = map[string]bool{"active": true}

var errUnhashed = errors.New("a patched password was not hashed beforehand")

// patchPasswords checks every password the operations set against the
// organization's policy and hashes it, keyed by plaintext.
func (h *handler) patchPasswords(ctx context.Context, orgID string, ops []operation) (map[string]string, error) {
	hashes := map[string]string{}
	var policy *directory.PasswordPolicy
	add := func(v any) error {
		s, _ := v.(string)
		if _, done := hashes[s]; s == "" || done {
			return nil
		}
		if policy == nil {
			p, err := h.passwordPolicy(ctx, orgID)
			if err != nil {
				return err
			}
			policy = &p
		}
		hash, err := h.hashChecked(*policy, s)
		hashes[s] = hash
		return err
	}
	for _, o := range ops {
		switch {
		case o.path != nil && (o.path.Attr.URI == "" || strings.EqualFold(o.path.Attr.URI, userURN)) && strings.EqualFold(o.path.Attr.Name, "password"):
			if err := add(o.value); err != nil {
				return nil, err
			}
		case o.path == nil:
			obj, _ := o.value.(map[string]any)
			if err := add(lookup(obj, "password")); err != nil {
				return nil, err
			}
			if core, ok := lookup(obj, userURN).(map[string]any); ok {
				if err := add(lookup(core, "password")); err != nil {
					return nil, err
				}
			}
		}
	}
	return hashes, nil
}
