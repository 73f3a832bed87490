package directory

import "context"

// SealedKind names a place where secrets are stored sealed under the
// encryption key (see internal/seal).
type SealedKind string

// The sealed kinds. Each value is sealed for the row named by
// SealedValue.ID: TOTP seeds for their user, the single sign-on client
// secret for its organization, connector secrets for their connector.
const (
	SealedTOTPSeed         SealedKind = "totp_seed"         // a user's enrolled TOTP seed
	SealedTOTPPendingSeed  SealedKind = "totp_pending_seed" // a seed being enrolled
	SealedSSOClientSecret  SealedKind = "sso_client_secret" // #nosec G101 -- the name of a kind, an organization's OIDC client secret
	SealedConnectorSecrets SealedKind = "connector_secrets" // a directory connector's secrets
)

// SealedKinds lists every kind, in the order a re-seal walks them.
var SealedKinds = []SealedKind{SealedTOTPSeed, SealedTOTPPendingSeed, SealedSSOClientSecret, SealedConnectorSecrets}

// SealedValue is one stored sealed secret.
type SealedValue struct {
	Kind  SealedKind
	OrgID string
	// ID is the row the value is sealed for: the user (TOTP seeds), the
	// organization (single sign-on) or the connector.
	ID    string
	Value []byte
}

// SealedStore reads and replaces sealed secrets across organizations, for
// the operator's key rotation.
type SealedStore interface {
	// SealedValues lists the non-empty values of a kind whose ID sorts
	// after `after`, in ID order, at most limit of them.
	SealedValues(ctx context.Context, kind SealedKind, after string, limit int) ([]SealedValue, error)
	// ReplaceSealed writes value in v's place if v.Value is still there,
	// and reports whether it was.
	ReplaceSealed(ctx context.Context, v SealedValue, value []byte) (bool, error)
}
