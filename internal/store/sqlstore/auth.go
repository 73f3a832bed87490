package sqlstore

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Sessions implements directory.AuthRepos.
func (r *Repos) Sessions() directory.SessionStore { return sessionStore{r} }

// Links implements directory.AuthRepos.
func (r *Repos) Links() directory.LinkStore { return linkStore{r} }

// MFA implements directory.AuthRepos.
func (r *Repos) MFA() directory.MFAStore { return mfaStore{r} }

// OIDC implements directory.AuthRepos.
func (r *Repos) OIDC() directory.OIDCStore { return oidcStore{r} }

const sessionColumns = `s.id, s.org_id, s.user_id, s.kind, s.stage, s.name, s.method, s.secret_hash,
	s.created_at, s.expires_at, s.last_used_at, s.revoked_at`

const (
	insertSession = `INSERT INTO auth_sessions (id, org_id, user_id, kind, stage, name, method, secret_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	// Sessions that expired long ago are of no use to anyone; a user's
	// new session sweeps its own.
	deleteExpiredSessions = `DELETE FROM auth_sessions WHERE user_id = $1 AND expires_at < $2`
	selectSessionByHash   = `SELECT ` + sessionColumns + ` FROM auth_sessions s WHERE s.secret_hash = $1`
	touchSession          = `UPDATE auth_sessions SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`
	promoteSession        = `UPDATE auth_sessions SET stage = $3, method = $4, expires_at = $5
WHERE id = $1 AND stage = $2 AND revoked_at IS NULL`
	revokeSession      = `UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2`
	revokeUserLogins   = `UPDATE auth_sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 AND kind = 'login'`
	revokeUserAll      = `UPDATE auth_sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`
	selectLiveSessions = `SELECT ` + sessionColumns + ` FROM auth_sessions s
WHERE s.org_id = $1 AND s.user_id = $2 AND s.kind = $3 AND s.revoked_at IS NULL AND s.expires_at > $4
ORDER BY s.created_at DESC, s.id DESC`
)

type sessionStore struct{ r *Repos }

// CreateSession implements directory.SessionStore.
func (s sessionStore) CreateSession(ctx context.Context, x *directory.Session) error {
	setID(&x.ID)
	x.CreatedAt, x.ExpiresAt = sqlbuild.UTCMicro(x.CreatedAt), sqlbuild.UTCMicro(x.ExpiresAt)
	d := s.r.c.Dialect
	return s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, deleteExpiredSessions, x.UserID, d.Time(x.CreatedAt.Add(-24*time.Hour))); err != nil {
			return s.r.fail(err)
		}
		_, err := db.Exec(ctx, insertSession, x.ID, x.OrgID, x.UserID, string(x.Kind), string(x.Stage), x.Name, x.Method,
			x.SecretHash, d.Time(x.CreatedAt), d.Time(x.ExpiresAt))
		return s.r.fail(err)
	})
}

// GetSessionByHash implements directory.SessionStore.
func (s sessionStore) GetSessionByHash(ctx context.Context, hash string) (*directory.Session, error) {
	var x directory.Session
	if err := s.r.c.Read.QueryRow(ctx, selectSessionByHash, hash).Scan(sessionDest(&x)...); err != nil {
		if noRows(err) {
			return nil, notFound("session")
		}
		return nil, s.r.fail(err)
	}
	return &x, nil
}

// TouchSession implements directory.SessionStore.
func (s sessionStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.r.c.Write.Exec(ctx, touchSession, id, s.r.c.Dialect.Time(at))
	return s.r.fail(err)
}

// PromoteSession implements directory.SessionStore.
func (s sessionStore) PromoteSession(ctx context.Context, id string, from, to directory.SessionStage, method string, expires time.Time) error {
	n, err := s.r.c.Write.Exec(ctx, promoteSession, id, string(from), string(to), method, s.r.c.Dialect.Time(expires))
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return directory.ErrStale
	}
	return nil
}

// RevokeSession implements directory.SessionStore.
func (s sessionStore) RevokeSession(ctx context.Context, orgID, id string, at time.Time) error {
	n, err := s.r.c.Write.Exec(ctx, revokeSession, orgID, id, s.r.c.Dialect.Time(at))
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("session")
	}
	return nil
}

// RevokeUserSessions implements directory.SessionStore.
func (s sessionStore) RevokeUserSessions(ctx context.Context, orgID, userID string, tokens bool, at time.Time) (int, error) {
	q := revokeUserLogins
	if tokens {
		q = revokeUserAll
	}
	n, err := s.r.c.Write.Exec(ctx, q, orgID, userID, s.r.c.Dialect.Time(at))
	return int(n), s.r.fail(err)
}

// ListSessions implements directory.SessionStore.
func (s sessionStore) ListSessions(ctx context.Context, orgID, userID string, kind directory.SessionKind, at time.Time) ([]*directory.Session, error) {
	rows, err := s.r.c.Read.Query(ctx, selectLiveSessions, orgID, userID, string(kind), s.r.c.Dialect.Time(at))
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []*directory.Session
	for rows.Next() {
		var x directory.Session
		if err := rows.Scan(sessionDest(&x)...); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, &x)
	}
	return out, s.r.fail(rows.Err())
}

func sessionDest(x *directory.Session) []any {
	return []any{
		&x.ID, &x.OrgID, &x.UserID, &x.Kind, &x.Stage, &x.Name, &x.Method, &x.SecretHash,
		sqlbuild.ScanTime(&x.CreatedAt), sqlbuild.ScanTime(&x.ExpiresAt),
		sqlbuild.ScanNullTime(&x.LastUsedAt), sqlbuild.ScanNullTime(&x.RevokedAt),
	}
}

const linkColumns = `l.id, l.org_id, l.user_id, l.purpose, l.secret_hash, l.created_at, l.expires_at, l.used_at`

const (
	insertLink = `INSERT INTO auth_links (id, org_id, user_id, purpose, secret_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
	selectLinkByHash = `SELECT ` + linkColumns + ` FROM auth_links l WHERE l.secret_hash = $1`
	// One statement checks and spends, so that two concurrent uses
	// cannot both succeed.
	consumeLink = `UPDATE auth_links SET used_at = $2 WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING id, org_id, user_id, purpose, secret_hash, created_at, expires_at, used_at`
	invalidateLinks = `UPDATE auth_links SET used_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL`
)

type linkStore struct{ r *Repos }

// CreateLink implements directory.LinkStore.
func (s linkStore) CreateLink(ctx context.Context, l *directory.Link) error {
	setID(&l.ID)
	l.CreatedAt, l.ExpiresAt = sqlbuild.UTCMicro(l.CreatedAt), sqlbuild.UTCMicro(l.ExpiresAt)
	d := s.r.c.Dialect
	_, err := s.r.c.Write.Exec(ctx, insertLink, l.ID, l.OrgID, l.UserID, string(l.Purpose), l.SecretHash, d.Time(l.CreatedAt), d.Time(l.ExpiresAt))
	return s.r.fail(err)
}

// GetLink implements directory.LinkStore.
func (s linkStore) GetLink(ctx context.Context, hash string) (*directory.Link, error) {
	var l directory.Link
	if err := s.r.c.Read.QueryRow(ctx, selectLinkByHash, hash).Scan(linkDest(&l)...); err != nil {
		if noRows(err) {
			return nil, notFound("link")
		}
		return nil, s.r.fail(err)
	}
	return &l, nil
}

// ConsumeLink implements directory.LinkStore.
func (s linkStore) ConsumeLink(ctx context.Context, hash string, at time.Time) (*directory.Link, error) {
	var l directory.Link
	if err := s.r.c.Write.QueryRow(ctx, consumeLink, hash, s.r.c.Dialect.Time(at)).Scan(linkDest(&l)...); err != nil {
		if noRows(err) {
			return nil, notFound("link")
		}
		return nil, s.r.fail(err)
	}
	return &l, nil
}

// InvalidateLinks implements directory.LinkStore.
func (s linkStore) InvalidateLinks(ctx context.Context, orgID, userID string, at time.Time) error {
	_, err := s.r.c.Write.Exec(ctx, invalidateLinks, orgID, userID, s.r.c.Dialect.Time(at))
	return s.r.fail(err)
}

func linkDest(l *directory.Link) []any {
	return []any{&l.ID, &l.OrgID, &l.UserID, &l.Purpose, &l.SecretHash,
		sqlbuild.ScanTime(&l.CreatedAt), sqlbuild.ScanTime(&l.ExpiresAt), sqlbuild.ScanNullTime(&l.UsedAt)}
}

const (
	selectMFA = `SELECT m.org_id, m.user_id, m.totp_secret, m.pending_secret, m.last_step, m.required, m.enrolled_at, m.updated_at,
	(SELECT count(*) FROM auth_recovery_codes c WHERE c.user_id = m.user_id AND c.used_at IS NULL)
FROM auth_mfa m WHERE m.org_id = $1 AND m.user_id = $2`
	upsertMFA = `INSERT INTO auth_mfa (user_id, org_id, totp_secret, pending_secret, last_step, required, enrolled_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (user_id) DO UPDATE SET totp_secret = excluded.totp_secret, pending_secret = excluded.pending_secret,
	last_step = excluded.last_step, required = excluded.required, enrolled_at = excluded.enrolled_at,
	updated_at = excluded.updated_at
WHERE auth_mfa.org_id = excluded.org_id`
	// A user whose only second factors are passkeys or a phone has
	// recovery codes but no auth_mfa row.
	countRecoveryCodes  = `SELECT count(*) FROM auth_recovery_codes WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL`
	advanceStep         = `UPDATE auth_mfa SET last_step = $3 WHERE org_id = $1 AND user_id = $2 AND last_step < $3`
	deleteRecoveryCodes = `DELETE FROM auth_recovery_codes WHERE org_id = $1 AND user_id = $2`
	insertRecoveryCode  = `INSERT INTO auth_recovery_codes (user_id, code_hash, org_id, created_at) VALUES ($1, $2, $3, $4)`
	consumeRecoveryCode = `UPDATE auth_recovery_codes SET used_at = $4
WHERE org_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL`
)

type mfaStore struct{ r *Repos }

// GetMFA implements directory.MFAStore.
func (s mfaStore) GetMFA(ctx context.Context, orgID, userID string) (*directory.MFAState, error) {
	m := directory.MFAState{OrgID: orgID, UserID: userID}
	err := s.r.c.Read.QueryRow(ctx, selectMFA, orgID, userID).Scan(&m.OrgID, &m.UserID, &m.TOTPSecret, &m.PendingSecret,
		&m.LastStep, &m.Required, sqlbuild.ScanNullTime(&m.EnrolledAt), sqlbuild.ScanTime(&m.UpdatedAt), &m.RecoveryCodesLeft)
	if noRows(err) {
		err = s.r.c.Read.QueryRow(ctx, countRecoveryCodes, orgID, userID).Scan(&m.RecoveryCodesLeft)
	}
	if err != nil {
		return nil, s.r.fail(err)
	}
	return &m, nil
}

// PutMFA implements directory.MFAStore.
func (s mfaStore) PutMFA(ctx context.Context, m *directory.MFAState) error {
	d := s.r.c.Dialect
	m.UpdatedAt = sqlbuild.UTCMicro(m.UpdatedAt)
	n, err := s.r.c.Write.Exec(ctx, upsertMFA, m.UserID, m.OrgID, m.TOTPSecret, m.PendingSecret, m.LastStep, m.Required,
		d.NullTime(m.EnrolledAt), d.Time(m.UpdatedAt))
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 { // the user belongs to another organization
		return notFound("user")
	}
	return nil
}

// AdvanceTOTPStep implements directory.MFAStore.
func (s mfaStore) AdvanceTOTPStep(ctx context.Context, orgID, userID string, step int64) (bool, error) {
	n, err := s.r.c.Write.Exec(ctx, advanceStep, orgID, userID, step)
	return n == 1, s.r.fail(err)
}

// ReplaceRecoveryCodes implements directory.MFAStore.
func (s mfaStore) ReplaceRecoveryCodes(ctx context.Context, orgID, userID string, hashes []string, at time.Time) error {
	return s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, deleteRecoveryCodes, orgID, userID); err != nil {
			return s.r.fail(err)
		}
		for _, h := range hashes {
			if _, err := db.Exec(ctx, insertRecoveryCode, userID, h, orgID, s.r.c.Dialect.Time(at)); err != nil {
				return s.r.fail(err)
			}
		}
		return nil
	})
}

// ConsumeRecoveryCode implements directory.MFAStore.
func (s mfaStore) ConsumeRecoveryCode(ctx context.Context, orgID, userID, hash string, at time.Time) (bool, error) {
	n, err := s.r.c.Write.Exec(ctx, consumeRecoveryCode, orgID, userID, hash, s.r.c.Dialect.Time(at))
	return n == 1, s.r.fail(err)
}

const (
	selectOIDC = `SELECT org_id, issuer, client_id, client_secret, enabled, updated_at FROM auth_oidc WHERE org_id = $1`
	upsertOIDC = `INSERT INTO auth_oidc (org_id, issuer, client_id, client_secret, enabled, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
	client_secret = excluded.client_secret, enabled = excluded.enabled, updated_at = excluded.updated_at`
	deleteOIDC = `DELETE FROM auth_oidc WHERE org_id = $1`
)

type oidcStore struct{ r *Repos }

// GetOIDC implements directory.OIDCStore.
func (s oidcStore) GetOIDC(ctx context.Context, orgID string) (*directory.OIDCSettings, error) {
	var o directory.OIDCSettings
	err := s.r.c.Read.QueryRow(ctx, selectOIDC, orgID).Scan(&o.OrgID, &o.Issuer, &o.ClientID, &o.ClientSecret, &o.Enabled, sqlbuild.ScanTime(&o.UpdatedAt))
	if err != nil {
		if noRows(err) {
			return nil, notFound("single sign-on settings")
		}
		return nil, s.r.fail(err)
	}
	return &o, nil
}

// PutOIDC implements directory.OIDCStore.
func (s oidcStore) PutOIDC(ctx context.Context, o *directory.OIDCSettings) error {
	o.UpdatedAt = sqlbuild.UTCMicro(o.UpdatedAt)
	_, err := s.r.c.Write.Exec(ctx, upsertOIDC, o.OrgID, o.Issuer, o.ClientID, o.ClientSecret, o.Enabled, s.r.c.Dialect.Time(o.UpdatedAt))
	return s.r.fail(err)
}

// DeleteOIDC implements directory.OIDCStore.
func (s oidcStore) DeleteOIDC(ctx context.Context, orgID string) error {
	n, err := s.r.c.Write.Exec(ctx, deleteOIDC, orgID)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("single sign-on settings")
	}
	return nil
}
