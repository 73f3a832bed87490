package directory

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Passkey is a user's WebAuthn credential: a passkey on a phone or
// computer, or a security key. Roster keeps its public key and counter;
// the private key never leaves the authenticator.
type Passkey struct {
	ID     string
	OrgID  string
	UserID string
	// CredentialID is the authenticator's id of the credential, unique
	// across organizations.
	CredentialID []byte
	// PublicKey is the COSE public key that checks assertions.
	PublicKey []byte
	// SignCount is the authenticator's signature counter at the last use;
	// a later assertion with a lower one (not both zero) betrays a clone.
	SignCount uint32
	// Transports are how the browser reaches the authenticator (usb, nfc,
	// ble, internal, hybrid).
	Transports []string
	// AAGUID names the authenticator's model (all zero when not told).
	AAGUID []byte
	// Flags are the credential flags the authenticator reported at
	// registration (user present/verified, backup eligible, backed up),
	// as one byte.
	Flags           byte
	AttestationType string
	// Name is what the user called it ("YubiKey 5", "work laptop").
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// Limits of passkeys.
const (
	// MaxPasskeys is how many passkeys one user may register.
	MaxPasskeys = 20
	// MaxPasskeyName is the longest name of a passkey, in characters.
	MaxPasskeyName = 100
)

// CheckPasskeyName trims a passkey's name and checks it: 1-100 characters
// of text without control characters.
func CheckPasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if err := CheckText("name", name); err != nil {
		return "", err
	}
	if name == "" || utf8.RuneCountInString(name) > MaxPasskeyName {
		return "", FieldErrorf(CodeInvalid, "name", "a passkey needs a name of 1-%d characters", MaxPasskeyName)
	}
	return name, nil
}

// CeremonyKind says what a WebAuthn ceremony is for.
type CeremonyKind string

// Ceremony kinds.
const (
	// CeremonyRegister adds a passkey to the user of a session.
	CeremonyRegister CeremonyKind = "register"
	// CeremonyMFA proves the second factor of a login waiting at StageMFA.
	CeremonyMFA CeremonyKind = "mfa"
	// CeremonyPasswordless signs in with a passkey alone; it starts
	// before anyone is known, so it is bound to an organization only.
	CeremonyPasswordless CeremonyKind = "passwordless"
	// CeremonyReauth proves a passkey again within a full session: for
	// new recovery codes.
	CeremonyReauth CeremonyKind = "reauth"
)

// PasskeyCeremony is a WebAuthn challenge waiting for the authenticator's
// answer: short-lived and single use.
type PasskeyCeremony struct {
	// Challenge is the random challenge (base64url) the browser signs; it
	// finds the ceremony again when the answer comes back.
	Challenge string
	OrgID     string
	// UserID and SessionID bind a registration or second-factor ceremony
	// to the login that started it; both are "" for a passwordless one.
	UserID    string
	SessionID string
	Kind      CeremonyKind
	// Data is the relying party's session data (JSON), opaque to the
	// store.
	Data      []byte
	ExpiresAt time.Time
}

// PasskeyStore persists passkeys and their ceremonies.
type PasskeyStore interface {
	// ListPasskeys lists a user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, orgID, userID string) ([]*Passkey, error)
	// GetPasskeyByCredential finds a passkey by its credential id, in any
	// organization; none is CodeNotFound.
	GetPasskeyByCredential(ctx context.Context, credentialID []byte) (*Passkey, error)
	// CreatePasskey stores a new passkey; a credential id registered
	// already (by anyone) is CodeConflict.
	CreatePasskey(ctx context.Context, p *Passkey) error
	// RenamePasskey renames one of a user's passkeys; another user's or
	// organization's is CodeNotFound.
	RenamePasskey(ctx context.Context, orgID, userID, id, name string) error
	// DeletePasskey removes one of a user's passkeys; another user's or
	// organization's is CodeNotFound.
	DeletePasskey(ctx context.Context, orgID, userID, id string) error
	// DeleteUserPasskeys removes every passkey of a user and returns how
	// many there were.
	DeleteUserPasskeys(ctx context.Context, orgID, userID string) (int, error)
	// RecordPasskeyUse stores a passkey's new counter and last use, if
	// its counter is still old (a concurrent use of a cloned key loses):
	// it reports whether it did.
	RecordPasskeyUse(ctx context.Context, orgID, id string, oldCount, newCount uint32, at time.Time) (bool, error)

	// PutCeremony stores a ceremony and sweeps those expired at `at`.
	PutCeremony(ctx context.Context, c *PasskeyCeremony, at time.Time) error
	// TakeCeremony deletes and returns the live ceremony of this challenge
	// if it has this kind, organization and session (userID and sessionID
	// "" for a passwordless one); anything else is CodeNotFound and
	// deletes nothing. Two concurrent calls never both get it.
	TakeCeremony(ctx context.Context, challenge string, kind CeremonyKind, orgID, sessionID string, at time.Time) (*PasskeyCeremony, error)
}
