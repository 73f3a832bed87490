package directory

import (
	"context"
	"time"
)

// SessionKind says what a session row stands for.
type SessionKind string

// Session kinds.
const (
	// SessionLogin is an interactive login: a browser cookie or a bearer
	// token of an API client. It expires after hours.
	SessionLogin SessionKind = "login"
	// SessionAPIToken is a personal API token a user made for automation.
	SessionAPIToken SessionKind = "api_token"
)

// SessionStage says how far a login got. Only a full session opens the API;
// the others open the one step that remains.
type SessionStage string

// Session stages.
const (
	StageFull  SessionStage = "full"
	StageMFA   SessionStage = "mfa"   // password accepted; a TOTP or recovery code is due
	StageEnrol SessionStage = "enrol" // password accepted; the policy wants TOTP and the user has none
)

// Session is a server-side login or personal API token. Only a hash of its
// secret is stored.
type Session struct {
	ID         string
	OrgID      string
	UserID     string
	Kind       SessionKind
	Stage      SessionStage
	Name       string // personal tokens: what the user called it
	Method     string // how the user proved itself: password, totp, recovery_code, sso
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Valid reports whether the session may be used at now.
func (s *Session) Valid(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// LinkPurpose says what a one-time link lets its holder do.
type LinkPurpose string

// Link purposes.
const (
	LinkPasswordSet   LinkPurpose = "password_set"   // an invitation: choose a first password
	LinkPasswordReset LinkPurpose = "password_reset" // choose a new password
)

// Link is a one-time link sent by email. Only a hash of its secret is stored;
// it expires and works once.
type Link struct {
	ID         string
	OrgID      string
	UserID     string
	Purpose    LinkPurpose
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
}

// MFAState is a user's second factor.
type MFAState struct {
	OrgID  string
	UserID string
	// TOTPSecret is the sealed, confirmed TOTP seed; "" means not enrolled.
	TOTPSecret string
	// PendingSecret is a sealed seed waiting for its first code.
	PendingSecret string
	// LastStep is the last TOTP step spent; a code of that step or an
	// earlier one is refused.
	LastStep int64
	// Required is set by an admin: the user must use TOTP whatever the
	// organization's policy.
	Required   bool
	EnrolledAt *time.Time
	UpdatedAt  time.Time
	// RecoveryCodesLeft is read, never written: the unused recovery codes.
	RecoveryCodesLeft int
}

// Enrolled reports whether the user has a confirmed TOTP seed.
func (m *MFAState) Enrolled() bool { return m.TOTPSecret != "" }

// OIDCSettings are an organization's single sign-on provider.
type OIDCSettings struct {
	OrgID    string
	Issuer   string
	ClientID string
	// ClientSecret is sealed; the API never returns it.
	ClientSecret string
	Enabled      bool
	UpdatedAt    time.Time
}

// AuthRepos gathers the stores of logins: sessions, links, second factors
// and single sign-on settings.
type AuthRepos interface {
	Sessions() SessionStore
	Links() LinkStore
	MFA() MFAStore
	OIDC() OIDCStore
	// SMS holds the phone numbers and codes of the SMS factor (sms.go).
	SMS() SMSStore
	Passkeys() PasskeyStore
}

// SessionStore persists sessions and personal API tokens.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByHash finds a session by the hash of its secret, across
	// organizations (authentication); none is CodeNotFound.
	GetSessionByHash(ctx context.Context, hash string) (*Session, error)
	// TouchSession records when a session was last used.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// PromoteSession moves a live session from one stage to another,
	// records the method that completed it and its new expiry; a session
	// no longer at stage `from` is ErrStale, so that one code completes one
	// login.
	PromoteSession(ctx context.Context, id string, from, to SessionStage, method string, expires time.Time) error
	// RevokeSession revokes one session of the organization; an id of
	// another organization is CodeNotFound. Revoking twice is no error.
	RevokeSession(ctx context.Context, orgID, id string, at time.Time) error
	// RevokeUserSessions revokes every live session (and, if tokens, every
	// personal token) of a user and returns how many it revoked.
	RevokeUserSessions(ctx context.Context, orgID, userID string, tokens bool, at time.Time) (int, error)
	// ListSessions lists a user's sessions of one kind that are neither
	// revoked nor expired at `at`, newest first.
	ListSessions(ctx context.Context, orgID, userID string, kind SessionKind, at time.Time) ([]*Session, error)
}

// LinkStore persists one-time links.
type LinkStore interface {
	CreateLink(ctx context.Context, l *Link) error
	// GetLink finds a link by the hash of its secret, used or not; none is
	// CodeNotFound.
	GetLink(ctx context.Context, hash string) (*Link, error)
	// ConsumeLink marks the link with this hash used, if it is unused and
	// not expired at `at`, and returns it; any other link is CodeNotFound.
	// Two concurrent calls never both succeed.
	ConsumeLink(ctx context.Context, hash string, at time.Time) (*Link, error)
	// InvalidateLinks spends every unused link of a user, so that a new
	// invitation or reset voids the older ones.
	InvalidateLinks(ctx context.Context, orgID, userID string, at time.Time) error
}

// MFAStore persists second factors.
type MFAStore interface {
	// GetMFA returns the user's state; a user without one gets a zero
	// state (with OrgID and UserID set), not an error.
	GetMFA(ctx context.Context, orgID, userID string) (*MFAState, error)
	// PutMFA writes the seeds, LastStep, Required, EnrolledAt and UpdatedAt.
	PutMFA(ctx context.Context, m *MFAState) error
	// AdvanceTOTPStep spends step if it is later than the last spent one
	// and reports whether it did; concurrent replays of one code get one
	// true between them.
	AdvanceTOTPStep(ctx context.Context, orgID, userID string, step int64) (bool, error)
	// ReplaceRecoveryCodes drops the user's recovery codes and stores these
	// hashes.
	ReplaceRecoveryCodes(ctx context.Context, orgID, userID string, hashes []string, at time.Time) error
	// ConsumeRecoveryCode spends the unused code with this hash and reports
	// whether there was one.
	ConsumeRecoveryCode(ctx context.Context, orgID, userID, hash string, at time.Time) (bool, error)
}

// OIDCStore persists single sign-on settings.
type OIDCStore interface {
	// GetOIDC returns the organization's settings; none is CodeNotFound.
	GetOIDC(ctx context.Context, orgID string) (*OIDCSettings, error)
	PutOIDC(ctx context.Context, s *OIDCSettings) error
	DeleteOIDC(ctx context.Context, orgID string) error
}
