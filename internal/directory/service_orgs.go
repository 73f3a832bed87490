package directory

import (
	"context"
	"reflect"
)

// CreateOrg creates an organization. Zero settings get the defaults.
func (s *Service) CreateOrg(ctx context.Context, actor Actor, o *Org) (*Org, error) {
	org := *o
	org.Settings.defaults()
	if err := org.Validate(); err != nil {
		return nil, err
	}
	org.Domains = append([]Domain(nil), org.Domains...)
	giveTokens(org.Domains)
	now := s.Now()
	org.ID, org.CreatedAt, org.UpdatedAt, org.Version = NewID(), now, now, 1
	err := s.store.InTx(ctx, func(r Repos) error {
		if err := r.Orgs().CreateOrg(ctx, &org); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, org.ID, "org.create", "org", org.ID, diffFields(nil, orgAuditFields(&org)))
	})
	if err != nil {
		return nil, err
	}
	return &org, nil
}

// GetOrg returns an organization by id.
func (s *Service) GetOrg(ctx context.Context, id string) (*Org, error) {
	return s.store.Orgs().GetOrg(ctx, id)
}

// GetOrgBySlug returns an organization by slug.
func (s *Service) GetOrgBySlug(ctx context.Context, slug string) (*Org, error) {
	return s.store.Orgs().GetOrgBySlug(ctx, slug)
}

// ListOrgs lists every organization (operators only).
func (s *Service) ListOrgs(ctx context.Context) ([]*Org, error) { return s.store.Orgs().ListOrgs(ctx) }

// CountOrgs counts organizations (first-start detection).
func (s *Service) CountOrgs(ctx context.Context) (int, error) { return s.store.Orgs().CountOrgs(ctx) }

// UpdateOrg applies mutate to the organization and writes it if it still
// validates. ifVersion pins the version the caller read (0: any). The id,
// slug history and timestamps are not the mutator's to change.
func (s *Service) UpdateOrg(ctx context.Context, actor Actor, id string, ifVersion int64, mutate func(*Org) error) (*Org, error) {
	var out *Org
	err := retryStale(ifVersion != 0, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Orgs().GetOrg(ctx, id)
			if err != nil {
				return err
			}
			if ifVersion != 0 && cur.Version != ifVersion {
				return ErrStale
			}
			next := cloneOrg(cur)
			if err := mutate(next); err != nil {
				return err
			}
			next.ID, next.CreatedAt, next.Version = cur.ID, cur.CreatedAt, cur.Version
			if err := next.Validate(); err != nil {
				return err
			}
			changes := diffFields(orgAuditFields(cur), orgAuditFields(next))
			if len(changes) == 0 {
				out = cur
				return nil
			}
			next.UpdatedAt = s.Now()
			if err := r.Orgs().UpdateOrg(ctx, next); err != nil {
				return err
			}
			out = next
			return s.audit(ctx, r, actor, id, "org.update", "org", id, changes)
		})
	})
	return out, err
}

// domainAudit is how the audit log shows a domain.
type domainAudit struct {
	Name       string         `json:"name"`
	Primary    bool           `json:"primary,omitempty"`
	Verified   bool           `json:"verified,omitempty"`
	VerifiedBy DomainVerifier `json:"verifiedBy,omitempty"`
}

func domainAuditFields(ds []Domain) []domainAudit {
	out := make([]domainAudit, len(ds))
	for i, d := range ds {
		out[i] = domainAudit{Name: d.Name, Primary: d.Primary, Verified: d.Verified, VerifiedBy: d.VerifiedBy}
	}
	return out
}

func cloneOrg(o *Org) *Org {
	c := *o
	c.Domains = append([]Domain(nil), o.Domains...)
	c.UserProperties = append([]PropertyDef(nil), o.UserProperties...)
	c.Settings.RoleMappings = append([]RoleMapping(nil), o.Settings.RoleMappings...)
	c.Settings.MFAFactors = append([]MFAFactor(nil), o.Settings.MFAFactors...)
	return &c
}

func orgAuditFields(o *Org) map[string]any {
	return map[string]any{
		"slug":           o.Slug,
		"name":           o.Name,
		"domains":        domainAuditFields(o.Domains),
		"settings":       o.Settings,
		"userProperties": o.UserProperties,
	}
}

// diffFields returns the fields whose values differ between before and
// after (nil before: everything in after is new).
func diffFields(before, after map[string]any) map[string]Change {
	changes := map[string]Change{}
	for k, a := range after {
		b, ok := before[k]
		if ok && reflect.DeepEqual(a, b) {
			continue
		}
		if !ok && isZero(a) {
			continue
		}
		changes[k] = Change{Before: b, After: a}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok && !isZero(b) {
			changes[k] = Change{Before: b}
		}
	}
	return changes
}

func isZero(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() == 0
	}
	return rv.IsZero()
}
