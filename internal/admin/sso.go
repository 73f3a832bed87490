package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// ssoCookie carries a single sign-on login between leaving for the
// provider and coming back; it is sealed and lives ten minutes.
const ssoCookie = "roster_sso"

// CallbackPath is the single sign-on callback to register with providers,
// below the public URL.
const CallbackPath = Prefix + "/auth/sso/callback"

func (h *handler) ssoOff() error {
	return directory.Errorf(directory.CodeNotFound, "single sign-on is not enabled on this server")
}

// startSSO sends the browser to the organization's provider.
func (h *handler) startSSO(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if h.cfg.SSO == nil {
		return h.ssoOff()
	}
	org, err := h.dir.GetOrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	return h.beginSSO(w, r, org)
}

// discoverSSO is home realm discovery: it sends the browser to the
// provider of the organization that has verified the email's domain. It
// tells nothing of accounts, only which organization owns a domain.
func (h *handler) discoverSSO(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if h.cfg.SSO == nil {
		return h.ssoOff()
	}
	domain := directory.EmailDomain(strings.TrimSpace(r.URL.Query().Get("email")))
	if domain == "" {
		return directory.FieldErrorf(directory.CodeInvalid, "email", "give an email address")
	}
	org, err := h.dir.FindOrgByDomain(r.Context(), domain)
	if directory.IsCode(err, directory.CodeNotFound) {
		return directory.Errorf(directory.CodeNotFound, "no organization has verified %s; use your organization's login page", domain)
	}
	if err != nil {
		return err
	}
	return h.beginSSO(w, r, org)
}

func (h *handler) beginSSO(w http.ResponseWriter, r *http.Request, org *directory.Org) error {
	authURL, cookie, err := h.cfg.SSO.Begin(r.Context(), org.ID)
	if err != nil {
		return err
	}
	// #nosec G124 -- as setSessionCookie.
	http.SetCookie(w, &http.Cookie{
		Name: ssoCookie, Value: cookie, Path: Prefix + "/auth/sso/", MaxAge: int((10 * time.Minute).Seconds()),
		HttpOnly: true, Secure: !h.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode,
	})
	// #nosec G710 -- authURL is the authorization endpoint the organization's admin configured.
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// ssoCallback finishes the login and sends the browser home with a session
// cookie.
func (h *handler) ssoCallback(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if h.cfg.SSO == nil {
		return h.ssoOff()
	}
	h.clearCookie(w, ssoCookie, Prefix+"/auth/sso/")
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return directory.Errorf(directory.CodeUnauthorized, "the identity provider refused the login (%.100s)", e)
	}
	c, err := r.Cookie(ssoCookie)
	if err != nil {
		return directory.Errorf(directory.CodeUnauthorized, "the login expired or was started elsewhere; start again")
	}
	l, err := h.cfg.SSO.Finish(r.Context(), c.Value, q.Get("state"), q.Get("code"))
	if err != nil {
		return err
	}
	h.setSessionCookie(w, l.Token, l.Session.ExpiresAt)
	http.Redirect(w, r, h.cfg.PublicURL+"/", http.StatusSeeOther)
	return nil
}

type ssoView struct {
	Configured      bool   `json:"configured"`
	Enabled         bool   `json:"enabled"`
	Issuer          string `json:"issuer"`
	ClientID        string `json:"clientId"`
	ClientSecretSet bool   `json:"clientSecretSet"`
	// RedirectURL is what to register with the provider.
	RedirectURL string `json:"redirectUrl"`
	// LoginURL starts a login for this organization.
	LoginURL string `json:"loginUrl"`
}

func (h *handler) viewSSO(org *directory.Org, s *directory.OIDCSettings) ssoView {
	v := ssoView{RedirectURL: h.cfg.PublicURL + CallbackPath, LoginURL: h.cfg.PublicURL + Prefix + "/auth/sso/" + org.Slug + "/start"}
	if s != nil {
		v.Configured, v.Enabled, v.Issuer, v.ClientID, v.ClientSecretSet = true, s.Enabled, s.Issuer, s.ClientID, s.ClientSecret != ""
	}
	return v
}

func (h *handler) getSSO(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (ssoView, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return ssoView{}, err
	}
	s, err := h.dir.GetOIDC(r.Context(), p.orgID())
	if err != nil && !directory.IsCode(err, directory.CodeNotFound) {
		return ssoView{}, err
	}
	return h.viewSSO(org, s), nil
}

type ssoRequest struct {
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	// ClientSecret is write-only; empty keeps the stored one.
	ClientSecret string `json:"clientSecret"`
	Enabled      bool   `json:"enabled"`
}

func (h *handler) putSSO(w http.ResponseWriter, r *http.Request, p *principal, in *ssoRequest) (ssoView, error) {
	if len(in.ClientSecret) > 4096 {
		return ssoView{}, directory.FieldErrorf(directory.CodeInvalid, "clientSecret", "clientSecret is limited to 4096 bytes")
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return ssoView{}, err
	}
	s := &directory.OIDCSettings{OrgID: org.ID, Issuer: in.Issuer, ClientID: in.ClientID, Enabled: in.Enabled}
	if secret := strings.TrimSpace(in.ClientSecret); secret != "" {
		if s.ClientSecret, err = h.cfg.Sealer.Seal([]byte(secret), auth.ClientSecretContext(org.ID)); err != nil {
			return ssoView{}, directory.Internal(err)
		}
	}
	saved, err := h.dir.PutOIDC(r.Context(), p.actor(true), s)
	if err != nil {
		return ssoView{}, err
	}
	return h.viewSSO(org, saved), nil
}

func (h *handler) deleteSSO(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	if err := h.dir.DeleteOIDC(r.Context(), p.actor(true), p.orgID()); err != nil {
		return noBody{}, err
	}
	return noBody{}, nil
}
