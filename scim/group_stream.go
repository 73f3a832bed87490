package scim

import (
	"net/http"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
	"github.com/roster/roster/internal/jsonenc"
)

// streamGroup writes a group with all its members a page at a time: the
// group's other attributes, then each page of members as it is read, so
// that a group of 100,000 members is never held in memory whole, neither
// as members nor as JSON. The first page is read before the status is
// written, so that its failure is still an error response; a later
// page's failure ends the response cut short, which no client takes for
// a group.
func (h *handler) streamGroup(w http.ResponseWriter, r *http.Request, g *directory.Group, sel selection) {
	ctx := r.Context()
	page, err := h.svc.ListMembers(ctx, g.OrgID, g.ID, "", directory.MaxPageSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	head, err := appendJSON(make([]byte, 0, 1024), h.groupJSON(g, nil, sel))
	if err != nil || len(head) < 2 || head[len(head)-1] != '}' {
		h.fail(w, r, directory.Internal(err))
		return
	}
	buf := append(head[:len(head)-1], `,"members":[`...)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("ETag", etag.Of(g.Version))
	w.WriteHeader(http.StatusOK)
	first := true
	for {
		for _, m := range page.Members {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendMember(buf, m, h.base)
		}
		if page.Next == "" {
			break
		}
		if _, err := w.Write(buf); err != nil { //nolint:gosec // JSON (<, > and & escaped) served as application/scim+json
			return // the client went away
		}
		buf = buf[:0]
		if page, err = h.svc.ListMembers(ctx, g.OrgID, g.ID, page.Next, directory.MaxPageSize); err != nil {
			h.log.ErrorContext(ctx, "reading a group's members", "group", g.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	_, _ = w.Write(append(buf, "]}"...)) //nolint:gosec // as above
}

// appendMember appends one member as groupAttributes renders it and
// appendJSON encodes it (keys sorted, display left out when empty),
// without a map.
func appendMember(b []byte, m directory.Member, base string) []byte {
	b = append(b, `{"$ref":`...)
	b = jsonenc.AppendString(b, location(base, "Users", m.UserID))
	if m.Display != "" {
		b = append(b, `,"display":`...)
		b = jsonenc.AppendString(b, m.Display)
	}
	b = append(b, `,"type":"User","value":`...)
	b = jsonenc.AppendString(b, m.UserID)
	return append(b, '}')
}
