package sqlstore

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// tokenColumns and the statements below hold no credentials, only column
// names that gosec's G101 mistakes for them.
//
//nolint:gosec // see above
const tokenColumns = `t.id, t.org_id, t.kind, t.name, t.secret_hash, t.created_by,
	t.created_at, t.last_used_at, t.revoked_at`

const (
	insertToken = `INSERT INTO tokens (id, org_id, kind, name, secret_hash, created_by, created_at, last_used_at, revoked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	selectToken     = `SELECT ` + tokenColumns + ` FROM tokens t WHERE t.id = $1`
	selectOrgTokens = `SELECT ` + tokenColumns + ` FROM tokens t WHERE t.org_id = $1 ORDER BY t.id`
	// A second revocation keeps the time of the first.
	revokeToken = `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2` //nolint:gosec // see above
	// Concurrent requests may touch a token out of order; the latest wins.
	touchToken        = `UPDATE tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)` //nolint:gosec // see above
	selectTokenExists = `SELECT 1 FROM tokens WHERE id = $1`
)

type tokenStore struct{ r *Repos }

// CreateToken implements directory.TokenStore.
func (s tokenStore) CreateToken(ctx context.Context, t *directory.Token) error {
	setID(&t.ID)
	t.CreatedAt = sqlbuild.UTCMicro(t.CreatedAt)
	d := s.r.c.Dialect
	_, err := s.r.c.Write.Exec(ctx, insertToken, t.ID, t.OrgID, string(t.Kind), t.Name, t.SecretHash, t.CreatedBy,
		d.Time(t.CreatedAt), d.NullTime(t.LastUsedAt), d.NullTime(t.RevokedAt))
	return s.r.fail(err)
}

// GetToken implements directory.TokenStore.
func (s tokenStore) GetToken(ctx context.Context, id string) (*directory.Token, error) {
	var t directory.Token
	if err := s.r.c.Read.QueryRow(ctx, selectToken, id).Scan(tokenDest(&t)...); err != nil {
		if noRows(err) {
			return nil, notFound("token")
		}
		return nil, s.r.fail(err)
	}
	return &t, nil
}

// ListTokens implements directory.TokenStore.
func (s tokenStore) ListTokens(ctx context.Context, orgID string) ([]*directory.Token, error) {
	rows, err := s.r.c.Read.Query(ctx, selectOrgTokens, orgID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []*directory.Token
	for rows.Next() {
		var t directory.Token
		if err := rows.Scan(tokenDest(&t)...); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, &t)
	}
	return out, s.r.fail(rows.Err())
}

// RevokeToken implements directory.TokenStore.
func (s tokenStore) RevokeToken(ctx context.Context, orgID, id string, at time.Time) error {
	n, err := s.r.c.Write.Exec(ctx, revokeToken, orgID, id, s.r.c.Dialect.Time(at))
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("token")
	}
	return nil
}

// TouchToken implements directory.TokenStore.
func (s tokenStore) TouchToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.r.c.Write.Exec(ctx, touchToken, id, s.r.c.Dialect.Time(at))
	if err != nil || n > 0 {
		return s.r.fail(err)
	}
	var one int
	if err := s.r.c.Write.QueryRow(ctx, selectTokenExists, id).Scan(&one); err != nil {
		if noRows(err) {
			return notFound("token")
		}
		return s.r.fail(err)
	}
	return nil
}

func tokenDest(t *directory.Token) []any {
	return []any{
		&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.SecretHash, &t.CreatedBy,
		sqlbuild.ScanTime(&t.CreatedAt), sqlbuild.ScanNullTime(&t.LastUsedAt), sqlbuild.ScanNullTime(&t.RevokedAt),
	}
}
