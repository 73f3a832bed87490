package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// SMS codes as a second factor: one phone number per user, confirmed by a
// first code, and short-lived single-use codes texted to it.
const (
	// SMSCodeTTL is how long a texted code works.
	SMSCodeTTL = 5 * time.Minute
	// SMSSendsPerHour is how many codes one user, and one phone number
	// whoever asks, may be sent in an hour (counted in the database, so
	// across replicas).
	SMSSendsPerHour = 5
	// SMSCodeAttempts is how many wrong tries void a code (each also
	// counts toward the user's lockout, like a wrong TOTP code).
	SMSCodeAttempts = 5
)

// SMSPurpose says what a texted code is for.
type SMSPurpose string

// SMS code purposes.
const (
	SMSEnrol SMSPurpose = "enrol" // confirms the phone number
	SMSLogin SMSPurpose = "login" // completes a login at StageMFA
	// SMSReauth proves the phone again within a full session: for new
	// recovery codes.
	SMSReauth SMSPurpose = "reauth"
)

// SMSPhone is the phone number a user receives its codes on.
type SMSPhone struct {
	OrgID  string
	UserID string
	// Phone is in E.164 form.
	Phone string
	// ConfirmedAt is set once a code sent to Phone came back: the SMS
	// factor is enrolled.
	ConfirmedAt *time.Time
	UpdatedAt   time.Time
}

// Enrolled reports whether the phone is confirmed.
func (p *SMSPhone) Enrolled() bool { return p != nil && p.ConfirmedAt != nil }

// SMSCode is a code sent by text message. Only a salted hash of the code
// is kept, and a hash of the number it went to.
type SMSCode struct {
	ID        string
	OrgID     string
	UserID    string
	Purpose   SMSPurpose
	PhoneHash string
	Salt      string
	Hash      string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// SMSStore persists phone numbers and codes of the SMS factor.
type SMSStore interface {
	// GetSMSPhone returns the user's phone; none is CodeNotFound.
	GetSMSPhone(ctx context.Context, orgID, userID string) (*SMSPhone, error)
	// PutSMSPhone stores the user's phone (one per user); a user of
	// another organization is CodeNotFound.
	PutSMSPhone(ctx context.Context, p *SMSPhone) error
	// DeleteSMSPhone removes the user's phone, if any.
	DeleteSMSPhone(ctx context.Context, orgID, userID string) error
	// CountSMSCodes counts the codes created since `since` for the user,
	// and for the phone hash whoever they were for.
	CountSMSCodes(ctx context.Context, userID, phoneHash string, since time.Time) (byUser, byPhone int, err error)
	// CreateSMSCode voids the user's live codes, drops its codes older
	// than a day, and stores c.
	CreateSMSCode(ctx context.Context, c *SMSCode) error
	// LiveSMSCode returns the user's newest code of the purpose that is
	// unused and unexpired at `at`; none is CodeNotFound.
	LiveSMSCode(ctx context.Context, orgID, userID string, purpose SMSPurpose, at time.Time) (*SMSCode, error)
	// SpendSMSCode marks the code used if it was not, and reports whether
	// it did: two concurrent spends get one true between them.
	SpendSMSCode(ctx context.Context, id string, at time.Time) (bool, error)
	// FailSMSCode counts a wrong try of the code, and voids it at
	// maxAttempts.
	FailSMSCode(ctx context.Context, id string, maxAttempts int, at time.Time) error
	// DeleteSMSCode removes a code the provider would not send: it no
	// longer counts toward the send limits and cannot be used. A code of
	// another organization is left alone.
	DeleteSMSCode(ctx context.Context, orgID, id string) error
	// VoidSMSCodes voids every live code of the user.
	VoidSMSCodes(ctx context.Context, orgID, userID string, at time.Time) error
}

// PhoneHash is the hash of an E.164 number the send limits count by.
func PhoneHash(e164 string) string {
	sum := sha256.Sum256([]byte("roster-sms-phone:" + e164))
	return hex.EncodeToString(sum[:])
}

// MaskPhone shows an E.164 number as much as audit and pages may: the
// country code and the last four digits (+44 •••• ••12 34).
func MaskPhone(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 7 {
		return "••••"
	}
	cc := ""
	if n, err := phonenumbers.Parse(e164, ""); err == nil {
		cc = "+" + strconv.Itoa(int(n.GetCountryCode()))
	}
	if cc == "" || len(cc)-1 >= len(digits)-4 {
		cc = "+"
	}
	last := digits[len(digits)-4:]
	return strings.TrimSpace(cc + " •••• ••" + last[:2] + " " + last[2:])
}
