package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// orgDirectory is what the organization's pages (settings, domains,
// Security Center, SCIM tokens, custom properties) need of the directory:
// the use cases the API's /org routes call.
type orgDirectory interface {
	UpdateOrg(ctx context.Context, actor directory.Actor, id string, ifVersion int64, mutate func(*directory.Org) error) (*directory.Org, error)
	AddDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	RemoveDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	SetPrimaryDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	VerifyDomain(ctx context.Context, actor directory.Actor, orgID, name string) (*directory.Org, error)
	PutOIDC(ctx context.Context, actor directory.Actor, in *directory.OIDCSettings) (*directory.OIDCSettings, error)
	DeleteOIDC(ctx context.Context, actor directory.Actor, orgID string) error
	CreateToken(ctx context.Context, actor directory.Actor, orgID, name string) (string, *directory.Token, error)
	ListTokens(ctx context.Context, orgID string) ([]*directory.Token, error)
	RevokeToken(ctx context.Context, actor directory.Actor, orgID, id string) error
	DefineProperty(ctx context.Context, actor directory.Actor, orgID string, def directory.PropertyDef) (*directory.Org, error)
	RemoveProperty(ctx context.Context, actor directory.Actor, orgID, key string) (*directory.Org, error)
}

// Paths of the organization's pages.
const (
	orgPath      = "/org"
	securityPath = "/org/security"
	tokensPath   = "/org/scim-tokens" // #nosec G101 -- a page's path, not a credential
)

// actor is the signed-in admin as audit entries name it, as the API's.
func (rq *request) actor() directory.Actor {
	return directory.Actor{Kind: directory.ActorAdmin, ID: rq.user.ID, Name: rq.user.UserName}
}

type orgData struct {
	Org    *directory.Org
	Errors formErrors
	// Domain and Property are the add forms' values shown again with
	// their errors.
	Domain   string
	Property directory.PropertyDef
	// LoginURL is the organization's own login page.
	LoginURL string
	// PropertyTypes are the types a custom property may have.
	PropertyTypes []directory.PropertyType
	// Connectors says whether the connector pages are served.
	Connectors bool
}

var propertyTypes = []directory.PropertyType{directory.PropertyString, directory.PropertyNumber, directory.PropertyBoolean, directory.PropertyDate}

// orgPage shows the organization: its login URL, its domains (add,
// verify by DNS, make primary, remove) and its custom user properties.
func (c *Console) orgPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.renderOrg(w, r, rq, http.StatusOK, orgData{})
}

func (c *Console) renderOrg(w http.ResponseWriter, r *http.Request, rq *request, status int, d orgData) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	d.Org, d.LoginURL, d.PropertyTypes, d.Connectors = org, c.cfg.PublicURL+"/o/"+org.Slug+"/login", propertyTypes, c.cfg.Sync != nil
	return c.render(w, r, rq, status, "org", d)
}

// orgFormFailed shows the organization page again with err's message when
// it is the admin's to correct.
func (c *Console) orgFormFailed(w http.ResponseWriter, r *http.Request, rq *request, d orgData, err error) error {
	fe, err := formError(err)
	if err != nil {
		return err
	}
	d.Errors = fe
	return c.renderOrg(w, r, rq, http.StatusUnprocessableEntity, d)
}

func (c *Console) addDomain(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := strings.TrimSpace(r.PostFormValue("domain"))
	if _, err := c.dir.AddDomain(r.Context(), rq.actor(), rq.user.OrgID, name); err != nil {
		if directory.ErrorCode(err) == directory.CodeInvalid || directory.ErrorCode(err) == directory.CodeConflict {
			return c.orgFormFailed(w, r, rq, orgData{Domain: name}, domainFieldError(err))
		}
		return err
	}
	return c.redirect(w, r, orgPath, "Domain "+directory.NormalizeDomain(name)+" added. Publish its TXT record, then verify it.")
}

// domainFieldError names the add form's field in err, whatever field the
// use case named.
func domainFieldError(err error) error {
	return directory.FieldErrorf(directory.ErrorCode(err), "domain", "%s", directory.ErrorMessage(err))
}

// domainAction runs one of the domain buttons (verify, primary, remove)
// on the {domain} of the path.
func (c *Console) domainAction(do func(context.Context, directory.Actor, string, string) (*directory.Org, error), done string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		name := r.PathValue("domain")
		if _, err := do(r.Context(), rq.actor(), rq.user.OrgID, name); err != nil {
			if directory.ErrorCode(err) == directory.CodeInvalid || directory.ErrorCode(err) == directory.CodeConflict {
				return c.orgFormFailed(w, r, rq, orgData{}, directory.Errorf(directory.ErrorCode(err), "%s: %s", name, directory.ErrorMessage(err)))
			}
			return err
		}
		return c.redirect(w, r, orgPath, "Domain "+name+" "+done+".")
	}
}

func (c *Console) verifyDomain(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.domainAction(c.dir.VerifyDomain, "is verified")(w, r, rq)
}

func (c *Console) primaryDomain(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.domainAction(c.dir.SetPrimaryDomain, "is now the primary domain")(w, r, rq)
}

func (c *Console) removeDomain(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.domainAction(c.dir.RemoveDomain, "removed")(w, r, rq)
}
