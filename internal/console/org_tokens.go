package console

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// tokensData is the SCIM tokens page. Created holds a new token's secret
// on the one answer that shows it.
type tokensData struct {
	Tokens  []*directory.Token
	Created string
	Name    string
	Errors  formErrors
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.renderTokens(w, r, rq, http.StatusOK, tokensData{})
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, rq *request, status int, d tokensData) error {
	list, err := c.dir.ListTokens(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	d.Tokens = list
	return c.render(w, r, rq, status, "org_tokens", d)
}

// createToken makes a SCIM token and shows its secret in this answer
// only: it is not redirected, so that nothing keeps the secret.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	plaintext, t, err := c.dir.CreateToken(r.Context(), rq.actor(), rq.user.OrgID, name)
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		return c.renderTokens(w, r, rq, http.StatusUnprocessableEntity, tokensData{Name: name, Errors: fe})
	}
	rq.flash = &flash{Kind: "ok", Message: "Token " + t.Name + " created. Copy it now: it is not shown again."}
	return c.renderTokens(w, r, rq, http.StatusCreated, tokensData{Created: plaintext})
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.dir.RevokeToken(r.Context(), rq.actor(), rq.user.OrgID, r.PathValue("id")); err != nil {
		return err
	}
	return c.redirect(w, r, tokensPath, "Token revoked: SCIM clients using it are refused from now on.")
}

// addProperty defines a custom user property.
func (c *Console) addProperty(w http.ResponseWriter, r *http.Request, rq *request) error {
	def := directory.PropertyDef{
		Key: strings.TrimSpace(r.PostFormValue("key")), Label: r.PostFormValue("label"),
		Type: directory.PropertyType(r.PostFormValue("type")), Required: r.PostFormValue("required") == "on",
	}
	if _, err := c.dir.DefineProperty(r.Context(), rq.actor(), rq.user.OrgID, def); err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		if msg, ok := fe["userProperties"]; ok {
			fe = formErrors{"key": msg}
		}
		return c.renderOrg(w, r, rq, http.StatusUnprocessableEntity, orgData{Property: def, Errors: fe})
	}
	return c.redirect(w, r, orgPath, "Property "+def.Key+" defined.")
}

func (c *Console) removeProperty(w http.ResponseWriter, r *http.Request, rq *request) error {
	key := r.PathValue("key")
	if _, err := c.dir.RemoveProperty(r.Context(), rq.actor(), rq.user.OrgID, key); err != nil {
		return err
	}
	return c.redirect(w, r, orgPath, "Property "+key+" removed.")
}
