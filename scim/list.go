package scim

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// listRequest is a query, from the query string (GET) or a SearchRequest
// body (POST .search).
type listRequest struct {
	Filter             string
	SortBy             string
	SortOrder          string
	StartIndex         *int
	Count              *int
	Cursor             *string // RFC 9865; present (even empty) asks for cursor paging
	Attributes         []string
	ExcludedAttributes []string
}

func listRequestFromQuery(q url.Values) (listRequest, error) {
	req := listRequest{
		Filter: q.Get("filter"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder"),
		Attributes: splitList(q.Get("attributes")), ExcludedAttributes: splitList(q.Get("excludedAttributes")),
	}
	for name, dst := range map[string]**int{"startIndex": &req.StartIndex, "count": &req.Count} {
		if s := q.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return req, invalidValue("%s must be an integer, not %q", name, s)
			}
			*dst = &n
		}
	}
	if _, ok := q["cursor"]; ok {
		c := q.Get("cursor")
		req.Cursor = &c
	}
	return req, nil
}

func listRequestFromBody(r *http.Request) (listRequest, error) {
	var body struct {
		Schemas []string `json:"schemas"`
		listRequest
	}
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		return listRequest{}, invalidSyntax("the body is not a SearchRequest: %v", err)
	}
	if !containsFold(body.Schemas, searchRequestURN) {
		return listRequest{}, invalidSyntax("schemas must list %s", searchRequestURN)
	}
	return body.listRequest, nil
}

// listPlan is a listRequest checked and translated for the store.
type listPlan struct {
	filter directory.Expr
	sort   directory.Sort
	sel    selection
	// Index paging: offset = startIndex-1. Cursor paging: after is the
	// store's cursor and binding ties cursors to the query they page.
	startIndex int
	limit      int // 0: count only
	cursor     bool
	after      string
	binding    string
	// unsorted marks a root search's plan for a resource type that lacks
	// sortBy: its resources have no value to sort by.
	unsorted bool
	// countKey and positionKey name the query in the handler's listMemo.
	countKey, positionKey string
}

func (h *handler) plan(req listRequest, t *queryTable, rs *resourceSchema, kind, orgID string) (listPlan, error) {
	p := listPlan{
		startIndex: 1, limit: directory.DefaultPageSize, sel: newSelection(req.Attributes, req.ExcludedAttributes, rs),
		countKey: countKey(kind, orgID, req.Filter), positionKey: positionKey(kind, orgID, req.Filter, req.SortBy, req.SortOrder),
	}
	var err error
	if p.filter, err = compileFilter(req.Filter, t); err != nil {
		return p, err
	}
	if req.SortBy != "" {
		if p.sort.Attr, err = sortAttr(req.SortBy, t); err != nil {
			return p, err
		}
		switch strings.ToLower(req.SortOrder) {
		case "", "ascending":
		case "descending":
			p.sort.Desc = true
		default:
			return p, invalidValue("sortOrder must be ascending or descending, not %q", req.SortOrder)
		}
	}
	if req.Count != nil {
		p.limit = min(max(*req.Count, 0), directory.MaxPageSize)
	}
	if req.Cursor == nil {
		if req.StartIndex != nil && *req.StartIndex > 1 {
			p.startIndex = *req.StartIndex
		}
		return p, nil
	}
	if req.StartIndex != nil {
		return p, invalidValue("use startIndex or cursor, not both")
	}
	p.cursor = true
	p.binding = strings.Join([]string{kind, orgID, req.Filter, req.SortBy, strings.ToLower(req.SortOrder)}, "\n")
	if *req.Cursor != "" {
		if p.after, err = decodeCursor(p.binding, *req.Cursor); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Cursors are the store's keyset cursor prefixed with a hash of the query
// they belong to, in URL-safe base64 (RFC 9865 allows only unreserved
// characters). Keyset cursors do not expire.
const cursorTagLen = 8

func encodeCursor(binding, after string) string {
	tag := sha256.Sum256([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(append(tag[:cursorTagLen:cursorTagLen], after...))
}

func decodeCursor(binding, c string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	tag := sha256.Sum256([]byte(binding))
	if err != nil || len(raw) <= cursorTagLen || string(raw[:cursorTagLen]) != string(tag[:cursorTagLen]) {
		return "", badRequest(scimTypeInvalidCursor,
			"the cursor is not one this query returned; start again with an empty cursor and the same filter and sort")
	}
	return string(raw[cursorTagLen:]), nil
}

// total works out totalResults from the page when it can, sparing the
// store a count: a short page at the start of the result set, or any
// non-empty page with no next, ends it. ok is false when the store must
// count.
func (p listPlan) total(n int, next string) (int, bool) {
	switch {
	case p.limit == 0:
		return 0, false
	case p.cursor:
		return n, p.after == "" && next == ""
	case n < p.limit && (n > 0 || p.startIndex == 1):
		return p.startIndex - 1 + n, true
	case n > 0 && next == "":
		// A full page that the store found nothing after (it reads one
		// row more than the page) ends the listing too.
		return p.startIndex - 1 + n, true
	}
	return 0, false
}

// floor is the least totalResults a page allows: the resources up to its
// end, plus one when more follow. An empty page allows any.
func (p listPlan) floor(n int, next string) int {
	if n == 0 {
		return 0
	}
	total := n
	if !p.cursor {
		total += p.startIndex - 1
	}
	if next != "" {
		total++
	}
	return total
}

// seek turns a deep index page into a seek to the nearest position the
// memo remembers at or before it and a walk of the rest (see listMemo).
// When that walk is a stride or longer, it is made by stride, in queries
// of one resource a stride further on each, whose cursors the memo keeps
// as anchors: the first deep jump into a listing costs about the walk it
// replaces, and later ones anywhere before it less than a stride.
func (h *handler) seek(ctx context.Context, p listPlan, stride strideFunc) (after string, afterOffset, offset int, err error) {
	offset = p.startIndex - 1
	if p.cursor {
		return p.after, 0, 0, nil
	}
	if offset <= 0 {
		return "", 0, 0, nil
	}
	pos, after, _ := h.memo.seek(p.positionKey, offset)
	for offset-pos >= h.memo.stride {
		next, err := stride(ctx, after, h.memo.stride-1)
		if err != nil {
			return "", 0, 0, err
		}
		if next == "" {
			break // the listing ends before offset: the page is empty
		}
		pos, after = pos+h.memo.stride, next
		h.memo.anchor(p.positionKey, pos, after)
	}
	if after == "" {
		return "", 0, offset, nil
	}
	return after, offset - pos, 0, nil
}

// strideFunc finds the resource skip places after the cursor after (from
// the first when after is ""), and returns the cursor after it: "" when
// there is none, or nothing after it. It reads ids and sort keys alone;
// its query sets both Offset and AfterOffset to skip, and the store uses
// the one that applies.
type strideFunc func(ctx context.Context, after string, skip int) (next string, err error)

// userStride and groupStride are the listings' strideFuncs.
func (h *handler) userStride(orgID string, p listPlan) strideFunc {
	return func(ctx context.Context, after string, skip int) (string, error) {
		page, err := h.svc.ListUsers(ctx, orgID, directory.UserQuery{Filter: p.filter, Sort: p.sort, Limit: 1, After: after, Offset: skip, AfterOffset: skip, CursorOnly: true})
		if err != nil {
			return "", err
		}
		return page.Next, nil
	}
}

func (h *handler) groupStride(orgID string, p listPlan) strideFunc {
	return func(ctx context.Context, after string, skip int) (string, error) {
		page, err := h.svc.ListGroups(ctx, orgID, directory.GroupQuery{Filter: p.filter, Sort: p.sort, Limit: 1, After: after, Offset: skip, AfterOffset: skip, CursorOnly: true})
		if err != nil {
			return "", err
		}
		return page.Next, nil
	}
}

// pageServed remembers where an index page ended, for the next one.
func (h *handler) pageServed(p listPlan, n int, next string) {
	if !p.cursor && n > 0 {
		h.memo.mark(p.positionKey, p.startIndex-1+n, next)
	}
}

// listTotal is the page's totalResults: worked out from the page when it
// can be, else counted by count or remembered (see listMemo).
func (h *handler) listTotal(ctx context.Context, p listPlan, n int, next string, count func(context.Context) (int, error)) (int, error) {
	if total, ok := p.total(n, next); ok {
		return total, nil
	}
	total, err := h.memo.total(ctx, p.countKey, count)
	if err != nil {
		return 0, err
	}
	return max(total, p.floor(n, next)), nil
}

// listResponse is an RFC 7644 ListResponse with RFC 9865's nextCursor.
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex,omitempty"`
	NextCursor   string   `json:"nextCursor,omitempty"`
	Resources    []any    `json:"Resources"` // map[string]any or userDoc
}

func (p listPlan) response(total int, resources []any, next string) listResponse {
	lr := listResponse{
		Schemas: []string{listResponseURN}, TotalResults: total,
		ItemsPerPage: len(resources), Resources: resources,
	}
	if p.cursor {
		if next != "" {
			lr.NextCursor = encodeCursor(p.binding, next)
		}
	} else {
		lr.StartIndex = p.startIndex
	}
	return lr
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	req, err := listRequestFromQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveUsers(w, r, req)
}

func (h *handler) searchUsers(w http.ResponseWriter, r *http.Request) {
	req, err := listRequestFromBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveUsers(w, r, req)
}

func (h *handler) serveUsers(w http.ResponseWriter, r *http.Request, req listRequest) {
	ctx := r.Context()
	orgID := tokenOf(ctx).OrgID
	p, err := h.plan(req, &userQueries, h.users, "Users", orgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := &directory.UserPage{}
	if p.limit > 0 {
		q := directory.UserQuery{Filter: p.filter, Sort: p.sort, Limit: p.limit}
		q.After, q.AfterOffset, q.Offset, err = h.seek(ctx, p, h.userStride(orgID, p))
		if err == nil {
			page, err = h.svc.ListUsers(ctx, orgID, q)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.pageServed(p, len(page.Users), page.Next)
	}
	total, err := h.listTotal(ctx, p, len(page.Users), page.Next, func(ctx context.Context) (int, error) {
		counted, err := h.svc.ListUsers(ctx, orgID, directory.UserQuery{Filter: p.filter, Limit: 1, CountTotal: true})
		if err != nil {
			return 0, err
		}
		return counted.Total, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resources := make([]any, 0, len(page.Users))
	for _, u := range page.Users {
		res, err := h.userJSON(ctx, u, p.sel)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		resources = append(resources, res)
	}
	writeJSON(w, http.StatusOK, p.response(total, resources, page.Next))
}

func (h *handler) listGroups(w http.ResponseWriter, r *http.Request) {
	req, err := listRequestFromQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveGroups(w, r, req)
}

func (h *handler) searchGroups(w http.ResponseWriter, r *http.Request) {
	req, err := listRequestFromBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveGroups(w, r, req)
}

func (h *handler) serveGroups(w http.ResponseWriter, r *http.Request, req listRequest) {
	ctx := r.Context()
	orgID := tokenOf(ctx).OrgID
	p, err := h.plan(req, &groupQueries, h.groups, "Groups", orgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := &directory.GroupPage{}
	if p.limit > 0 {
		q := directory.GroupQuery{Filter: p.filter, Sort: p.sort, Limit: p.limit}
		q.After, q.AfterOffset, q.Offset, err = h.seek(ctx, p, h.groupStride(orgID, p))
		if err == nil {
			page, err = h.svc.ListGroups(ctx, orgID, q)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.pageServed(p, len(page.Groups), page.Next)
	}
	total, err := h.listTotal(ctx, p, len(page.Groups), page.Next, func(ctx context.Context) (int, error) {
		counted, err := h.svc.ListGroups(ctx, orgID, directory.GroupQuery{Filter: p.filter, Limit: 1, CountTotal: true})
		if err != nil {
			return 0, err
		}
		return counted.Total, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	withMembers := p.sel.returns("members")
	resources := make([]any, 0, len(page.Groups))
	for _, g := range page.Groups {
		var members []directory.Member
		if withMembers {
			if members, err = h.allMembers(ctx, orgID, g.ID); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		resources = append(resources, h.groupJSON(g, members, p.sel))
	}
	writeJSON(w, http.StatusOK, p.response(total, resources, page.Next))
}
