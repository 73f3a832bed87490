package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// securityData is the Security Center: the organization's security
// settings and its single sign-on.
type securityData struct {
	Settings directory.OrgSettings
	SSO      ssoForm
	Errors   formErrors
	// SSOErrors are the single sign-on form's messages.
	SSOErrors   formErrors
	MFAPolicies []directory.MFAPolicy
	// RedirectURL is what the identity provider must send users back to.
	RedirectURL string
}

// factorChoice is one second factor's checkbox.
type factorChoice struct {
	Factor  directory.MFAFactor
	Label   string
	Allowed bool
}

var factorLabels = map[directory.MFAFactor]string{
	directory.FactorTOTP:    "Authenticator app (TOTP)",
	directory.FactorSMS:     "Text message (SMS) codes",
	directory.FactorPasskey: "Passkeys and security keys",
}

// Factors lists every second factor with whether the settings allow it.
func (d securityData) Factors() []factorChoice {
	out := make([]factorChoice, len(directory.MFAFactors))
	for i, f := range directory.MFAFactors {
		out[i] = factorChoice{Factor: f, Label: factorLabels[f], Allowed: d.Settings.Allows(f)}
	}
	return out
}

type ssoForm struct {
	Configured, Enabled, SecretSet bool
	Issuer, ClientID               string
}

var mfaPolicies = []directory.MFAPolicy{directory.MFAOff, directory.MFAOptional, directory.MFARequired}

func (c *Console) securityPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return c.renderSecurity(w, r, rq, http.StatusOK, securityData{})
}

// renderSecurity shows the Security Center with the stored settings, or
// with d's when a form failed.
func (c *Console) renderSecurity(w http.ResponseWriter, r *http.Request, rq *request, status int, d securityData) error {
	org, err := c.dir.GetOrg(r.Context(), rq.user.OrgID)
	if err != nil {
		return err
	}
	if d.Errors == nil {
		d.Settings = org.Settings
	}
	if d.SSOErrors == nil {
		s, err := c.dir.GetOIDC(r.Context(), org.ID)
		if err != nil && !directory.IsCode(err, directory.CodeNotFound) {
			return err
		}
		if s != nil {
			d.SSO = ssoForm{Configured: true, Enabled: s.Enabled, SecretSet: s.ClientSecret != "", Issuer: s.Issuer, ClientID: s.ClientID}
		}
	}
	d.MFAPolicies, d.RedirectURL = mfaPolicies, c.cfg.PublicURL+"/api/v1/auth/sso/callback"
	return c.render(w, r, rq, status, "org_security", d)
}

// saveSecurity changes the security settings, the same change as PATCH
// /api/v1/org/settings with every field.
func (c *Console) saveSecurity(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in directory.OrgSettings
	errs := formErrors{}
	in.MFAPolicy = directory.MFAPolicy(r.PostFormValue("mfaPolicy"))
	if err := r.ParseForm(); err != nil {
		return err
	}
	for _, f := range r.PostForm["mfaFactors"] {
		in.MFAFactors = append(in.MFAFactors, directory.MFAFactor(f))
	}
	in.PhoneRegion = strings.ToUpper(strings.TrimSpace(r.PostFormValue("phoneRegion")))
	in.PasswordlessPasskeys = r.PostFormValue("passwordlessPasskeys") == "on"
	in.LockoutThreshold = formInt(r, "lockoutThreshold", errs)
	in.InactivityDays = formInt(r, "inactivityDays", errs)
	in.PasswordPolicy = directory.PasswordPolicy{
		MinLength:     formInt(r, "passwordPolicy.minLength", errs),
		RequireUpper:  r.PostFormValue("passwordPolicy.requireUpper") == "on",
		RequireLower:  r.PostFormValue("passwordPolicy.requireLower") == "on",
		RequireDigit:  r.PostFormValue("passwordPolicy.requireDigit") == "on",
		RequireSymbol: r.PostFormValue("passwordPolicy.requireSymbol") == "on",
	}
	if len(errs) > 0 {
		return c.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, securityData{Settings: in, Errors: errs})
	}
	_, err := c.dir.UpdateOrg(r.Context(), rq.actor(), rq.user.OrgID, 0, func(o *directory.Org) error {
		if err := c.auth.CheckFactorsAvailable(&o.Settings, &in); err != nil {
			return err
		}
		mappings := o.Settings.RoleMappings
		o.Settings = in
		o.Settings.RoleMappings = mappings
		return nil
	})
	if err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		return c.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, securityData{Settings: in, Errors: fe})
	}
	return c.redirect(w, r, securityPath, "Security settings saved.")
}

// formInt reads a whole number field, noting in errs when it is not one.
func formInt(r *http.Request, name string, errs formErrors) int {
	s := strings.TrimSpace(r.PostFormValue(name))
	n, err := strconv.Atoi(s)
	if err != nil {
		errs[name] = "enter a whole number"
	}
	return n
}

// saveSSO sets the organization's OpenID Connect settings, as PUT
// /api/v1/org/sso: the client secret is sealed, and left empty keeps the
// stored one.
func (c *Console) saveSSO(w http.ResponseWriter, r *http.Request, rq *request) error {
	in := ssoForm{Issuer: r.PostFormValue("issuer"), ClientID: r.PostFormValue("clientId"), Enabled: r.PostFormValue("enabled") == "on"}
	s := &directory.OIDCSettings{OrgID: rq.user.OrgID, Issuer: in.Issuer, ClientID: in.ClientID, Enabled: in.Enabled}
	secret := strings.TrimSpace(r.PostFormValue("clientSecret"))
	if len(secret) > 4096 {
		return c.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, securityData{SSO: in,
			SSOErrors: formErrors{"clientSecret": "the client secret is limited to 4096 bytes"}})
	}
	if secret != "" {
		if c.cfg.Sealer == nil {
			return directory.Internal(errors.New("console: no sealer for single sign-on secrets"))
		}
		sealed, err := c.cfg.Sealer.Seal([]byte(secret), auth.ClientSecretContext(rq.user.OrgID))
		if err != nil {
			return directory.Internal(err)
		}
		s.ClientSecret = sealed
	}
	if _, err := c.dir.PutOIDC(r.Context(), rq.actor(), s); err != nil {
		fe, err := formError(err)
		if err != nil {
			return err
		}
		return c.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, securityData{SSO: in, SSOErrors: fe})
	}
	return c.redirect(w, r, securityPath, "Single sign-on saved.")
}

// removeSSO forgets the single sign-on settings.
func (c *Console) removeSSO(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.dir.DeleteOIDC(r.Context(), rq.actor(), rq.user.OrgID); err != nil {
		return err
	}
	return c.redirect(w, r, securityPath, "Single sign-on removed.")
}
