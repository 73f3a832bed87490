package sqlstore

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// SMS implements directory.AuthRepos.
func (r *Repos) SMS() directory.SMSStore { return smsStore{r} }

const (
	selectSMSPhone = `SELECT org_id, user_id, phone, confirmed_at, updated_at FROM mfa_phones WHERE org_id = $1 AND user_id = $2`
	// As auth_mfa's: the service checks that the user is the
	// organization's; a row of another organization is left alone.
	upsertSMSPhone = `INSERT INTO mfa_phones (user_id, org_id, phone, confirmed_at, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone, confirmed_at = excluded.confirmed_at,
	updated_at = excluded.updated_at
WHERE mfa_phones.org_id = excluded.org_id`
	deleteSMSPhone = `DELETE FROM mfa_phones WHERE org_id = $1 AND user_id = $2`
	countSMSCodes  = `SELECT
	(SELECT count(*) FROM mfa_sms_codes WHERE user_id = $1 AND created_at > $3),
	(SELECT count(*) FROM mfa_sms_codes WHERE phone_hash = $2 AND created_at > $3)`
	voidSMSCodes  = `UPDATE mfa_sms_codes SET used_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL`
	sweepSMSCodes = `DELETE FROM mfa_sms_codes WHERE user_id = $1 AND created_at < $2`
	insertSMSCode = `INSERT INTO mfa_sms_codes (id, org_id, user_id, purpose, phone_hash, salt, code_hash, attempts, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`
	selectLiveSMSCode = `SELECT id, org_id, user_id, purpose, phone_hash, salt, code_hash, attempts, created_at, expires_at, used_at
FROM mfa_sms_codes WHERE org_id = $1 AND user_id = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4
ORDER BY created_at DESC LIMIT 1`
	deleteSMSCode = `DELETE FROM mfa_sms_codes WHERE org_id = $1 AND id = $2`
	spendSMSCode  = `UPDATE mfa_sms_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL`
	failSMSCode   = `UPDATE mfa_sms_codes SET attempts = attempts + 1,
	used_at = CASE WHEN attempts + 1 >= $2 THEN $3 ELSE used_at END
WHERE id = $1 AND used_at IS NULL`
)

// smsCodeKeep is how long sent codes are kept: the send limits look back
// an hour; older rows go when the user is sent a new code.
const smsCodeKeep = 24 * time.Hour

type smsStore struct{ r *Repos }

// GetSMSPhone implements directory.SMSStore.
func (s smsStore) GetSMSPhone(ctx context.Context, orgID, userID string) (*directory.SMSPhone, error) {
	var p directory.SMSPhone
	err := s.r.c.Read.QueryRow(ctx, selectSMSPhone, orgID, userID).Scan(&p.OrgID, &p.UserID, &p.Phone,
		sqlbuild.ScanNullTime(&p.ConfirmedAt), sqlbuild.ScanTime(&p.UpdatedAt))
	if noRows(err) {
		return nil, notFound("phone")
	}
	if err != nil {
		return nil, s.r.fail(err)
	}
	return &p, nil
}

// PutSMSPhone implements directory.SMSStore.
func (s smsStore) PutSMSPhone(ctx context.Context, p *directory.SMSPhone) error {
	d := s.r.c.Dialect
	p.UpdatedAt = sqlbuild.UTCMicro(p.UpdatedAt)
	n, err := s.r.c.Write.Exec(ctx, upsertSMSPhone, p.UserID, p.OrgID, p.Phone, d.NullTime(p.ConfirmedAt), d.Time(p.UpdatedAt))
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("user")
	}
	return nil
}

// DeleteSMSPhone implements directory.SMSStore.
func (s smsStore) DeleteSMSPhone(ctx context.Context, orgID, userID string) error {
	_, err := s.r.c.Write.Exec(ctx, deleteSMSPhone, orgID, userID)
	return s.r.fail(err)
}

// CountSMSCodes implements directory.SMSStore.
func (s smsStore) CountSMSCodes(ctx context.Context, userID, phoneHash string, since time.Time) (byUser, byPhone int, err error) {
	err = s.r.c.Read.QueryRow(ctx, countSMSCodes, userID, phoneHash, s.r.c.Dialect.Time(since)).Scan(&byUser, &byPhone)
	return byUser, byPhone, s.r.fail(err)
}

// CreateSMSCode implements directory.SMSStore.
func (s smsStore) CreateSMSCode(ctx context.Context, c *directory.SMSCode) error {
	d := s.r.c.Dialect
	c.CreatedAt, c.ExpiresAt = sqlbuild.UTCMicro(c.CreatedAt), sqlbuild.UTCMicro(c.ExpiresAt)
	return s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, voidSMSCodes, c.OrgID, c.UserID, d.Time(c.CreatedAt)); err != nil {
			return s.r.fail(err)
		}
		if _, err := db.Exec(ctx, sweepSMSCodes, c.UserID, d.Time(c.CreatedAt.Add(-smsCodeKeep))); err != nil {
			return s.r.fail(err)
		}
		_, err := db.Exec(ctx, insertSMSCode, c.ID, c.OrgID, c.UserID, string(c.Purpose), c.PhoneHash, c.Salt, c.Hash,
			d.Time(c.CreatedAt), d.Time(c.ExpiresAt))
		return s.r.fail(err)
	})
}

// LiveSMSCode implements directory.SMSStore.
func (s smsStore) LiveSMSCode(ctx context.Context, orgID, userID string, purpose directory.SMSPurpose, at time.Time) (*directory.SMSCode, error) {
	var c directory.SMSCode
	var p string
	err := s.r.c.Read.QueryRow(ctx, selectLiveSMSCode, orgID, userID, string(purpose), s.r.c.Dialect.Time(at)).Scan(
		&c.ID, &c.OrgID, &c.UserID, &p, &c.PhoneHash, &c.Salt, &c.Hash, &c.Attempts,
		sqlbuild.ScanTime(&c.CreatedAt), sqlbuild.ScanTime(&c.ExpiresAt), sqlbuild.ScanNullTime(&c.UsedAt))
	if noRows(err) {
		return nil, notFound("code")
	}
	if err != nil {
		return nil, s.r.fail(err)
	}
	c.Purpose = directory.SMSPurpose(p)
	return &c, nil
}

// SpendSMSCode implements directory.SMSStore.
func (s smsStore) SpendSMSCode(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := s.r.c.Write.Exec(ctx, spendSMSCode, id, s.r.c.Dialect.Time(at))
	return n == 1, s.r.fail(err)
}

// FailSMSCode implements directory.SMSStore.
func (s smsStore) FailSMSCode(ctx context.Context, id string, maxAttempts int, at time.Time) error {
	_, err := s.r.c.Write.Exec(ctx, failSMSCode, id, maxAttempts, s.r.c.Dialect.Time(at))
	return s.r.fail(err)
}

// VoidSMSCodes implements directory.SMSStore.
func (s smsStore) VoidSMSCodes(ctx context.Context, orgID, userID string, at time.Time) error {
	_, err := s.r.c.Write.Exec(ctx, voidSMSCodes, orgID, userID, s.r.c.Dialect.Time(at))
	return s.r.fail(err)
}

// DeleteSMSCode implements directory.SMSStore.
func (s smsStore) DeleteSMSCode(ctx context.Context, orgID, id string) error {
	_, err := s.r.c.Write.Exec(ctx, deleteSMSCode, orgID, id)
	return s.r.fail(err)
}
