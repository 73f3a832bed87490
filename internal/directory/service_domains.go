package directory

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// TXTResolver looks up the TXT records of a DNS name. *net.Resolver is one;
// tests use a fake.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// VerificationPrefix starts the TXT record that proves control of a
// domain: "roster-verification=<token>".
const VerificationPrefix = "roster-verification="

// VerificationRecord is the TXT record an organization publishes on d.
func (d Domain) VerificationRecord() string { return VerificationPrefix + d.Token }

// dnsTimeout bounds the TXT lookup of a verification.
const dnsTimeout = 10 * time.Second

// newDomainToken returns a random verification token.
func newDomainToken() string { return strings.ToLower(rand.Text()) }

// giveTokens gives a verification token to the domains without one.
func giveTokens(ds []Domain) {
	for i := range ds {
		if ds[i].Token == "" {
			ds[i].Token = newDomainToken()
		}
	}
}

// UseResolver sets the resolver DNS verification asks (by default a
// net.Resolver).
func (s *Service) UseResolver(r TXTResolver) { s.resolver = r }

func (s *Service) txtResolver() TXTResolver {
	if s.resolver == nil {
		return &net.Resolver{}
	}
	return s.resolver
}

// ReplaceDomains sets o's domains to list (names and which is primary),
// keeping the verification state and token of the domains o lists already
// and giving the new ones a token. An operator's org create may pass
// domains marked verified; an admin's list never verifies anything.
func ReplaceDomains(o *Org, list []Domain) {
	old := o.Domains
	o.Domains = make([]Domain, 0, len(list))
	for _, d := range list {
		d.Name = NormalizeDomain(d.Name)
		i := slices.IndexFunc(old, func(c Domain) bool { return c.Name == d.Name })
		if i >= 0 {
			c := old[i]
			c.Primary = d.Primary
			o.Domains = append(o.Domains, c)
			continue
		}
		o.Domains = append(o.Domains, Domain{Name: d.Name, Primary: d.Primary, Token: newDomainToken()})
	}
}

// AddDomain lists a new, unverified domain for the organization (primary
// if it is the first).
func (s *Service) AddDomain(ctx context.Context, actor Actor, orgID, name string) (*Org, error) {
	name = NormalizeDomain(name)
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		if _, ok := o.Domain(name); ok {
			return FieldErrorf(CodeConflict, "name", "the organization lists %s already", name)
		}
		if len(o.Domains) >= MaxDomains {
			return FieldErrorf(CodeInvalid, "name", "an organization lists at most %d domains", MaxDomains)
		}
		o.Domains = append(o.Domains, Domain{Name: name, Primary: len(o.Domains) == 0, Token: newDomainToken()})
		return nil
	})
}

// RemoveDomain removes a domain from the organization. The primary domain
// goes last: make another one primary first.
func (s *Service) RemoveDomain(ctx context.Context, actor Actor, orgID, name string) (*Org, error) {
	name = NormalizeDomain(name)
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		d, ok := o.Domain(name)
		if !ok {
			return Errorf(CodeNotFound, "the organization does not list %s", name)
		}
		if d.Primary && len(o.Domains) > 1 {
			return FieldErrorf(CodeInvalid, "name", "%s is the primary domain; make another domain primary first", name)
		}
		o.Domains = slices.DeleteFunc(o.Domains, func(c Domain) bool { return c.Name == name })
		return nil
	})
}

// SetPrimaryDomain makes one of the organization's domains primary.
func (s *Service) SetPrimaryDomain(ctx context.Context, actor Actor, orgID, name string) (*Org, error) {
	name = NormalizeDomain(name)
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		if _, ok := o.Domain(name); !ok {
			return Errorf(CodeNotFound, "the organization does not list %s", name)
		}
		for i := range o.Domains {
			o.Domains[i].Primary = o.Domains[i].Name == name
		}
		return nil
	})
}

// VerifyDomain checks the domain's TXT record now and, if it holds the
// organization's token, marks the domain verified. A domain another
// organization has verified is CodeConflict (naming nothing of it); a
// record not found is CodeInvalid, saying what to publish.
func (s *Service) VerifyDomain(ctx context.Context, actor Actor, orgID, name string) (*Org, error) {
	return s.verifyDomain(ctx, actor, orgID, name)
}

// VerifyDomainByOperator verifies a domain for an operator, adding it to
// the organization's list if needed: by DNS as VerifyDomain does, or, with
// force, without any check.
func (s *Service) VerifyDomainByOperator(ctx context.Context, actor Actor, orgID, name string, force bool) (*Org, error) {
	name = NormalizeDomain(name)
	if force {
		return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
			i := slices.IndexFunc(o.Domains, func(c Domain) bool { return c.Name == name })
			if i < 0 {
				o.Domains = append(o.Domains, Domain{Name: name, Primary: len(o.Domains) == 0, Token: newDomainToken()})
				i = len(o.Domains) - 1
			}
			markVerified(&o.Domains[i], VerifiedByOperator, s.Now())
			return nil
		})
	}
	org, err := s.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if _, ok := org.Domain(name); !ok {
		if _, err := s.AddDomain(ctx, actor, orgID, name); err != nil {
			return nil, err
		}
	}
	return s.verifyDomain(ctx, actor, orgID, name)
}

func (s *Service) verifyDomain(ctx context.Context, actor Actor, orgID, name string) (*Org, error) {
	name = NormalizeDomain(name)
	org, err := s.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	d, ok := org.Domain(name)
	if !ok {
		return nil, Errorf(CodeNotFound, "the organization does not list %s", name)
	}
	if d.Verified {
		return org, nil
	}
	if err := s.checkTXT(ctx, d); err != nil {
		return nil, err
	}
	// An operator's DNS check is a DNS verification all the same.
	return s.UpdateOrg(ctx, actor, orgID, 0, func(o *Org) error {
		for i := range o.Domains {
			if o.Domains[i].Name == name && o.Domains[i].Token == d.Token {
				markVerified(&o.Domains[i], VerifiedByDNS, s.Now())
				return nil
			}
		}
		return ErrStale
	})
}

// checkTXT looks for the domain's verification record.
func (s *Service) checkTXT(ctx context.Context, d Domain) error {
	want := d.VerificationRecord()
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	records, err := s.txtResolver().LookupTXT(ctx, d.Name)
	if err == nil && slices.ContainsFunc(records, func(r string) bool { return strings.TrimSpace(r) == want }) {
		return nil
	}
	detail := "no such record"
	if err != nil {
		detail = fmt.Sprintf("the lookup failed: %v", err)
	}
	return FieldErrorf(CodeInvalid, "name",
		"%s has no TXT record %q (%s); publish it and verify again (DNS changes may take a while)", d.Name, want, detail)
}

func markVerified(d *Domain, by DomainVerifier, at time.Time) {
	d.Verified, d.VerifiedBy = true, by
	d.VerifiedAt = &at
}
