package admin

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/directory"
)

func (h *handler) getOrg(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (orgView, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return orgView{}, err
	}
	return viewOrg(org), nil
}

// updateOrg runs an audited change of the caller's organization and shows
// the result.
func (h *handler) updateOrg(r *http.Request, p *principal, mutate func(*directory.Org) error) (orgView, error) {
	org, err := h.dir.UpdateOrg(r.Context(), p.actor(true), p.orgID(), 0, mutate)
	if err != nil {
		return orgView{}, err
	}
	return viewOrg(org), nil
}

type settingsPatch struct {
	MFAPolicy   *directory.MFAPolicy   `json:"mfaPolicy"`
	MFAFactors  *[]directory.MFAFactor `json:"mfaFactors"`
	PhoneRegion *string                `json:"phoneRegion"`
	// PasswordlessPasskeys lets users sign in with a passkey alone.
	PasswordlessPasskeys *bool                `json:"passwordlessPasskeys"`
	LockoutThreshold     *int                 `json:"lockoutThreshold"`
	InactivityDays       *int                 `json:"inactivityDays"`
	PasswordPolicy       *passwordPolicyPatch `json:"passwordPolicy"`
}

type passwordPolicyPatch struct {
	MinLength     *int  `json:"minLength"`
	RequireUpper  *bool `json:"requireUpper"`
	RequireLower  *bool `json:"requireLower"`
	RequireDigit  *bool `json:"requireDigit"`
	RequireSymbol *bool `json:"requireSymbol"`
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (h *handler) patchSettings(w http.ResponseWriter, r *http.Request, p *principal, in *settingsPatch) (orgView, error) {
	return h.updateOrg(r, p, func(o *directory.Org) error {
		s := &o.Settings
		before := o.Settings
		if in.MFAFactors != nil {
			if err := h.auth.CheckFactorsAvailable(&before, &directory.OrgSettings{MFAFactors: *in.MFAFactors}); err != nil {
				return err
			}
		}
		setIf(&s.MFAPolicy, in.MFAPolicy)
		setIf(&s.MFAFactors, in.MFAFactors)
		setIf(&s.PhoneRegion, in.PhoneRegion)
		setIf(&s.PasswordlessPasskeys, in.PasswordlessPasskeys)
		setIf(&s.LockoutThreshold, in.LockoutThreshold)
		setIf(&s.InactivityDays, in.InactivityDays)
		if pp := in.PasswordPolicy; pp != nil {
			setIf(&s.PasswordPolicy.MinLength, pp.MinLength)
			setIf(&s.PasswordPolicy.RequireUpper, pp.RequireUpper)
			setIf(&s.PasswordPolicy.RequireLower, pp.RequireLower)
			setIf(&s.PasswordPolicy.RequireDigit, pp.RequireDigit)
			setIf(&s.PasswordPolicy.RequireSymbol, pp.RequireSymbol)
		}
		return nil
	})
}

type domainInput struct {
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

type domainsRequest struct {
	Domains []domainInput `json:"domains"`
}

// putDomains replaces the organization's domains; exactly one is primary.
// Domains it keeps keep their verification; new ones start unverified.
func (h *handler) putDomains(w http.ResponseWriter, r *http.Request, p *principal, in *domainsRequest) (orgView, error) {
	if len(in.Domains) > directory.MaxDomains {
		return orgView{}, directory.FieldErrorf(directory.CodeInvalid, "domains", "at most %d domains", directory.MaxDomains)
	}
	return h.updateOrg(r, p, func(o *directory.Org) error {
		list := make([]directory.Domain, len(in.Domains))
		for i, d := range in.Domains {
			list[i] = directory.Domain{Name: d.Name, Primary: d.Primary}
		}
		directory.ReplaceDomains(o, list)
		return nil
	})
}

type domainList struct {
	Domains []domainView `json:"domains"`
}

func viewDomains(o *directory.Org) domainList {
	l := domainList{Domains: []domainView{}}
	for _, d := range o.Domains {
		l.Domains = append(l.Domains, viewDomain(d))
	}
	return l
}

type domainAdd struct {
	Name string `json:"name" doc:"The email domain, e.g. example.com."`
}

func (h *handler) listDomains(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (domainList, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return domainList{}, err
	}
	return viewDomains(org), nil
}

// addDomain lists a new, unverified domain; the answer shows the TXT
// record that verifies it.
func (h *handler) addDomain(w http.ResponseWriter, r *http.Request, p *principal, in *domainAdd) (domainView, error) {
	org, err := h.dir.AddDomain(r.Context(), p.actor(true), p.orgID(), in.Name)
	if err != nil {
		return domainView{}, err
	}
	d, _ := org.Domain(in.Name)
	w.Header().Set("Location", Prefix+"/org/domains/"+d.Name)
	return viewDomain(d), nil
}

func (h *handler) removeDomain(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	_, err := h.dir.RemoveDomain(r.Context(), p.actor(true), p.orgID(), r.PathValue("domain"))
	return noBody{}, err
}

// verifyDomain checks the domain's DNS TXT record now.
func (h *handler) verifyDomain(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (domainView, error) {
	org, err := h.dir.VerifyDomain(r.Context(), p.actor(true), p.orgID(), r.PathValue("domain"))
	if err != nil {
		return domainView{}, err
	}
	d, _ := org.Domain(r.PathValue("domain"))
	return viewDomain(d), nil
}

func (h *handler) makePrimaryDomain(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (domainList, error) {
	org, err := h.dir.SetPrimaryDomain(r.Context(), p.actor(true), p.orgID(), r.PathValue("domain"))
	if err != nil {
		return domainList{}, err
	}
	return viewDomains(org), nil
}

// roleMappings is an organization's mappings of SCIM role values to
// Roster roles.
type roleMappings struct {
	RoleMappings []directory.RoleMapping `json:"roleMappings"`
}

func viewRoleMappings(o *directory.Org) roleMappings {
	return roleMappings{RoleMappings: append([]directory.RoleMapping{}, o.Settings.RoleMappings...)}
}

func (h *handler) getRoleMappings(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (roleMappings, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return roleMappings{}, err
	}
	return viewRoleMappings(org), nil
}

// putRoleMappings replaces the role mappings; the organization validates
// them (known Roster roles, each value once) and audits the change.
func (h *handler) putRoleMappings(w http.ResponseWriter, r *http.Request, p *principal, in *roleMappings) (roleMappings, error) {
	org, err := h.dir.UpdateOrg(r.Context(), p.actor(true), p.orgID(), 0, func(o *directory.Org) error {
		o.Settings.RoleMappings = nil
		for _, m := range in.RoleMappings {
			o.Settings.RoleMappings = append(o.Settings.RoleMappings, directory.RoleMapping{Value: strings.TrimSpace(m.Value), Role: m.Role})
		}
		return nil
	})
	if err != nil {
		return roleMappings{}, err
	}
	return viewRoleMappings(org), nil
}

func (h *handler) listProperties(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (propertyList, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return propertyList{}, err
	}
	return propertyList{Properties: viewOrg(org).UserProperties}, nil
}

func (h *handler) createProperty(w http.ResponseWriter, r *http.Request, p *principal, in *propertyView) (orgView, error) {
	org, err := h.dir.DefineProperty(r.Context(), p.actor(true), p.orgID(),
		directory.PropertyDef{Key: in.Key, Label: in.Label, Type: in.Type, Required: in.Required})
	if err != nil {
		return orgView{}, err
	}
	w.Header().Set("Location", Prefix+"/org/properties/"+in.Key)
	return viewOrg(org), nil
}

type propertyPatch struct {
	Label    *string                 `json:"label"`
	Type     *directory.PropertyType `json:"type"`
	Required *bool                   `json:"required"`
}

// patchProperty edits a definition's label and whether it is required. Its
// type is fixed: values already stored were checked against it.
func (h *handler) patchProperty(w http.ResponseWriter, r *http.Request, p *principal, in *propertyPatch) (orgView, error) {
	key := r.PathValue("key")
	return h.updateOrg(r, p, func(o *directory.Org) error {
		for i := range o.UserProperties {
			d := &o.UserProperties[i]
			if d.Key != key {
				continue
			}
			if in.Type != nil && *in.Type != d.Type {
				return directory.FieldErrorf(directory.CodeInvalid, "type", "a property's type cannot change; remove it and define it again")
			}
			if in.Label != nil {
				d.Label = strings.TrimSpace(*in.Label)
			}
			setIf(&d.Required, in.Required)
			return nil
		}
		return directory.Errorf(directory.CodeNotFound, "no custom property %q", key)
	})
}

// deleteProperty removes a definition. Users' values for it are no longer
// shown and are dropped at their next edit.
func (h *handler) deleteProperty(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (orgView, error) {
	org, err := h.dir.RemoveProperty(r.Context(), p.actor(true), p.orgID(), r.PathValue("key"))
	if err != nil {
		return orgView{}, err
	}
	return viewOrg(org), nil
}

type usageView struct {
	// Seats counts every user that is not deleted.
	Seats    int                                           `json:"seats"`
	ByStatus map[directory.Status]int                      `json:"byStatus"`
	BySource map[directory.Source]int                      `json:"bySource"`
	Matrix   map[directory.Status]map[directory.Source]int `json:"byStatusAndSource"`
	// Services are the seats of each service: used of limit (null: no
	// limit).
	Services []serviceSeatsView `json:"services"`
}

type serviceSeatsView struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	SeatsUsed int    `json:"seatsUsed"`
	SeatLimit *int   `json:"seatLimit"`
}

func (h *handler) usage(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (usageView, error) {
	counts, err := h.dir.CountUsersByStatus(r.Context(), p.orgID())
	if err != nil {
		return usageView{}, err
	}
	v := usageView{ByStatus: map[directory.Status]int{}, BySource: map[directory.Source]int{}, Matrix: counts}
	for _, st := range directory.Statuses {
		v.ByStatus[st] = 0
	}
	for st, bySource := range counts {
		for src, n := range bySource {
			v.ByStatus[st] += n
			if st != directory.StatusDeleted {
				v.Seats += n
				v.BySource[src] += n
			}
		}
	}
	if v.Matrix == nil {
		v.Matrix = map[directory.Status]map[directory.Source]int{}
	}
	services, err := h.dir.ListServices(r.Context(), p.orgID())
	if err != nil {
		return usageView{}, err
	}
	v.Services = make([]serviceSeatsView, len(services))
	for i, sv := range services {
		v.Services[i] = serviceSeatsView{Key: sv.Key, Name: sv.Name, SeatsUsed: sv.Used, SeatLimit: sv.SeatLimit}
	}
	return v, nil
}
