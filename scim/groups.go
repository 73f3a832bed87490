package scim

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/elimity-com/scim"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
	"github.com/roster/roster/scim/internal/filter"
)

// groupResources serves group creation, replacement and deletion through
// the library.
type groupResources struct{ h *handler }

func (gr groupResources) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h, ctx := gr.h, r.Context()
	in := &directory.Group{Source: directory.SourceSCIM}
	if err := applyGroupAttributes(in, attrs); err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	ids, _, err := memberIDs(attrs)
	if err == nil {
		err = checkMemberIDs(ids)
	}
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	g, err := h.svc.CreateGroup(ctx, actorOf(ctx), tokenOf(ctx).OrgID, in, ids)
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	// The members are the ones just added; their display names would cost
	// a lookup, and clients create groups empty anyway.
	members := make([]directory.Member, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			members = append(members, directory.Member{UserID: id})
		}
	}
	return h.libGroup(r, g, members), nil
}

func (gr groupResources) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h, ctx := gr.h, r.Context()
	orgID := tokenOf(ctx).OrgID
	if !validID(id) {
		return scim.Resource{}, h.report(r, notFound("group", id))
	}
	ifVersion, err := preconditions(r, h.groupVersion(ctx, orgID, id))
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	change := directory.GroupChange{
		IfVersion: ifVersion,
		Mutate:    func(g *directory.Group) error { return applyGroupAttributes(g, attrs) },
	}
	// Members the body does not list are not asserted and stay: a client
	// that read the group without members must not empty it by writing it
	// back. "members": [] empties it.
	ids, present, err := memberIDs(attrs)
	if err == nil {
		err = checkMemberIDs(ids)
	}
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	if present {
		change.Replace = &ids
	}
	g, err := h.svc.UpdateGroup(ctx, actorOf(ctx), orgID, id, change)
	if err != nil {
		return scim.Resource{}, h.report(r, err)
	}
	var members []directory.Member
	if h.selection(r, h.groups).returns("members") {
		if members, err = h.allMembers(ctx, orgID, id); err != nil {
			return scim.Resource{}, h.report(r, err)
		}
	}
	return h.libGroup(r, g, members), nil
}

func (gr groupResources) Delete(r *http.Request, id string) error {
	h, ctx := gr.h, r.Context()
	orgID := tokenOf(ctx).OrgID
	if !validID(id) {
		return h.report(r, notFound("group", id))
	}
	// If-Match pins the version, which the service checks in the
	// delete's own transaction.
	pinned, err := preconditions(r, h.groupVersion(ctx, orgID, id))
	if err == nil {
		err = h.svc.DeleteGroup(ctx, actorOf(ctx), orgID, id, pinned)
	}
	if err != nil {
		return h.report(r, err)
	}
	return nil
}

// Get, GetAll and Patch: see userResources.
func (gr groupResources) Get(r *http.Request, id string) (scim.Resource, error) {
	return scim.Resource{}, gr.h.report(r, unrouted("group", id))
}

func (gr groupResources) GetAll(r *http.Request, _ scim.ListRequestParams) (scim.Page, error) {
	return scim.Page{}, gr.h.report(r, errRouted)
}

func (gr groupResources) Patch(r *http.Request, id string, _ []scim.PatchOperation) (scim.Resource, error) {
	return scim.Resource{}, gr.h.report(r, unrouted("group", id))
}

// libGroup is a group as the library writes it.
func (h *handler) libGroup(r *http.Request, g *directory.Group, members []directory.Member) scim.Resource {
	return scim.Resource{
		ID:         g.ID,
		Attributes: h.selection(r, h.groups).apply(groupAttributes(g, members, h.base)),
		Meta:       scim.Meta{Created: &g.CreatedAt, LastModified: &g.UpdatedAt, Version: etag.Of(g.Version)},
	}
}

// checkMemberIDs refuses member values that cannot be user ids.
func checkMemberIDs(ids []string) error {
	for _, id := range ids {
		if !validID(id) {
			return invalidValue("member %q is not a user id", id)
		}
	}
	return nil
}

func (h *handler) groupVersion(ctx context.Context, orgID, id string) func() (int64, error) {
	return func() (int64, error) {
		g, err := h.svc.GetGroup(ctx, orgID, id)
		if err != nil {
			return 0, err
		}
		return g.Version, nil
	}
}

// allMembers pages through a group's members. Only reads that return
// members call it; membership changes never do.
func (h *handler) allMembers(ctx context.Context, orgID, groupID string) ([]directory.Member, error) {
	members := []directory.Member{}
	after := ""
	for {
		page, err := h.svc.ListMembers(ctx, orgID, groupID, after, directory.MaxPageSize)
		if err != nil {
			return nil, err
		}
		members = append(members, page.Members...)
		if page.Next == "" {
			return members, nil
		}
		after = page.Next
	}
}

// groupJSON renders a group in full; members is nil when not loaded.
func (h *handler) groupJSON(g *directory.Group, members []directory.Member, sel selection) map[string]any {
	m := groupAttributes(g, members, h.base)
	m["schemas"] = h.groups.ids()
	m["id"] = g.ID
	m["meta"] = meta("Group", location(h.base, "Groups", g.ID), g.CreatedAt, g.UpdatedAt, g.Version)
	return sel.apply(m)
}

// getGroup serves GET /Groups/{id}; with excludedAttributes=members (as
// Entra asks) the members are not read at all.
func (h *handler) getGroup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID, id := tokenOf(ctx).OrgID, r.PathValue("id")
	if !validID(id) {
		h.fail(w, r, notFound("group", id))
		return
	}
	g, err := h.svc.GetGroup(ctx, orgID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag.Of(g.Version))
	if notModified(r, g.Version) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	sel := h.selection(r, h.groups)
	var members []directory.Member
	switch {
	case !sel.returns("members"):
	case sel.wholeAttribute("members"):
		h.streamGroup(w, r, g, sel)
		return
	default: // some of the members' sub-attributes: trimmed as a whole
		if members, err = h.allMembers(ctx, orgID, id); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, h.groupJSON(g, members, sel))
}

// patchGroup serves PATCH /Groups/{id}. Attribute changes and membership
// changes apply in one transaction. Adding and removing members costs time
// in the number of members named, never in the group's size; replacing
// the whole member list leaves the difference to the store, which works
// it out without reading the members into the process.
func (h *handler) patchGroup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID, id := tokenOf(ctx).OrgID, r.PathValue("id")
	body, _ := io.ReadAll(r.Body)
	ops, err := parsePatch(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !validID(id) {
		h.fail(w, r, notFound("group", id))
		return
	}
	ifVersion, err := preconditions(r, h.groupVersion(ctx, orgID, id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The member changes do not depend on the group's state, so they are
	// worked out first; the attribute changes apply to the group as read in
	// the transaction.
	var members memberChange
	if err := patchGroup(&directory.Group{}, h.groups, ops, &members); err != nil {
		h.fail(w, r, err)
		return
	}
	change := directory.GroupChange{
		IfVersion: ifVersion,
		Mutate:    func(g *directory.Group) error { return patchGroup(g, h.groups, ops, nil) },
		Add:       members.added(),
		Remove:    members.removed(),
		Replace:   members.replacement(),
	}
	g, err := h.svc.UpdateGroup(ctx, actorOf(ctx), orgID, id, change)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Entra and Okta both take 204; a body would have to list the members.
	w.Header().Set("ETag", etag.Of(g.Version))
	w.WriteHeader(http.StatusNoContent)
}

// patchGroup applies operations to g's attributes, and collects the
// membership changes in members (nil: ignore them).
func patchGroup(g *directory.Group, rs *resourceSchema, ops []operation, members *memberChange) error {
	res := groupAttributes(g, nil, "")
	p := patcher{rs: rs, res: res, hookAttr: "members", hook: func(op string, t target, v any) error {
		if members == nil {
			return nil
		}
		return members.apply(op, t, v)
	}}
	if err := p.apply(ops); err != nil {
		return err
	}
	return applyGroupAttributes(g, res)
}

// memberChange accumulates membership operations in order: adds and
// removes of named users, or a whole new list that later adds and removes
// then edit.
type memberChange struct {
	replaced bool
	list     map[string]bool // the new list, when replaced
	add      map[string]bool
	remove   map[string]bool
}

func (c *memberChange) apply(op string, t target, v any) error {
	if t.sub != nil {
		return mutability("members' sub-attributes cannot be changed; add or remove the member")
	}
	var ids []string
	if v != nil {
		var err error
		if ids, err = memberValues(v); err != nil {
			return err
		}
	}
	if t.filter != nil {
		named, err := filteredMembers(t.filter)
		if err != nil {
			return err
		}
		// A filtered remove drops the named members; a filtered add or
		// replace swaps them for the value's.
		c.drop(named)
		if op == "remove" {
			return nil
		}
		return c.put(ids)
	}
	switch {
	case op == "add":
		return c.put(ids)
	case op == "replace" || v == nil: // replace, or remove all
		c.replaced, c.list, c.add, c.remove = true, map[string]bool{}, nil, nil
		return c.put(ids)
	}
	c.drop(ids)
	return nil
}

func (c *memberChange) put(ids []string) error {
	if err := checkMemberIDs(ids); err != nil {
		return err
	}
	for _, id := range ids {
		if c.replaced {
			c.list[id] = true
			continue
		}
		delete(c.remove, id)
		c.add = setAdd(c.add, id)
	}
	return nil
}

func (c *memberChange) drop(ids []string) {
	for _, id := range ids {
		if c.replaced {
			delete(c.list, id)
			continue
		}
		delete(c.add, id)
		if validID(id) {
			c.remove = setAdd(c.remove, id)
		}
	}
}

func (c *memberChange) added() []string   { return keys(c.add) }
func (c *memberChange) removed() []string { return keys(c.remove) }

func (c *memberChange) replacement() *[]string {
	if !c.replaced {
		return nil
	}
	list := keys(c.list)
	if list == nil {
		list = []string{}
	}
	return &list
}

func setAdd(set map[string]bool, id string) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	set[id] = true
	return set
}

// keys lists a set (the service sorts ids before writing them).
func keys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	return out
}

// filteredMembers reads the ids out of a members filter, which may only
// name members by value: members[value eq "id"], or several joined by or.
func filteredMembers(e filter.Expr) ([]string, error) {
	switch e := e.(type) {
	case filter.Compare:
		if id, ok := e.Value.(string); ok && e.Op == "eq" && strings.EqualFold(e.Attr.Name, "value") {
			return []string{id}, nil
		}
	case filter.Or:
		var ids []string
		for _, x := range e {
			more, err := filteredMembers(x)
			if err != nil {
				return nil, err
			}
			ids = append(ids, more...)
		}
		return ids, nil
	}
	return nil, invalidFilter("members can only be selected by value eq \"<user id>\"")
}
