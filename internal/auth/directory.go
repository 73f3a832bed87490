package auth

import (
	"context"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Directory is what logins need of the directory service: finding the
// user, counting wrong passwords, sessions, second factors and one-time
// links. *directory.Service is one.
type Directory interface {
	GetOrg(ctx context.Context, id string) (*directory.Org, error)
	GetOIDC(ctx context.Context, orgID string) (*directory.OIDCSettings, error)
	ResolveLoginOrg(ctx context.Context, slug, email string) (*directory.Org, error)
	FindUserByEmail(ctx context.Context, orgID, email string) (*directory.User, error)
	FindUserByUserName(ctx context.Context, orgID, userName string) (*directory.User, error)
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
	UpdateUser(ctx context.Context, actor directory.Actor, orgID, id string, ifVersion int64, mutate func(*directory.User) error) (*directory.User, error)
	UpgradePasswordHash(ctx context.Context, orgID, userID, oldHash, newHash string) error
	RecordFailedLogin(ctx context.Context, orgID, userID string, factor directory.LoginFactor) (*directory.User, bool, error)

	StartSession(ctx context.Context, sess *directory.Session) error
	AuthenticateSession(ctx context.Context, hash string) (*directory.Session, *directory.User, error)
	CompleteSession(ctx context.Context, sess *directory.Session, from directory.SessionStage, method string, expires time.Time) error
	EndSession(ctx context.Context, orgID, userID, id string) error

	GetMFA(ctx context.Context, orgID, userID string) (*directory.MFAState, error)
	StartTOTPEnrolment(ctx context.Context, orgID, userID, sealedSeed string) error
	ConfirmTOTP(ctx context.Context, actor directory.Actor, orgID, userID, sealedSeed string, step int64, recoveryHashes []string) error
	SpendTOTPStep(ctx context.Context, orgID, userID string, step int64) (bool, error)
	UseRecoveryCode(ctx context.Context, orgID, userID, hash string) (bool, error)
	ReplaceRecoveryCodes(ctx context.Context, actor directory.Actor, orgID, userID, via string, hashes []string) error

	// SMS codes (sms.go).
	GetSMSPhone(ctx context.Context, orgID, userID string) (*directory.SMSPhone, error)
	IssueSMSCode(ctx context.Context, orgID, userID string, purpose directory.SMSPurpose, phone, salt, hash string) (*directory.SMSSend, error)
	WithdrawSMSCode(ctx context.Context, orgID, userID string, send *directory.SMSSend, purpose directory.SMSPurpose) error
	CheckSMSCode(ctx context.Context, orgID, userID string, purpose directory.SMSPurpose, match func(salt, hash string) bool, recoveryHashes []string) (directory.SMSCodeResult, bool, error)
	GetUser(ctx context.Context, orgID, id string) (*directory.User, error)
	ListPasskeys(ctx context.Context, orgID, userID string) ([]*directory.Passkey, error)
	FindPasskey(ctx context.Context, credentialID []byte) (*directory.Passkey, error)
	AddPasskey(ctx context.Context, actor directory.Actor, p *directory.Passkey, recoveryHashes []string) (bool, error)
	RenamePasskey(ctx context.Context, actor directory.Actor, orgID, userID, id, name string) (*directory.Passkey, error)
	RemovePasskey(ctx context.Context, actor directory.Actor, orgID, userID, id string) error
	RecordPasskeyUse(ctx context.Context, p *directory.Passkey, newCount uint32) (bool, error)
	ReportClonedPasskey(ctx context.Context, p *directory.Passkey) error
	StartPasskeyCeremony(ctx context.Context, c *directory.PasskeyCeremony) error
	TakePasskeyCeremony(ctx context.Context, challenge string, kind directory.CeremonyKind, orgID, sessionID string) (*directory.PasskeyCeremony, error)

	CreateLink(ctx context.Context, actor directory.Actor, l *directory.Link) error
	PeekLink(ctx context.Context, hash string) (*directory.Link, *directory.User, *directory.Org, error)
	UsePasswordLink(ctx context.Context, hash, passwordHash string) (*directory.User, error)
}

var _ Directory = (*directory.Service)(nil)
