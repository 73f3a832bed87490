package auth

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
)

// IssueLink makes a one-time link secret for u (an invitation or a reset),
// stores its hash, and returns the secret to put in the emailed URL, with
// its expiry. Earlier links of the user stop working.
func (a *Authenticator) IssueLink(ctx context.Context, actor directory.Actor, u *directory.User, purpose directory.LinkPurpose) (string, time.Time, error) {
	ttl := a.cfg.ResetTTL
	if purpose == directory.LinkPasswordSet {
		ttl = a.cfg.InviteTTL
	}
	token, hash, err := NewSecret(PrefixLink)
	if err != nil {
		return "", time.Time{}, directory.Internal(err)
	}
	l := &directory.Link{OrgID: u.OrgID, UserID: u.ID, Purpose: purpose, SecretHash: hash, ExpiresAt: a.cfg.Now().Add(ttl)}
	if err := a.cfg.Directory.CreateLink(ctx, actor, l); err != nil {
		return "", time.Time{}, err
	}
	return token, l.ExpiresAt, nil
}

// UseLink sets a password through a one-time link: the password must meet
// the organization's policy; the link then works no more.
func (a *Authenticator) UseLink(ctx context.Context, token, password string) (*directory.User, error) {
	hash := HashSecret(token)
	_, _, org, err := a.cfg.Directory.PeekLink(ctx, hash)
	if err != nil {
		return nil, err
	}
	if err := CheckPasswordPolicy(password, org.Settings.PasswordPolicy); err != nil {
		return nil, err
	}
	// Hashing is slow on purpose; it happens before the transaction that
	// spends the link, so that it holds no lock.
	pw, err := HashPassword(password, a.cfg.Params)
	if err != nil {
		return nil, directory.Internal(err)
	}
	return a.cfg.Directory.UsePasswordLink(ctx, hash, pw)
}
