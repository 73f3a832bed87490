package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Passkeys implements directory.AuthRepos.
func (r *Repos) Passkeys() directory.PasskeyStore { return passkeyStore{r} }

const passkeyColumns = "id, org_id, user_id, credential_id, public_key, sign_count, transports, aaguid, flags, " +
	"attestation_type, name, created_at, last_used_at" // #nosec G101 -- column names, no credentials

const (
	selectPasskeys = `SELECT ` + passkeyColumns + ` FROM passkeys
WHERE org_id = $1 AND user_id = $2 ORDER BY created_at, id`
	selectPasskeyByCredential = `SELECT ` + passkeyColumns + ` FROM passkeys WHERE credential_id = $1`
	insertPasskey             = `INSERT INTO passkeys (` + passkeyColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	renamePasskey      = `UPDATE passkeys SET name = $4 WHERE org_id = $1 AND user_id = $2 AND id = $3`
	deletePasskey      = `DELETE FROM passkeys WHERE org_id = $1 AND user_id = $2 AND id = $3`
	deleteUserPasskeys = `DELETE FROM passkeys WHERE org_id = $1 AND user_id = $2`
	usePasskey         = `UPDATE passkeys SET sign_count = $4, last_used_at = $5
WHERE org_id = $1 AND id = $2 AND sign_count = $3`

	deleteExpiredCeremonies = `DELETE FROM passkey_ceremonies WHERE expires_at < $1`
	insertCeremony          = `INSERT INTO passkey_ceremonies (challenge, org_id, user_id, session_id, kind, data, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
	takeCeremony = `DELETE FROM passkey_ceremonies
WHERE challenge = $1 AND kind = $2 AND org_id = $3 AND session_id = $4 AND expires_at > $5
RETURNING challenge, org_id, user_id, session_id, kind, data, expires_at`
)

type passkeyStore struct{ r *Repos }

func passkeyDest(p *directory.Passkey, count *int64, transports *string, flags *int) []any {
	return []any{&p.ID, &p.OrgID, &p.UserID, &p.CredentialID, &p.PublicKey, count, transports, &p.AAGUID, flags,
		&p.AttestationType, &p.Name, sqlbuild.ScanTime(&p.CreatedAt), sqlbuild.ScanNullTime(&p.LastUsedAt)}
}

type passkeyRow struct {
	p          directory.Passkey
	count      int64
	transports string
	flags      int
}

func (x *passkeyRow) dest() []any { return passkeyDest(&x.p, &x.count, &x.transports, &x.flags) }

func (x *passkeyRow) passkey() *directory.Passkey {
	p := x.p
	p.SignCount = uint32(x.count) // #nosec G115 -- stored from a uint32
	p.Flags = byte(x.flags)       // #nosec G115 -- stored from a byte
	if x.transports != "" {
		p.Transports = strings.Split(x.transports, ",")
	}
	return &p
}

// ListPasskeys implements directory.PasskeyStore.
func (s passkeyStore) ListPasskeys(ctx context.Context, orgID, userID string) ([]*directory.Passkey, error) {
	rows, err := s.r.c.Read.Query(ctx, selectPasskeys, orgID, userID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []*directory.Passkey
	for rows.Next() {
		var x passkeyRow
		if err := rows.Scan(x.dest()...); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, x.passkey())
	}
	return out, s.r.fail(rows.Err())
}

// GetPasskeyByCredential implements directory.PasskeyStore.
func (s passkeyStore) GetPasskeyByCredential(ctx context.Context, credentialID []byte) (*directory.Passkey, error) {
	var x passkeyRow
	if err := s.r.c.Read.QueryRow(ctx, selectPasskeyByCredential, credentialID).Scan(x.dest()...); err != nil {
		if noRows(err) {
			return nil, notFound("passkey")
		}
		return nil, s.r.fail(err)
	}
	return x.passkey(), nil
}

// CreatePasskey implements directory.PasskeyStore.
func (s passkeyStore) CreatePasskey(ctx context.Context, p *directory.Passkey) error {
	setID(&p.ID)
	p.CreatedAt = sqlbuild.UTCMicro(p.CreatedAt)
	d := s.r.c.Dialect
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	_, err := s.r.c.Write.Exec(ctx, insertPasskey, p.ID, p.OrgID, p.UserID, p.CredentialID, p.PublicKey, int64(p.SignCount),
		strings.Join(p.Transports, ","), aaguid, int(p.Flags), p.AttestationType, p.Name, d.Time(p.CreatedAt), d.NullTime(p.LastUsedAt))
	return s.r.fail(err)
}

// RenamePasskey implements directory.PasskeyStore.
func (s passkeyStore) RenamePasskey(ctx context.Context, orgID, userID, id, name string) error {
	n, err := s.r.c.Write.Exec(ctx, renamePasskey, orgID, userID, id, name)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("passkey")
	}
	return nil
}

// DeletePasskey implements directory.PasskeyStore.
func (s passkeyStore) DeletePasskey(ctx context.Context, orgID, userID, id string) error {
	n, err := s.r.c.Write.Exec(ctx, deletePasskey, orgID, userID, id)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("passkey")
	}
	return nil
}

// DeleteUserPasskeys implements directory.PasskeyStore.
func (s passkeyStore) DeleteUserPasskeys(ctx context.Context, orgID, userID string) (int, error) {
	n, err := s.r.c.Write.Exec(ctx, deleteUserPasskeys, orgID, userID)
	return int(n), s.r.fail(err)
}

// RecordPasskeyUse implements directory.PasskeyStore.
func (s passkeyStore) RecordPasskeyUse(ctx context.Context, orgID, id string, oldCount, newCount uint32, at time.Time) (bool, error) {
	n, err := s.r.c.Write.Exec(ctx, usePasskey, orgID, id, int64(oldCount), int64(newCount), s.r.c.Dialect.Time(at))
	return n == 1, s.r.fail(err)
}

// PutCeremony implements directory.PasskeyStore.
func (s passkeyStore) PutCeremony(ctx context.Context, c *directory.PasskeyCeremony, at time.Time) error {
	d := s.r.c.Dialect
	c.ExpiresAt = sqlbuild.UTCMicro(c.ExpiresAt)
	return s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, deleteExpiredCeremonies, d.Time(at)); err != nil {
			return s.r.fail(err)
		}
		_, err := db.Exec(ctx, insertCeremony, c.Challenge, c.OrgID, c.UserID, c.SessionID, string(c.Kind), c.Data, d.Time(c.ExpiresAt))
		return s.r.fail(err)
	})
}

// TakeCeremony implements directory.PasskeyStore.
func (s passkeyStore) TakeCeremony(ctx context.Context, challenge string, kind directory.CeremonyKind, orgID, sessionID string, at time.Time) (*directory.PasskeyCeremony, error) {
	var c directory.PasskeyCeremony
	err := s.r.c.Write.QueryRow(ctx, takeCeremony, challenge, string(kind), orgID, sessionID, s.r.c.Dialect.Time(at)).Scan(
		&c.Challenge, &c.OrgID, &c.UserID, &c.SessionID, &c.Kind, &c.Data, sqlbuild.ScanTime(&c.ExpiresAt))
	if err != nil {
		if noRows(err) {
			return nil, notFound("passkey challenge")
		}
		return nil, s.r.fail(err)
	}
	return &c, nil
}
