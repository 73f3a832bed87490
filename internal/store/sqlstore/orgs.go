package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const orgColumns = `o.id, o.slug, o.name, o.mfa_policy, o.lockout_threshold, o.inactivity_days,
	o.password_min_length, o.password_require_upper, o.password_require_lower,
	o.password_require_digit, o.password_require_symbol, o.user_properties,
	o.created_at, o.updated_at, o.version, o.role_mappings, o.mfa_factors, o.phone_region,
	o.passwordless_passkeys`

const insertOrg = `INSERT INTO organizations (id, slug, name, mfa_policy, lockout_threshold, inactivity_days,
	password_min_length, password_require_upper, password_require_lower,
	password_require_digit, password_require_symbol, user_properties,
	updated_at, version, role_mappings, mfa_factors, phone_region, passwordless_passkeys, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`

const updateOrg = `UPDATE organizations SET slug = $2, name = $3, mfa_policy = $4, lockout_threshold = $5,
	inactivity_days = $6, password_min_length = $7, password_require_upper = $8,
	password_require_lower = $9, password_require_digit = $10, password_require_symbol = $11,
	user_properties = $12, updated_at = $13, version = $14, role_mappings = $15,
	mfa_factors = $16, phone_region = $17, passwordless_passkeys = $18
WHERE id = $1 AND version = $19`

// Conditions of the lookups of organizations, appended to Repos.q.selectOrg.
const (
	orgByID     = ` WHERE o.id = $1`
	orgBySlug   = ` WHERE o.slug = $1`
	orgByDomain = ` WHERE o.id = (SELECT org_id FROM org_domains WHERE domain = $1 AND verified)`
	orgsBySlug  = ` ORDER BY o.slug`
)

const (
	selectOrgVersion = `SELECT version FROM organizations WHERE id = $1`
	deleteOrgDomains = `DELETE FROM org_domains WHERE org_id = $1`
	countOrgs        = `SELECT count(*) FROM organizations`
)

type orgStore struct{ r *Repos }

// propertyDef is how a custom property definition is stored, so that the
// JSON does not follow Go field names.
type propertyDef struct {
	Key      string                 `json:"key"`
	Label    string                 `json:"label,omitempty"`
	Type     directory.PropertyType `json:"type"`
	Required bool                   `json:"required,omitempty"`
}

// orgArgs returns the arguments $1…$18 of insertOrg and updateOrg.
func orgArgs(d sqlbuild.Dialect, o *directory.Org) ([]any, error) {
	defs := make([]propertyDef, len(o.UserProperties))
	for i, p := range o.UserProperties {
		defs[i] = propertyDef(p)
	}
	props, err := marshal(defs)
	if err != nil {
		return nil, err
	}
	s := o.Settings
	mappings := "[]"
	if len(s.RoleMappings) > 0 {
		if mappings, err = marshal(s.RoleMappings); err != nil {
			return nil, err
		}
	}
	return []any{
		o.ID, o.Slug, o.Name, string(s.MFAPolicy), s.LockoutThreshold, s.InactivityDays,
		s.PasswordPolicy.MinLength, s.PasswordPolicy.RequireUpper, s.PasswordPolicy.RequireLower,
		s.PasswordPolicy.RequireDigit, s.PasswordPolicy.RequireSymbol, props,
		d.Time(o.UpdatedAt), o.Version, mappings, joinFactors(s.MFAFactors), s.PhoneRegion,
		s.PasswordlessPasskeys,
	}, nil
}

// CreateOrg implements directory.OrgStore.
func (s orgStore) CreateOrg(ctx context.Context, o *directory.Org) error {
	setID(&o.ID)
	o.CreatedAt, o.UpdatedAt = sqlbuild.UTCMicro(o.CreatedAt), sqlbuild.UTCMicro(o.UpdatedAt)
	if o.Version < 1 {
		o.Version = 1
	}
	args, err := orgArgs(s.r.c.Dialect, o)
	if err != nil {
		return directory.Internal(err)
	}
	args = append(args, s.r.c.Dialect.Time(o.CreatedAt))
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, insertOrg, args...); err != nil {
			return err
		}
		return insertDomains(ctx, db, s.r.c.Dialect, o)
	}))
}

// insertDomains writes the organization's domains, lower-cased.
func insertDomains(ctx context.Context, db DB, dialect sqlbuild.Dialect, o *directory.Org) error {
	if len(o.Domains) == 0 {
		return nil
	}
	args := sqlbuild.Args{o.ID}
	rows := make([]string, len(o.Domains))
	for i, d := range o.Domains {
		rows[i] = "(" + strings.Join([]string{args.Add(directory.NormalizeDomain(d.Name)), "$1", args.Add(i), args.Add(d.Primary),
			args.Add(d.Token), args.Add(d.Verified), args.Add(string(d.VerifiedBy)), args.Add(dialect.NullTime(d.VerifiedAt))}, ", ") + ")"
	}
	_, err := db.Exec(ctx, "INSERT INTO org_domains (domain, org_id, ordinal, is_primary, verification_token, verified, verified_by, verified_at) VALUES "+strings.Join(rows, ", "), args...)
	return err
}

// GetOrg implements directory.OrgStore.
func (s orgStore) GetOrg(ctx context.Context, id string) (*directory.Org, error) {
	return s.one(ctx, s.r.q.selectOrg+orgByID, id)
}

// GetOrgBySlug implements directory.OrgStore.
func (s orgStore) GetOrgBySlug(ctx context.Context, slug string) (*directory.Org, error) {
	return s.one(ctx, s.r.q.selectOrg+orgBySlug, slug)
}

// FindOrgByDomain implements directory.OrgStore.
func (s orgStore) FindOrgByDomain(ctx context.Context, domain string) (*directory.Org, error) {
	return s.one(ctx, s.r.q.selectOrg+orgByDomain, directory.NormalizeDomain(domain))
}

// Login email domains: checkLoginDomainHeld raises (migration 0076) where
// selectDomainTaken finds a row.
const (
	checkLoginDomainHeld = `SELECT roster_check_login_domain($1, $2)`
	selectDomainTaken    = `SELECT 1 FROM org_domains WHERE domain = $2 AND verified AND org_id <> $1`
)

// CheckLoginDomain implements directory.OrgStore. In a transaction that
// holds statements, the check travels with the next one or with the
// commit, which it fails if the domain is taken.
func (s orgStore) CheckLoginDomain(ctx context.Context, orgID, domain string) error {
	domain = directory.NormalizeDomain(domain)
	if domain == "" {
		return nil
	}
	if l, ok := s.r.c.Write.(LaterExecer); ok && s.r.inTx && s.r.c.DomainTaken != nil && l.ExecLater(checkLoginDomainHeld, orgID, domain) {
		return nil
	}
	var one int
	err := s.r.c.Read.QueryRow(ctx, selectDomainTaken, orgID, domain).Scan(&one)
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return s.r.fail(err)
	}
	return directory.LoginDomainTaken(domain)
}

func (s orgStore) one(ctx context.Context, query string, args ...any) (*directory.Org, error) {
	var row orgRow
	if err := s.r.c.Read.QueryRow(ctx, query, args...).Scan(row.dest()...); err != nil {
		if noRows(err) {
			return nil, notFound("organization")
		}
		return nil, s.r.fail(err)
	}
	o, err := row.org()
	return o, s.r.fail(err)
}

// UpdateOrg implements directory.OrgStore.
func (s orgStore) UpdateOrg(ctx context.Context, o *directory.Org) error {
	next := *o
	next.UpdatedAt = sqlbuild.UTCMicro(s.r.c.Now())
	next.Version = o.Version + 1
	args, err := orgArgs(s.r.c.Dialect, &next)
	if err != nil {
		return directory.Internal(err)
	}
	args = append(args, o.Version)
	err = s.r.c.Atomic(ctx, func(db DB) error {
		n, err := db.Exec(ctx, updateOrg, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return staleOrMissing(ctx, db, "organization", selectOrgVersion, o.ID)
		}
		if _, err := db.Exec(ctx, deleteOrgDomains, o.ID); err != nil {
			return err
		}
		return insertDomains(ctx, db, s.r.c.Dialect, o)
	})
	if err != nil {
		return s.r.fail(err)
	}
	o.UpdatedAt, o.Version = next.UpdatedAt, next.Version
	return nil
}

// ListOrgs implements directory.OrgStore.
func (s orgStore) ListOrgs(ctx context.Context) ([]*directory.Org, error) {
	rows, err := s.r.c.Read.Query(ctx, s.r.q.selectOrg+orgsBySlug)
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*orgRow).org)
	return out, s.r.fail(err)
}

// CountOrgs implements directory.OrgStore.
func (s orgStore) CountOrgs(ctx context.Context) (int, error) {
	var n int
	err := s.r.c.Read.QueryRow(ctx, countOrgs).Scan(&n)
	return n, s.r.fail(err)
}

// orgRow is the scan destination of selectOrg.
type orgRow struct {
	o        directory.Org
	props    []byte
	mappings []byte
	factors  string
	domains  []byte
}

func (r *orgRow) dest() []any {
	o, s := &r.o, &r.o.Settings
	return []any{
		&o.ID, &o.Slug, &o.Name, &s.MFAPolicy, &s.LockoutThreshold, &s.InactivityDays,
		&s.PasswordPolicy.MinLength, &s.PasswordPolicy.RequireUpper, &s.PasswordPolicy.RequireLower,
		&s.PasswordPolicy.RequireDigit, &s.PasswordPolicy.RequireSymbol, &r.props,
		sqlbuild.ScanTime(&o.CreatedAt), sqlbuild.ScanTime(&o.UpdatedAt), &o.Version, &r.mappings,
		&r.factors, &s.PhoneRegion, &s.PasswordlessPasskeys, &r.domains,
	}
}

func (r *orgRow) org() (*directory.Org, error) {
	var defs []propertyDef
	if err := unmarshal(r.props, &defs); err != nil {
		return nil, err
	}
	for _, d := range defs {
		r.o.UserProperties = append(r.o.UserProperties, directory.PropertyDef(d))
	}
	if err := unmarshal(r.mappings, &r.o.Settings.RoleMappings); err != nil {
		return nil, err
	}
	if len(r.o.Settings.RoleMappings) == 0 {
		r.o.Settings.RoleMappings = nil
	}
	r.o.Settings.MFAFactors = splitFactors(r.factors)
	domains, err := tuples(r.domains, 6)
	if err != nil {
		return nil, err
	}
	for _, d := range domains {
		dom := directory.Domain{
			Name: str(d[0]), Primary: truthy(d[1]), Verified: truthy(d[2]),
			VerifiedBy: directory.DomainVerifier(str(d[3])), Token: str(d[5]),
		}
		if at := str(d[4]); at != "" {
			t, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				return nil, fmt.Errorf("decode domain verification time: %w", err)
			}
			t = t.UTC()
			dom.VerifiedAt = &t
		}
		r.o.Domains = append(r.o.Domains, dom)
	}
	return &r.o, nil
}

// joinFactors stores an organization's second factors as a comma-separated
// list, the same on both dialects.
func joinFactors(fs []directory.MFAFactor) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return strings.Join(parts, ",")
}

func splitFactors(s string) []directory.MFAFactor {
	var fs []directory.MFAFactor
	for f := range strings.SplitSeq(s, ",") {
		if f != "" {
			fs = append(fs, directory.MFAFactor(f))
		}
	}
	return fs
}
