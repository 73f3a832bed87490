package directory

import (
	"context"
	"strings"
	"time"
)

// tokenTouchInterval limits how often a token's last-used time is written:
// a busy IdP should not turn every request into a write.
const tokenTouchInterval = time.Minute

// CreateToken creates a SCIM token for an organization and returns its
// plaintext, which is never stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, actor Actor, orgID, name string) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", nil, FieldErrorf(CodeInvalid, "name", "a token needs a name of 1-200 characters")
	}
	if err := CheckText("name", name); err != nil {
		return "", nil, err
	}
	t := &Token{ID: NewID(), OrgID: orgID, Kind: TokenSCIM, Name: name, CreatedBy: describeActor(actor), CreatedAt: s.Now()}
	plaintext, hash, err := NewTokenSecret(t.ID)
	if err != nil {
		return "", nil, err
	}
	t.SecretHash = hash
	err = s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.Orgs().GetOrg(ctx, orgID); err != nil {
			return err
		}
		if err := r.Tokens().CreateToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "token.create", "token", t.ID, map[string]Change{"name": {After: name}, "kind": {After: t.Kind}})
	})
	if err != nil {
		return "", nil, err
	}
	return plaintext, t, nil
}

// ListTokens lists an organization's tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, orgID string) ([]*Token, error) {
	return s.store.Tokens().ListTokens(ctx, orgID)
}

// RevokeToken revokes a token at once; requests bearing it fail from then on.
func (s *Service) RevokeToken(ctx context.Context, actor Actor, orgID, id string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		t, err := r.Tokens().GetToken(ctx, id)
		if err != nil || t.OrgID != orgID {
			return Errorf(CodeNotFound, "token %s not found", id)
		}
		if t.Revoked() {
			return nil
		}
		if err := r.Tokens().RevokeToken(ctx, orgID, id, s.Now()); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "token.revoke", "token", id, map[string]Change{"revoked": {Before: false, After: true}})
	})
}

// AuthenticateToken checks a bearer token and returns it. Every failure is
// the same CodeUnauthorized, so that a caller learns nothing about which
// part was wrong.
func (s *Service) AuthenticateToken(ctx context.Context, kind TokenKind, plaintext string) (*Token, error) {
	unauthorized := Errorf(CodeUnauthorized, "invalid or revoked token")
	id, secret, ok := ParseToken(plaintext)
	if !ok {
		return nil, unauthorized
	}
	t, err := s.store.Tokens().GetToken(ctx, id)
	if err != nil {
		if IsCode(err, CodeNotFound) {
			return nil, unauthorized
		}
		return nil, err
	}
	if !t.Matches(secret) || t.Revoked() || t.Kind != kind {
		return nil, unauthorized
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > tokenTouchInterval {
		if err := s.store.Tokens().TouchToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
		t.LastUsedAt = &now
	}
	return t, nil
}

// TokenActor is the audit actor for requests made with t.
func TokenActor(t *Token) Actor {
	return Actor{Kind: ActorToken, ID: t.ID, Name: t.Name, Source: SourceSCIM}
}

func describeActor(a Actor) string {
	switch {
	case a.Name != "" && a.ID != "":
		return string(a.Kind) + ":" + a.Name + " (" + a.ID + ")"
	case a.Name != "":
		return string(a.Kind) + ":" + a.Name
	case a.ID != "":
		return string(a.Kind) + ":" + a.ID
	}
	return string(a.Kind)
}
