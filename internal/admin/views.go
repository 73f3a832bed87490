package admin

import (
	"time"

	"github.com/roster/roster/internal/directory"
)

// userView is a user as the API shows it: never its password hash.
type userView struct {
	ID string `json:"id"`
	// Services are the keys of the services the user holds (in the
	// answers about one user).
	Services        []string             `json:"services,omitempty"`
	UserName        string               `json:"userName"`
	Email           string               `json:"email"`
	GivenName       string               `json:"givenName"`
	FamilyName      string               `json:"familyName"`
	DisplayName     string               `json:"displayName"`
	Phone           string               `json:"phone"`
	Title           string               `json:"title"`
	OfficeLocation  string               `json:"officeLocation"`
	ExternalID      string               `json:"externalId"`
	Enterprise      enterpriseView       `json:"enterprise"`
	Properties      map[string]any       `json:"properties"`
	Role            directory.Role       `json:"role"`
	AuthMethod      directory.AuthMethod `json:"authMethod"`
	Source          directory.Source     `json:"source"`
	SourceRef       string               `json:"sourceRef,omitempty"`
	Status          directory.Status     `json:"status"`
	StatusReason    string               `json:"statusReason"`
	StatusSetBy     directory.Authority  `json:"statusSetBy"`
	StatusChangedAt time.Time            `json:"statusChangedAt"`
	FailedLogins    int                  `json:"failedLogins"`
	LastLoginAt     *time.Time           `json:"lastLoginAt"`
	// LockedUntil ends the temporary lock of the last active org_admin.
	LockedUntil *time.Time `json:"lockedUntil"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	DeletedAt   *time.Time `json:"deletedAt"`
	Version     int64      `json:"version"`
	// ManagedBy names the directory that owns the profile attributes, ""
	// for users Roster owns.
	ManagedBy directory.Source `json:"managedBy,omitempty"`
	// MFA is only in the detail view.
	MFA *mfaView `json:"mfa,omitempty"`
}

type enterpriseView struct {
	EmployeeNumber string `json:"employeeNumber"`
	CostCenter     string `json:"costCenter"`
	Organization   string `json:"organization"`
	Division       string `json:"division"`
	Department     string `json:"department"`
	Manager        string `json:"manager"`
}

type mfaView struct {
	Enrolled          bool       `json:"enrolled"`
	Required          bool       `json:"required"`
	EnrolledAt        *time.Time `json:"enrolledAt"`
	RecoveryCodesLeft int        `json:"recoveryCodesLeft"`
	// SMS is the text message factor, when the user has a phone for it.
	SMS *smsFactorView `json:"sms,omitempty"`
}

// smsFactorView shows a user's SMS phone, masked.
type smsFactorView struct {
	Enrolled bool   `json:"enrolled"`
	Phone    string `json:"phone"`
}

// withSMS adds the user's SMS phone to v.
func (v *mfaView) withSMS(p *directory.SMSPhone) *mfaView {
	if p != nil {
		v.SMS = &smsFactorView{Enrolled: p.Enrolled(), Phone: directory.MaskPhone(p.Phone)}
	}
	return v
}

// viewUser shows u; properties whose definition the organization removed
// are left out (org may be nil when unknown).
func viewUser(u *directory.User, org *directory.Org) userView {
	v := userView{
		ID: u.ID, UserName: u.UserName, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName,
		DisplayName: u.DisplayName, Phone: u.Phone, Title: u.Title, OfficeLocation: u.OfficeLocation, ExternalID: u.ExternalID,
		Enterprise: enterpriseView{
			EmployeeNumber: u.Enterprise.EmployeeNumber, CostCenter: u.Enterprise.CostCenter, Organization: u.Enterprise.Organization,
			Division: u.Enterprise.Division, Department: u.Enterprise.Department, Manager: u.Enterprise.ManagerID,
		},
		Properties: map[string]any{},
		Role:       u.Role, AuthMethod: u.AuthMethod, Source: u.Source, SourceRef: u.SourceRef,
		Status: u.Status, StatusReason: u.StatusReason, StatusSetBy: u.StatusSetBy, StatusChangedAt: u.StatusChangedAt,
		FailedLogins: u.FailedLogins, LastLoginAt: u.LastLoginAt, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		DeletedAt: u.DeletedAt, Version: u.Version,
	}
	if u.Source.IsDirectory() {
		v.ManagedBy = u.Source
	}
	for k, val := range u.Properties {
		if org != nil {
			if _, ok := org.Property(k); !ok {
				continue
			}
		}
		v.Properties[k] = val
	}
	return v
}

func viewMFA(m *directory.MFAState) *mfaView {
	return &mfaView{Enrolled: m.Enrolled(), Required: m.Required, EnrolledAt: m.EnrolledAt, RecoveryCodesLeft: m.RecoveryCodesLeft}
}

type auditView struct {
	ID         string                `json:"id"`
	Time       time.Time             `json:"time"`
	ActorKind  directory.ActorKind   `json:"actorKind"`
	ActorID    string                `json:"actorId"`
	ActorName  string                `json:"actorName"`
	Action     string                `json:"action"`
	TargetKind string                `json:"targetKind"`
	TargetID   string                `json:"targetId"`
	Changes    map[string]changeView `json:"changes"`
	RequestID  string                `json:"requestId"`
}

// changeView is one change of an audit event, with the label people read
// it by (the catalogue's, for user attributes).
type changeView struct {
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	Label  string `json:"label"`
}

func viewAudit(e *directory.AuditEvent) auditView {
	return auditView{
		ID: e.ID, Time: e.Time, ActorKind: e.ActorKind, ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
		TargetKind: e.TargetKind, TargetID: e.TargetID, Changes: viewChanges(e.Changes), RequestID: e.RequestID,
	}
}

func viewChanges(changes map[string]directory.Change) map[string]changeView {
	if changes == nil {
		return nil
	}
	out := make(map[string]changeView, len(changes))
	for name, c := range changes {
		out[name] = changeView{Before: c.Before, After: c.After, Label: directory.AttributeLabel(name)}
	}
	return out
}

type scimTokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	// Token is the secret, only in the response that created it.
	Token string `json:"token,omitempty"`
}

func viewSCIMToken(t *directory.Token) scimTokenView {
	return scimTokenView{ID: t.ID, Name: t.Name, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

type apiTokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Token      string     `json:"token,omitempty"`
}

func viewAPIToken(s *directory.Session) apiTokenView {
	return apiTokenView{ID: s.ID, Name: s.Name, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, LastUsedAt: s.LastUsedAt}
}

type orgView struct {
	ID             string         `json:"id"`
	Slug           string         `json:"slug"`
	Name           string         `json:"name"`
	Domains        []domainView   `json:"domains"`
	Settings       settingsView   `json:"settings"`
	UserProperties []propertyView `json:"userProperties"`
	Version        int64          `json:"version"`
	UpdatedAt      time.Time      `json:"updatedAt"`
}

type domainView struct {
	Name               string                   `json:"name"`
	Primary            bool                     `json:"primary"`
	Verified           bool                     `json:"verified"`
	VerifiedBy         directory.DomainVerifier `json:"verifiedBy,omitempty"`
	VerifiedAt         *time.Time               `json:"verifiedAt,omitempty"`
	VerificationRecord string                   `json:"verificationRecord,omitempty"`
}

func viewDomain(d directory.Domain) domainView {
	v := domainView{Name: d.Name, Primary: d.Primary, Verified: d.Verified, VerifiedBy: d.VerifiedBy, VerifiedAt: d.VerifiedAt}
	if d.Token != "" {
		v.VerificationRecord = d.VerificationRecord()
	}
	return v
}

type settingsView struct {
	MFAPolicy   directory.MFAPolicy   `json:"mfaPolicy"`
	MFAFactors  []directory.MFAFactor `json:"mfaFactors"`
	PhoneRegion string                `json:"phoneRegion"`
	// PasswordlessPasskeys: users may sign in with a passkey alone.
	PasswordlessPasskeys bool               `json:"passwordlessPasskeys"`
	LockoutThreshold     int                `json:"lockoutThreshold"`
	InactivityDays       int                `json:"inactivityDays"`
	PasswordPolicy       passwordPolicyView `json:"passwordPolicy"`
}

type passwordPolicyView struct {
	MinLength     int  `json:"minLength"`
	RequireUpper  bool `json:"requireUpper"`
	RequireLower  bool `json:"requireLower"`
	RequireDigit  bool `json:"requireDigit"`
	RequireSymbol bool `json:"requireSymbol"`
}

type propertyView struct {
	Key      string                 `json:"key"`
	Label    string                 `json:"label"`
	Type     directory.PropertyType `json:"type"`
	Required bool                   `json:"required"`
}

func viewOrg(o *directory.Org) orgView {
	v := orgView{ID: o.ID, Slug: o.Slug, Name: o.Name, Version: o.Version, UpdatedAt: o.UpdatedAt,
		Domains: []domainView{}, UserProperties: []propertyView{}, Settings: viewSettings(o.Settings)}
	for _, d := range o.Domains {
		v.Domains = append(v.Domains, viewDomain(d))
	}
	for _, p := range o.UserProperties {
		v.UserProperties = append(v.UserProperties, propertyView{Key: p.Key, Label: p.Label, Type: p.Type, Required: p.Required})
	}
	return v
}

func viewSettings(s directory.OrgSettings) settingsView {
	p := s.PasswordPolicy
	return settingsView{
		MFAPolicy: s.MFAPolicy, MFAFactors: append([]directory.MFAFactor{}, s.MFAFactors...), PhoneRegion: s.PhoneRegion,
		PasswordlessPasskeys: s.PasswordlessPasskeys,
		LockoutThreshold:     s.LockoutThreshold, InactivityDays: s.InactivityDays,
		PasswordPolicy: passwordPolicyView{MinLength: p.MinLength, RequireUpper: p.RequireUpper, RequireLower: p.RequireLower,
			RequireDigit: p.RequireDigit, RequireSymbol: p.RequireSymbol},
	}
}

type messageView struct {
	Message string `json:"message"`
}

type passwordSetView struct {
	UserName string           `json:"userName"`
	Status   directory.Status `json:"status"`
}

type apiTokenList struct {
	Tokens []apiTokenView `json:"tokens"`
}

type scimTokenList struct {
	Tokens []scimTokenView `json:"tokens"`
}

type propertyList struct {
	Properties []propertyView `json:"properties"`
}
