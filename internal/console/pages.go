package console

import (
	"net/http"

	"github.com/roster/roster/internal/admin"
)

// table is every page and form of the console, with its permission.
func (c *Console) table() []page {
	get, post := http.MethodGet, http.MethodPost
	pages := []page{
		{get, "/{$}", admin.PermPublic, false, c.root},
		{get, homePath, admin.PermSelf, false, c.home},
		{post, "/logout", admin.PermPending, false, c.logout},

		{get, loginPath, admin.PermPublic, false, c.loginPage},
		{post, loginPath, admin.PermPublic, true, c.loginSubmit},
		{get, "/o/{slug}/login", admin.PermPublic, false, c.loginPage},
		{post, "/o/{slug}/login", admin.PermPublic, true, c.loginSubmit},
		{get, loginCodePath, admin.PermPending, false, c.codePage},
		{post, loginCodePath, admin.PermPending, true, c.codeSubmit},
		{get, loginEnrolPath, admin.PermPending, false, c.enrolPage},
		{post, loginEnrolPath, admin.PermPending, true, c.enrolSubmit},
	}
	if c.cfg.Users != nil {
		pages = append(pages, c.userPages()...)
	}
	if c.cfg.Importer != nil {
		pages = append(pages, c.importPages()...)
	}
	return pages
}
