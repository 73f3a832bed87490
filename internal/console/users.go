package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// usersPath is the users list; a user's page is usersPath/{id}.
const usersPath = "/users"

// userPages are the Users section's pages: the list, a user's edit page,
// the new-user and multiple-user forms, the import, and the row actions.
func (c *Console) userPages() []page {
	get, post := http.MethodGet, http.MethodPost
	return []page{
		{get, usersPath, admin.PermRead, false, c.usersList},
		{post, usersPath + "/delete", admin.PermWrite, false, c.usersDelete},
		{get, usersPath + "/new", admin.PermWrite, false, c.userNewPage},
		{post, usersPath + "/new", admin.PermWrite, false, c.userNewSubmit},
		{get, usersPath + "/multi", admin.PermWrite, false, c.usersMultiPage},
		{post, usersPath + "/multi", admin.PermWrite, false, c.usersMultiSubmit},
		{get, usersPath + "/{id}", admin.PermRead, false, c.userEditPage},
		{post, usersPath + "/{id}", admin.PermWrite, false, c.userEditSubmit},
		{post, usersPath + "/{id}/suspend", admin.PermWrite, false, c.userAction(actSuspend)},
		{post, usersPath + "/{id}/reactivate", admin.PermWrite, false, c.userAction(actReactivate)},
		{post, usersPath + "/{id}/unlock", admin.PermWrite, false, c.userAction(actUnlock)},
		{post, usersPath + "/{id}/reset-password", admin.PermWrite, false, c.userAction(actResetPassword)},
		{post, usersPath + "/{id}/delete", admin.PermWrite, false, c.userAction(actDelete)},
		{post, usersPath + "/{id}/restore", admin.PermWrite, false, c.userAction(actRestore)},
		{post, usersPath + "/{id}/mfa", admin.PermWrite, false, c.userAction(actRequireMFA)},
		{post, usersPath + "/{id}/mfa/reset", admin.PermWrite, false, c.userAction(actResetMFA)},
	}
}

// listPageSize is the number of users a page of the list shows.
const listPageSize = 50

// usersData is what the users list shows.
type usersData struct {
	Org   *directory.Org
	Users []*directory.User
	// Query is the list's search, filters and sort, as the form shows them.
	Query url.Values
	// Deleted says the list shows deleted users (the Restore view).
	Deleted bool
	// Next is the URL of the next page, "" on the last one.
	Next string
	// First is the URL of the first page when this is a later one.
	First string
	// Back is this page's URL, where the row actions come back to.
	Back   string
	Errors formErrors
	// Options of the filters.
	Statuses []string
	Roles    []directory.Role
	Sources  []directory.Source
	Sorts    []sortOption
}

type sortOption struct{ Value, Label string }

// listSorts are the list's sort keys; "" is the id, which orders users
// by creation.
var listSorts = []sortOption{
	{"", "Created"}, {"givenName", "First name"}, {"familyName", "Last name"}, {"email", "Email"},
	{"role", "Role"}, {"status", "Status"}, {"lastLoginAt", "Last login"},
}

// usersList shows a page of the organization's users: the API's list
// query (search on first name, last name and email, filters, sort, keyset
// paging) without its total, which a large organization would pay for on
// every page.
func (c *Console) usersList(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k, v := range q { // an empty field of the search form is no filter
		if len(v) == 1 && v[0] == "" {
			q.Del(k)
		}
	}
	if !q.Has("sort") && !q.Has("order") {
		// Newest first: ids are time-ordered (UUIDv7), and the store walks
		// the organization's id index for them, at any size.
		q.Set("order", "desc")
	}
	if !q.Has("limit") {
		q.Set("limit", strconv.Itoa(listPageSize))
	}
	d := usersData{Org: org, Query: q, Deleted: q.Get("status") == string(directory.StatusDeleted),
		Statuses: []string{"active", "pending", "locked", "suspended", "inactive", "deleted"},
		Roles:    directory.Roles, Sources: directory.Sources, Sorts: listSorts,
		Back: usersPath + "?" + q.Encode()}
	probe := r.Clone(r.Context())
	probe.URL = &url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	query, err := admin.UserListQuery(probe)
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		for _, msg := range fe { // the search form shows one message
			d.Errors = formErrors{"": msg}
		}
		return c.render(w, r, rq, http.StatusUnprocessableEntity, "users", d)
	}
	query.CountTotal = false
	pg, err := c.dir.ListUsers(r.Context(), rq.user.OrgID, query)
	if err != nil {
		return err
	}
	d.Users = pg.Users
	if pg.Next != "" {
		next := cloneValues(q)
		next.Set("cursor", pg.Next)
		d.Next = usersPath + "?" + next.Encode()
	}
	if q.Has("cursor") {
		first := cloneValues(q)
		first.Del("cursor")
		d.First = usersPath + "?" + first.Encode()
	}
	return c.render(w, r, rq, http.StatusOK, "users", d)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// fullName is how the console names a user: its display name, else its
// first and last names, else its userName.
func fullName(u *directory.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if n := strings.TrimSpace(u.GivenName + " " + u.FamilyName); n != "" {
		return n
	}
	return u.UserName
}

// confirmData is the confirmation of a bulk delete.
type confirmData struct {
	IDs   []string
	Users []*directory.User
	Back  string
}

// usersDelete deletes the users ticked in the list, after a confirmation
// that names how many: the first post (without confirm) shows it, the
// second deletes. Ids of another organization are not found.
func (c *Console) usersDelete(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return directory.Errorf(directory.CodeInvalid, "the form could not be read")
	}
	ids := r.PostForm["id"]
	back := localPath(r.PostFormValue("back"))
	if back == homePath {
		back = usersPath
	}
	if len(ids) == 0 {
		c.setFlash(w, "error", "Tick the users to delete first.")
		return c.redirect(w, r, back, "")
	}
	if r.PostFormValue("confirm") != "yes" {
		d := confirmData{IDs: ids, Back: back}
		for _, id := range ids {
			u, err := c.dir.GetUser(r.Context(), rq.user.OrgID, id)
			if err != nil {
				return err
			}
			d.Users = append(d.Users, u)
		}
		return c.render(w, r, rq, http.StatusOK, "users_delete", d)
	}
	res, err := c.cfg.Users.DeleteMany(r, rq.user, ids)
	if err != nil {
		return err
	}
	msg := plural(res.Succeeded, "user") + " deleted."
	if res.Failed > 0 {
		var why []string
		for _, row := range res.Results {
			if row.Error != nil {
				why = append(why, row.Error.Message)
			}
		}
		msg += " " + plural(res.Failed, "user") + " not: " + strings.Join(why, "; ")
	}
	return c.redirect(w, r, back, msg)
}

// plural is "1 user", "2 users".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}
