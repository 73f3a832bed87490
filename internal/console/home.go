package console

import (
	"net/http"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// root sends the browser to the console home, or to the login step it
// owes.
func (c *Console) root(w http.ResponseWriter, r *http.Request, rq *request) error {
	target := loginPath
	if rq.session != nil {
		target = stagePage(rq.session.Stage)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

type homeData struct {
	Org *directory.Org
}

// home is where a login ends: who is signed in, and the sections.
func (c *Console) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	return c.render(w, r, rq, http.StatusOK, "home", homeData{Org: org})
}

// logout ends the session, whatever its stage, and clears the cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.auth.Logout(r.Context(), rq.session); err != nil {
		return err
	}
	c.clearCookie(w, admin.SessionCookie)
	c.setFlash(w, "ok", "You are signed out.")
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
	return nil
}
