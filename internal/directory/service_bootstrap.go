package directory

import "context"

// Setup is what a first start creates: an organization, its first org_admin
// and a SCIM token.
type Setup struct {
	Org        *Org
	Admin      *User
	Token      *Token
	TokenPlain string // shown once
}

// Bootstrap sets up an empty database in one transaction: the organization,
// its admin and a SCIM token all exist afterwards, or none does. It returns
// (nil, nil) when the database already has an organization, including when
// another replica sharing the database set it up at the same moment.
func (s *Service) Bootstrap(ctx context.Context, actor Actor, org *Org, admin *User, tokenName string) (*Setup, error) {
	o := cloneOrg(org)
	o.Settings.defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	giveTokens(o.Domains)
	u := admin.Clone()
	MirrorContacts(nil, u)
	u.Normalize()
	if err := u.Validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	o.ID, o.CreatedAt, o.UpdatedAt, o.Version = NewID(), now, now, 1
	u.ID, u.OrgID, u.CreatedAt, u.UpdatedAt, u.Version = NewID(), o.ID, now, now, 1
	s.stampStatus(actor, u, u.Status, "")
	t := &Token{ID: NewID(), OrgID: o.ID, Kind: TokenSCIM, Name: tokenName, CreatedBy: describeActor(actor), CreatedAt: now}
	plain, hash, err := NewTokenSecret(t.ID)
	if err != nil {
		return nil, err
	}
	t.SecretHash = hash

	var done bool
	err = s.store.InTx(ctx, func(r Repos) error {
		n, err := r.Orgs().CountOrgs(ctx)
		if err != nil || n > 0 {
			return err
		}
		if err := r.Orgs().CreateOrg(ctx, o); err != nil {
			return err
		}
		if err := s.audit(ctx, r, actor, o.ID, "org.create", "org", o.ID, diffFields(nil, orgAuditFields(o))); err != nil {
			return err
		}
		if err := r.Users().CreateUser(ctx, u); err != nil {
			return err
		}
		if err := s.audit(ctx, r, actor, o.ID, "user.create", "user", u.ID, diffFields(nil, userAuditFields(u))); err != nil {
			return err
		}
		if err := r.Tokens().CreateToken(ctx, t); err != nil {
			return err
		}
		done = true
		return s.audit(ctx, r, actor, o.ID, "token.create", "token", t.ID, map[string]Change{"name": {After: t.Name}, "kind": {After: t.Kind}})
	})
	if IsCode(err, CodeConflict) {
		// Another replica created the organization first.
		return nil, nil
	}
	if err != nil || !done {
		return nil, err
	}
	return &Setup{Org: o, Admin: u, Token: t, TokenPlain: plain}, nil
}
