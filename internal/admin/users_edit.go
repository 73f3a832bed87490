package admin

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// userPatch is an edit: absent fields keep their value; an empty or absent
// password keeps the password; a null property value removes it.
type userPatch struct {
	UserName       *string          `json:"userName"`
	Email          *string          `json:"email"`
	GivenName      *string          `json:"givenName"`
	FamilyName     *string          `json:"familyName"`
	DisplayName    *string          `json:"displayName"`
	Phone          *string          `json:"phone"`
	Title          *string          `json:"title"`
	OfficeLocation *string          `json:"officeLocation"`
	ExternalID     *string          `json:"externalId"`
	Enterprise     *enterprisePatch `json:"enterprise"`
	Properties     map[string]any   `json:"properties"`
	Password       string           `json:"password"`
	// Services, when present, is the complete list of the keys of the
	// services the user holds.
	Services *[]string `json:"services"`
	// Version, if set, must be the user's current version (like If-Match).
	Version int64 `json:"version"`
}

type enterprisePatch struct {
	EmployeeNumber *string `json:"employeeNumber"`
	CostCenter     *string `json:"costCenter"`
	Organization   *string `json:"organization"`
	Division       *string `json:"division"`
	Department     *string `json:"department"`
	Manager        *string `json:"manager"`
}

// field is one profile attribute an edit may set.
type field struct {
	name string
	to   *string
	at   *string
}

// fields pairs each attribute of the patch, by its name in the API, with
// the user's value as the catalogue reaches it.
func (p *userPatch) fields(u *directory.User) []field {
	fs := []field{
		textField("userName", p.UserName, u, directory.UserUserName),
		textField("email", p.Email, u, directory.UserEmail),
		textField("givenName", p.GivenName, u, directory.UserGivenName),
		textField("familyName", p.FamilyName, u, directory.UserFamilyName),
		textField("displayName", p.DisplayName, u, directory.UserDisplayName),
		textField("phone", p.Phone, u, directory.UserPhone),
		textField("title", p.Title, u, directory.UserTitle),
		textField("officeLocation", p.OfficeLocation, u, directory.UserOfficeLocation),
		textField("externalId", p.ExternalID, u, directory.UserExternalID),
	}
	if e := p.Enterprise; e != nil {
		fs = append(fs,
			textField("enterprise.employeeNumber", e.EmployeeNumber, u, directory.UserEmployeeNumber),
			textField("enterprise.costCenter", e.CostCenter, u, directory.UserCostCenter),
			textField("enterprise.organization", e.Organization, u, directory.UserOrganization),
			textField("enterprise.division", e.Division, u, directory.UserDivision),
			textField("enterprise.department", e.Department, u, directory.UserDepartment),
			field{"enterprise.manager", e.Manager, &u.Enterprise.ManagerID})
	}
	return fs
}

// textField pairs a patch value with a catalogue text attribute of u.
func textField(name string, to *string, u *directory.User, attr directory.Attr) field {
	a, _ := directory.UserAttribute(attr)
	return field{name, to, a.Text(u)}
}

// sourceName says who owns a directory-managed user's attributes, for error
// messages.
func sourceName(s directory.Source) string {
	switch s {
	case directory.SourceSCIM:
		return "its identity provider (SCIM)"
	case directory.SourceLDAP:
		return "its LDAP directory"
	case directory.SourceEntra:
		return "Microsoft Entra"
	}
	return string(s)
}

// apply writes the patch onto u. A SCIM user's attributes are its
// identity provider's and may not change here; those a directory
// connector maps on its users are refused by the service (a conflict
// naming the connector), and the others may change.
func (p *userPatch) apply(u *directory.User) error {
	for _, f := range p.fields(u) {
		if f.to == nil || strings.TrimSpace(*f.to) == *f.at {
			continue
		}
		if u.Source == directory.SourceSCIM {
			return directory.FieldErrorf(directory.CodeForbidden, f.name,
				"%s is managed by %s; change it there", f.name, sourceName(u.Source))
		}
		*f.at = *f.to
	}
	if len(p.Properties) > 0 && u.Properties == nil {
		u.Properties = map[string]any{}
	}
	for k, v := range p.Properties {
		if v == nil {
			delete(u.Properties, k)
		} else {
			u.Properties[k] = v
		}
	}
	return nil
}

func (h *handler) patchUser(w http.ResponseWriter, r *http.Request, p *principal, in *userPatch) (userView, error) {
	version, err := ifMatch(r, in.Version)
	if err != nil {
		return userView{}, err
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return userView{}, err
	}
	var hash string
	if in.Password != "" {
		if hash, err = h.hashNewPassword(org, in.Password); err != nil {
			return userView{}, err
		}
	}
	var all, services []*directory.OrgService
	if in.Services != nil {
		if services, err = h.servicesOf(r, org.ID, *in.Services, &all); err != nil {
			return userView{}, err
		}
	}
	u, err := h.dir.UpdateUser(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), version, func(u *directory.User) error {
		dropRemovedProperties(org, u)
		if err := in.apply(u); err != nil {
			return err
		}
		if in.Services != nil {
			directory.SetServices(u, services, all)
		}
		if hash != "" {
			if u.AuthMethod != directory.AuthLocal {
				return directory.FieldErrorf(directory.CodeInvalid, "password", "this user signs in through single sign-on and has no password")
			}
			u.PasswordHash = hash
		}
		return nil
	})
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

// dropRemovedProperties forgets values of properties the organization no
// longer defines, so that an edit is not refused for a value nobody can see.
func dropRemovedProperties(org *directory.Org, u *directory.User) {
	for k := range u.Properties {
		if _, ok := org.Property(k); !ok {
			delete(u.Properties, k)
		}
	}
}

// hashNewPassword checks a password an admin chose against the
// organization's policy and hashes it.
func (h *handler) hashNewPassword(org *directory.Org, password string) (string, error) {
	if err := auth.CheckPasswordPolicy(password, org.Settings.PasswordPolicy); err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(password, h.auth.Params())
	if err != nil {
		return "", directory.Internal(err)
	}
	return hash, nil
}

// ifMatch returns the version an edit is pinned to: the If-Match header or
// the body's version (0: none). Both given must agree.
func ifMatch(r *http.Request, bodyVersion int64) (int64, error) {
	v, err := etag.Pinned(r.Header.Get("If-Match"))
	if err != nil || v == 0 {
		return bodyVersion, err
	}
	if bodyVersion != 0 && bodyVersion != v {
		return 0, directory.Errorf(directory.CodeInvalid, "If-Match and version disagree")
	}
	return v, nil
}
