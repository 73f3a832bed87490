package directory

import (
	"context"
	"errors"
	"strings"
)

// FindUserByUserName finds the organization's user, not deleted, holding a
// userName (regardless of case).
func (s *Service) FindUserByUserName(ctx context.Context, orgID, userName string) (*User, error) {
	return s.store.Users().FindUserByUserName(ctx, orgID, NormalizeUserName(userName))
}

// FindUserByEmail finds the organization's user, not deleted, whose login
// email is email (regardless of case).
func (s *Service) FindUserByEmail(ctx context.Context, orgID, email string) (*User, error) {
	return s.store.Users().FindUserByEmail(ctx, orgID, strings.TrimSpace(email))
}

// FindOrgByDomain finds the organization that has verified a domain.
func (s *Service) FindOrgByDomain(ctx context.Context, domain string) (*Org, error) {
	return s.store.Orgs().FindOrgByDomain(ctx, domain)
}

// ResolveLoginOrg finds the organization a login is for: the one named by
// slug if slug is not empty, else the one that has verified the domain of
// email, else, on an installation with a single organization, that one.
// Nothing found is CodeNotFound, whichever the reason, so that a caller
// can answer as it answers a wrong password.
func (s *Service) ResolveLoginOrg(ctx context.Context, slug, email string) (*Org, error) {
	if slug = strings.TrimSpace(slug); slug != "" {
		return s.store.Orgs().GetOrgBySlug(ctx, slug)
	}
	if domain := EmailDomain(strings.TrimSpace(email)); domain != "" {
		o, err := s.store.Orgs().FindOrgByDomain(ctx, domain)
		if !IsCode(err, CodeNotFound) {
			return o, err
		}
	}
	// A single-tenant installation needs no org URL nor verified domain.
	if n, err := s.store.Orgs().CountOrgs(ctx); err != nil || n != 1 {
		if err != nil {
			return nil, err
		}
		return nil, Errorf(CodeNotFound, "organization not found")
	}
	orgs, err := s.store.Orgs().ListOrgs(ctx)
	if err != nil {
		return nil, err
	}
	if len(orgs) != 1 {
		return nil, Errorf(CodeNotFound, "organization not found")
	}
	return orgs[0], nil
}

// checkLoginDomain refuses a login email on a domain another organization
// has verified. It names the domain, never the other organization nor its
// users.
func checkLoginDomain(ctx context.Context, r Repos, orgID, email string) error {
	domain := EmailDomain(email)
	if domain == "" {
		return nil
	}
	return r.Orgs().CheckLoginDomain(ctx, orgID, domain)
}

func domainTaken(domain string) error { return LoginDomainTaken(domain) }

// LoginDomainTaken is the refusal of a login email on domain, which
// another organization has verified.
func LoginDomainTaken(domain string) *Error {
	return FieldErrorf(CodeConflict, "email",
		"the email domain %s is verified by another organization; give the user an email on a domain of this organization", domain)
}

// domainOwners remembers, for a batch, which organization has verified
// each email domain the batch uses ("" for none), so that a batch looks each
// domain up once.
type domainOwners map[string]string

// check is checkLoginDomain with the batch's memory.
func (d domainOwners) check(ctx context.Context, r Repos, orgID, email string) error {
	domain := EmailDomain(email)
	if domain == "" {
		return nil
	}
	owner, ok := d[domain]
	if !ok {
		o, err := r.Orgs().FindOrgByDomain(ctx, domain)
		switch {
		case IsCode(err, CodeNotFound):
		case err != nil:
			return err
		default:
			owner = o.ID
		}
		d[domain] = owner
	}
	if owner != "" && owner != orgID {
		return domainTaken(domain)
	}
	return nil
}

// load looks up, in one query each, the domains of emails not known yet.
func (d domainOwners) load(ctx context.Context, r Repos, emails []string) error {
	for _, e := range emails {
		if domain := EmailDomain(e); domain != "" {
			if err := d.check(ctx, r, "", e); err != nil && !IsCode(err, CodeConflict) {
				return err
			}
		}
	}
	return nil
}

// known is check for a batch whose domains were loaded: a domain not
// loaded counts as verified by nobody.
func (d domainOwners) known(orgID, email string) error {
	domain := EmailDomain(email)
	if owner := d[domain]; domain != "" && owner != "" && owner != orgID {
		return domainTaken(domain)
	}
	return nil
}

// conflictOn reports whether err is a CodeConflict on field.
func conflictOn(err error, field string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeConflict && e.Field == field
}

// checkRestorable refuses to restore u while another user of its
// organization holds its userName or its login email.
func checkRestorable(ctx context.Context, r Repos, u *User) error {
	other, err := r.Users().FindUserByUserName(ctx, u.OrgID, u.UserName)
	switch {
	case err == nil && other.ID != u.ID:
		return FieldErrorf(CodeConflict, "userName",
			"userName %q is now held by another user; rename one of them before restoring this user", u.UserName)
	case err != nil && !IsCode(err, CodeNotFound):
		return err
	}
	if u.Email == "" {
		return nil
	}
	other, err = r.Users().FindUserByEmail(ctx, u.OrgID, u.Email)
	switch {
	case err == nil && other.ID != u.ID:
		return FieldErrorf(CodeConflict, "email",
			"email %q is now another user's login email; change one of them before restoring this user", u.Email)
	case err != nil && !IsCode(err, CodeNotFound):
		return err
	}
	return checkLoginDomain(ctx, r, u.OrgID, u.Email)
}
