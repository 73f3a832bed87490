package sqlstore

import (
	"context"
	"fmt"

	"github.com/roster/roster/internal/directory"
)

// Sealed implements directory.Repos.
func (r *Repos) Sealed() directory.SealedStore { return sealedStore{r} }

// sealedColumn is where one kind of sealed value lives. Text columns hold
// the text form of a sealed value; connector secrets are bytes.
type sealedColumn struct {
	list, replace string
	text          bool
}

var sealedColumns = map[directory.SealedKind]sealedColumn{
	directory.SealedTOTPSeed: {
		list: `SELECT org_id, user_id, totp_secret FROM auth_mfa
WHERE user_id > $1 AND totp_secret <> '' ORDER BY user_id LIMIT $2`,
		replace: `UPDATE auth_mfa SET totp_secret = $4 WHERE org_id = $1 AND user_id = $2 AND totp_secret = $3`,
		text:    true,
	},
	directory.SealedTOTPPendingSeed: {
		list: `SELECT org_id, user_id, pending_secret FROM auth_mfa
WHERE user_id > $1 AND pending_secret <> '' ORDER BY user_id LIMIT $2`,
		replace: `UPDATE auth_mfa SET pending_secret = $4 WHERE org_id = $1 AND user_id = $2 AND pending_secret = $3`,
		text:    true,
	},
	directory.SealedSSOClientSecret: {
		list: `SELECT org_id, org_id, client_secret FROM auth_oidc
WHERE org_id > $1 AND client_secret <> '' ORDER BY org_id LIMIT $2`,
		replace: `UPDATE auth_oidc SET client_secret = $4 WHERE org_id = $1 AND org_id = $2 AND client_secret = $3`,
		text:    true,
	},
	directory.SealedConnectorSecrets: {
		list: `SELECT org_id, id, secrets FROM sync_connectors
WHERE id > $1 AND length(secrets) > 0 ORDER BY id LIMIT $2`,
		replace: `UPDATE sync_connectors SET secrets = $4 WHERE org_id = $1 AND id = $2 AND secrets = $3`,
	},
}

type sealedStore struct{ r *Repos }

func sealedColumnOf(kind directory.SealedKind) (sealedColumn, error) {
	c, ok := sealedColumns[kind]
	if !ok {
		return c, fmt.Errorf("sqlstore: no sealed values of kind %q", kind)
	}
	return c, nil
}

// SealedValues implements directory.SealedStore.
func (s sealedStore) SealedValues(ctx context.Context, kind directory.SealedKind, after string, limit int) ([]directory.SealedValue, error) {
	c, err := sealedColumnOf(kind)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.c.Read.Query(ctx, c.list, after, limit)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []directory.SealedValue
	for rows.Next() {
		v := directory.SealedValue{Kind: kind}
		if c.text {
			var text string
			err = rows.Scan(&v.OrgID, &v.ID, &text)
			v.Value = []byte(text)
		} else {
			err = rows.Scan(&v.OrgID, &v.ID, &v.Value)
		}
		if err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, v)
	}
	return out, s.r.fail(rows.Err())
}

// ReplaceSealed implements directory.SealedStore.
func (s sealedStore) ReplaceSealed(ctx context.Context, v directory.SealedValue, value []byte) (bool, error) {
	c, err := sealedColumnOf(v.Kind)
	if err != nil {
		return false, err
	}
	var old, next any = v.Value, value
	if c.text {
		old, next = string(v.Value), string(value)
	}
	n, err := s.r.c.Write.Exec(ctx, c.replace, v.OrgID, v.ID, old, next)
	return n == 1, s.r.fail(err)
}
