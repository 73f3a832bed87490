package admin

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// sortable are the sort keys of the user list and the attributes they
// name.
var sortable = map[string]directory.Attr{
	"userName": directory.UserUserName, "email": directory.UserEmail, "givenName": directory.UserGivenName,
	"familyName": directory.UserFamilyName, "displayName": directory.UserDisplayName, "status": directory.UserStatus,
	"role": directory.UserRole, "createdAt": directory.UserCreated, "updatedAt": directory.UserLastModified,
	"lastLoginAt": directory.UserLastLogin,
}

// listQuery turns the list's query parameters into a user query: q searches
// first name, last name, email and userName; status, role and source filter
// (comma-separated lists); sort, order, limit and cursor page; count=true
// asks for the number of matching users (a count over every one of them,
// so only when asked: at a million users it costs more than the page).
func listQuery(r *http.Request) (directory.UserQuery, error) {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "q", "status", "role", "source", "sort", "order", "limit", "cursor", "count":
		default:
			return directory.UserQuery{}, directory.FieldErrorf(directory.CodeInvalid, key, "unknown query parameter %q", key)
		}
	}
	var and directory.And
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		if len(s) > 200 {
			return directory.UserQuery{}, directory.FieldErrorf(directory.CodeInvalid, "q", "q is limited to 200 characters")
		}
		and = append(and, directory.Or{
			directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: s},
			directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: s},
		})
	}
	query := directory.UserQuery{}
	type filter struct {
		param string
		attr  directory.Attr
		valid func(string) bool
	}
	for _, f := range []filter{
		{"status", directory.UserStatus, func(s string) bool { return directory.Status(s).Valid() }},
		{"role", directory.UserRole, func(s string) bool { return directory.Role(s).Valid() }},
		{"source", directory.UserSource, func(s string) bool { return directory.Source(s).Valid() }},
	} {
		raw := q.Get(f.param)
		if raw == "" {
			continue
		}
		var or directory.Or
		for _, v := range strings.Split(raw, ",") {
			v = strings.TrimSpace(v)
			if !f.valid(v) {
				return query, directory.FieldErrorf(directory.CodeInvalid, f.param, "%s %q is not one of the known values", f.param, v)
			}
			if f.param == "status" && v == string(directory.StatusDeleted) {
				query.IncludeDeleted = true
			}
			or = append(or, directory.Eq(f.attr, v))
		}
		and = append(and, or)
	}
	if len(and) > 0 {
		query.Filter = and
	}
	if s := q.Get("sort"); s != "" {
		attr, ok := sortable[s]
		if !ok {
			return query, directory.FieldErrorf(directory.CodeInvalid, "sort", "cannot sort by %q", s)
		}
		query.Sort.Attr = attr
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		query.Sort.Desc = true
	default:
		return query, directory.FieldErrorf(directory.CodeInvalid, "order", "order must be asc or desc")
	}
	limit, err := queryInt(r, "limit", directory.DefaultPageSize, 1, directory.MaxPageSize)
	if err != nil {
		return query, err
	}
	query.Limit, query.After = limit, q.Get("cursor")
	switch q.Get("count") {
	case "", "false":
	case "true":
		query.CountTotal = true
	default:
		return query, directory.FieldErrorf(directory.CodeInvalid, "count", "count must be true or false")
	}
	return query, nil
}

type userPage struct {
	Users []userView `json:"users"`
	Total *int       `json:"total,omitempty"` // with count=true
	Next  string     `json:"next,omitempty"`
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userPage, error) {
	q, err := listQuery(r)
	if err != nil {
		return userPage{}, err
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return userPage{}, err
	}
	page, err := h.dir.ListUsers(r.Context(), p.orgID(), q)
	if err != nil {
		return userPage{}, err
	}
	out := userPage{Users: make([]userView, 0, len(page.Users)), Next: page.Next}
	if q.CountTotal {
		out.Total = &page.Total
	}
	for _, u := range page.Users {
		out.Users = append(out.Users, viewUser(u, org))
	}
	return out, nil
}

// user loads the user named by the path in the caller's organization; an id
// of another organization is not found, like an unknown one.
func (h *handler) user(r *http.Request, p *principal) (*directory.User, error) {
	return h.dir.GetUser(r.Context(), p.orgID(), r.PathValue("id"))
}

// detail renders a user with its second-factor state.
func (h *handler) detail(r *http.Request, u *directory.User) (userView, error) {
	org, err := h.dir.GetOrg(r.Context(), u.OrgID)
	if err != nil {
		return userView{}, err
	}
	m, err := h.dir.GetMFA(r.Context(), u.OrgID, u.ID)
	if err != nil {
		return userView{}, err
	}
	phone, err := h.dir.GetSMSPhone(r.Context(), u.OrgID, u.ID)
	if err != nil {
		return userView{}, err
	}
	held, err := h.dir.ServicesOfUser(r.Context(), u)
	if err != nil {
		return userView{}, err
	}
	v := viewUser(u, org)
	v.MFA = viewMFA(m).withSMS(phone)
	v.Services = []string{}
	for _, sv := range held {
		v.Services = append(v.Services, sv.Key)
	}
	return v, nil
}

// userAnswer is the answer about u, with its version as the ETag.
func (h *handler) userAnswer(w http.ResponseWriter, r *http.Request, u *directory.User) (userView, error) {
	v, err := h.detail(r, u)
	if err != nil {
		return userView{}, err
	}
	w.Header().Set("ETag", etag.Of(u.Version))
	return v, nil
}

func (h *handler) getUser(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	u, err := h.user(r, p)
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}
