package scim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// searchAll serves POST /.search at the root (RFC 7644 §3.4.3): Users and
// Groups together, with filter, sort and index paging.
//
// The filter is compiled for each resource type: a type whose attributes
// cannot express it (userName for Groups, members for Users) has no
// resource that matches, and a filter neither type can express is refused.
// Resources are sorted by sortBy where a type has it; a type without it
// has no value for it, so its resources sort as missing values do (last
// ascending, first descending). Without sortBy, Users come before Groups,
// each in id order. Ties break by id. Pages reach at most
// directory.MaxPageSize resources deep; cursors are not offered here.
func (h *handler) searchAll(w http.ResponseWriter, r *http.Request) {
	req, err := listRequestFromBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Cursor != nil {
		h.fail(w, r, invalidValue("cursor paging is offered by /Users/.search and /Groups/.search, not by /.search"))
		return
	}
	ctx := r.Context()
	orgID := tokenOf(ctx).OrgID
	up, uerr := h.plan(req, &userQueries, h.users, "Users", orgID)
	gp, gerr := h.plan(req, &groupQueries, h.groups, "Groups", orgID)
	if uerr != nil && gerr != nil {
		h.fail(w, r, uerr)
		return
	}
	// A plan that failed only on its sort still searches that type, with
	// every resource missing the sort value.
	if uerr != nil && req.SortBy != "" {
		if alt, err := h.plan(listRequest{Filter: req.Filter, Count: req.Count, StartIndex: req.StartIndex,
			Attributes: req.Attributes, ExcludedAttributes: req.ExcludedAttributes}, &userQueries, h.users, "Users", orgID); err == nil {
			up, uerr = alt, nil
			up.unsorted, up.sort.Desc = true, gp.sort.Desc
		}
	}
	if gerr != nil && req.SortBy != "" {
		if alt, err := h.plan(listRequest{Filter: req.Filter, Count: req.Count, StartIndex: req.StartIndex,
			Attributes: req.Attributes, ExcludedAttributes: req.ExcludedAttributes}, &groupQueries, h.groups, "Groups", orgID); err == nil {
			gp, gerr = alt, nil
			gp.unsorted, gp.sort.Desc = true, up.sort.Desc
		}
	}
	if uerr == nil && gerr == nil && up.unsorted && gp.unsorted {
		h.fail(w, r, invalidValue("cannot sort by %s", req.SortBy))
		return
	}
	p := up
	if uerr != nil {
		p = gp
	}
	depth := p.startIndex - 1 + p.limit
	if depth > directory.MaxPageSize {
		h.fail(w, r, invalidValue("/.search returns the first %d results at most; use /Users or /Groups to page further", directory.MaxPageSize))
		return
	}

	var found []searchHit
	total := 0
	if uerr == nil {
		// One query gives the page and the count (a page of one when
		// only the count is wanted).
		page, err := h.svc.ListUsers(ctx, orgID, directory.UserQuery{Filter: up.filter, Sort: up.sort, Limit: max(depth, 1), CountTotal: true})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, u := range page.Users[:min(depth, len(page.Users))] {
			found = append(found, searchHit{rank: 0, id: u.ID, user: u, key: userSortKey(u, up)})
		}
		total += page.Total
	}
	if gerr == nil {
		page, err := h.svc.ListGroups(ctx, orgID, directory.GroupQuery{Filter: gp.filter, Sort: gp.sort, Limit: max(depth, 1), CountTotal: true})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, g := range page.Groups[:min(depth, len(page.Groups))] {
			found = append(found, searchHit{rank: 1, id: g.ID, group: g, key: groupSortKey(g, gp)})
		}
		total += page.Total
	}

	sorted := req.SortBy != ""
	desc := sorted && strings.EqualFold(req.SortOrder, "descending")
	slices.SortStableFunc(found, func(a, b searchHit) int { return a.compare(b, sorted, desc) })
	from := min(p.startIndex-1, len(found))
	found = found[from:min(from+p.limit, len(found))]

	resources := make([]any, 0, len(found))
	for _, hit := range found {
		if hit.user != nil {
			res, err := h.userJSON(ctx, hit.user, up.sel)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			resources = append(resources, res)
			continue
		}
		var members []directory.Member
		if gp.sel.returns("members") {
			if members, err = h.allMembers(ctx, orgID, hit.group.ID); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		resources = append(resources, h.groupJSON(hit.group, members, gp.sel))
	}
	writeJSON(w, http.StatusOK, p.response(total, resources, ""))
}

// searchHit is one resource found by a root search, with its sort key.
type searchHit struct {
	rank  int // Users 0, Groups 1
	id    string
	key   sortKey
	user  *directory.User
	group *directory.Group
}

// sortKey is a resource's sortBy value as the stores order it: text
// without case (empty text is missing), or a time.
type sortKey struct {
	missing bool
	text    string
	time    time.Time
}

func (a searchHit) compare(b searchHit, sorted, desc bool) int {
	if !sorted {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.id, b.id))
	}
	if a.key.missing != b.key.missing {
		// Missing values come last ascending, first descending.
		if a.key.missing != desc {
			return 1
		}
		return -1
	}
	c := cmp.Or(a.key.time.Compare(b.key.time), strings.Compare(a.key.text, b.key.text), strings.Compare(a.id, b.id))
	if desc {
		return -c
	}
	return c
}

func textKey(s string, exact bool) sortKey {
	if !exact {
		s = strings.ToLower(s)
	}
	return sortKey{missing: s == "", text: s}
}

func userSortKey(u *directory.User, p listPlan) sortKey {
	if p.unsorted {
		return sortKey{missing: true}
	}
	switch p.sort.Attr {
	case directory.UserID:
		return sortKey{text: u.ID}
	case directory.UserCreated:
		return sortKey{time: u.CreatedAt}
	case directory.UserLastModified:
		return sortKey{time: u.UpdatedAt}
	case directory.UserManager:
		return textKey(u.Enterprise.ManagerID, true)
	}
	if a, ok := directory.UserAttribute(p.sort.Attr); ok && a.Text != nil {
		return textKey(*a.Text(u), a.CaseExact)
	}
	return sortKey{missing: true}
}

func groupSortKey(g *directory.Group, p listPlan) sortKey {
	if p.unsorted {
		return sortKey{missing: true}
	}
	switch p.sort.Attr {
	case directory.GroupID:
		return sortKey{text: g.ID}
	case directory.GroupDisplayName:
		return textKey(g.DisplayName, false)
	case directory.GroupExternalID:
		return textKey(g.ExternalID, true)
	case directory.GroupCreated:
		return sortKey{time: g.CreatedAt}
	case directory.GroupLastModified:
		return sortKey{time: g.UpdatedAt}
	}
	return sortKey{missing: true}
}
