package directory

import (
	"context"
	"net/url"
	"strings"
)

// ResetMFA removes a user's second factors (TOTP seed, SMS phone,
// passkeys) and recovery codes (a lost phone or key): the user enrols
// again, at its next login if a second factor is required. Whoever holds
// the lost factor may hold a session too: the user's logins end and its
// personal API tokens are revoked, whether or not it was enrolled.
func (s *Service) ResetMFA(ctx context.Context, actor Actor, orgID, userID string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.Users().GetUser(ctx, orgID, userID); err != nil {
			return err
		}
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		// Every factor goes: TOTP here, the SMS phone and its codes in
		// resetSMS, the passkeys; one audit event lists those the user had.
		changes := map[string]Change{}
		if m.Enrolled() || m.PendingSecret != "" {
			m.TOTPSecret, m.PendingSecret, m.EnrolledAt, m.UpdatedAt = "", "", nil, s.Now()
			if err := r.MFA().PutMFA(ctx, m); err != nil {
				return err
			}
			changes["totp"] = Change{Before: true, After: false}
		}
		hadSMS, err := s.resetSMS(ctx, r, orgID, userID)
		if err != nil {
			return err
		}
		if hadSMS {
			changes["sms"] = Change{Before: true, After: false}
		}
		passkeys, err := r.Passkeys().DeleteUserPasskeys(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if passkeys > 0 {
			changes["passkeys"] = Change{Before: passkeys, After: 0}
		}
		if len(changes) > 0 || m.RecoveryCodesLeft > 0 {
			if err := r.MFA().ReplaceRecoveryCodes(ctx, orgID, userID, nil, s.Now()); err != nil {
				return err
			}
			if err := s.audit(ctx, r, actor, orgID, "user.mfa.reset", "user", userID, changes); err != nil {
				return err
			}
		}
		return s.endAllSessions(ctx, r, actor, orgID, userID)
	})
}

// SetMFARequired makes TOTP mandatory for one user whatever the
// organization's policy (or lifts that).
func (s *Service) SetMFARequired(ctx context.Context, actor Actor, orgID, userID string, required bool) (*MFAState, error) {
	var out *MFAState
	err := s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.Users().GetUser(ctx, orgID, userID); err != nil {
			return err
		}
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		out = m
		if m.Required == required {
			return nil
		}
		before := m.Required
		m.Required, m.UpdatedAt = required, s.Now()
		if err := r.MFA().PutMFA(ctx, m); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "user.mfa.require", "user", userID, map[string]Change{"required": {Before: before, After: required}})
	})
	return out, err
}

// GetOIDC returns an organization's single sign-on settings.
func (s *Service) GetOIDC(ctx context.Context, orgID string) (*OIDCSettings, error) {
	return s.store.OIDC().GetOIDC(ctx, orgID)
}

// PutOIDC validates and stores an organization's single sign-on settings.
// The client secret arrives sealed; an empty one keeps the stored secret.
func (s *Service) PutOIDC(ctx context.Context, actor Actor, in *OIDCSettings) (*OIDCSettings, error) {
	next := *in
	next.Issuer, next.ClientID = strings.TrimRight(strings.TrimSpace(next.Issuer), "/"), strings.TrimSpace(next.ClientID)
	u, err := url.Parse(next.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return nil, FieldErrorf(CodeInvalid, "issuer", "issuer must be an https URL without query or fragment")
	}
	if next.ClientID == "" || len(next.ClientID) > 512 {
		return nil, FieldErrorf(CodeInvalid, "clientId", "clientId must be 1-512 characters")
	}
	err = s.store.InTx(ctx, func(r Repos) error {
		cur, err := r.OIDC().GetOIDC(ctx, next.OrgID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return err
		}
		before := map[string]any{}
		if cur != nil {
			before = oidcAuditFields(cur)
			if next.ClientSecret == "" {
				next.ClientSecret = cur.ClientSecret
			}
		}
		if next.ClientSecret == "" {
			return FieldErrorf(CodeInvalid, "clientSecret", "clientSecret is required")
		}
		next.UpdatedAt = s.Now()
		changes := diffFields(before, oidcAuditFields(&next))
		if cur != nil && cur.ClientSecret != next.ClientSecret {
			changes["clientSecret"] = Change{After: "changed"}
		}
		if err := r.OIDC().PutOIDC(ctx, &next); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, next.OrgID, "org.sso.update", "org", next.OrgID, changes)
	})
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// DeleteOIDC turns single sign-on off by forgetting the settings.
func (s *Service) DeleteOIDC(ctx context.Context, actor Actor, orgID string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		cur, err := r.OIDC().GetOIDC(ctx, orgID)
		if err != nil {
			return err
		}
		if err := r.OIDC().DeleteOIDC(ctx, orgID); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "org.sso.delete", "org", orgID, diffFields(oidcAuditFields(cur), nil))
	})
}

func oidcAuditFields(o *OIDCSettings) map[string]any {
	return map[string]any{"issuer": o.Issuer, "clientId": o.ClientID, "enabled": o.Enabled}
}
