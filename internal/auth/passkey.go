package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/roster/roster/internal/directory"
)

// PasskeyCeremonyTTL is how long a WebAuthn challenge waits for the
// authenticator's answer.
const PasskeyCeremonyTTL = 5 * time.Minute

// maxCredentialBytes bounds the JSON of one authenticator answer: real ones
// are a few kilobytes (attestation certificates included).
const maxCredentialBytes = 64 << 10

// errBadPasskey is every failed passkey sign-in step.
var errBadPasskey = directory.Errorf(directory.CodeUnauthorized, "the passkey was not accepted")

// NewWebAuthn makes the relying party of passkeys. Its id (the domain
// passkeys are bound to) is rpID, or else the host of publicURL; the
// origins browsers may answer from are origins, or else publicURL's
// scheme://host. WebAuthn needs a domain: a public URL on an IP address
// without an rpID is an error.
func NewWebAuthn(publicURL, rpID string, origins []string, displayName string) (*webauthn.WebAuthn, error) {
	pub, err := url.Parse(publicURL)
	if err != nil || pub.Scheme == "" || pub.Host == "" {
		return nil, fmt.Errorf("passkeys: public URL %q is not an absolute URL", publicURL)
	}
	if rpID == "" {
		rpID = pub.Hostname()
		if net.ParseIP(rpID) != nil {
			return nil, fmt.Errorf("passkeys: the public URL's host %s is an IP address; passkeys need a domain name (set the relying party id)", rpID)
		}
	}
	if len(origins) == 0 {
		origins = []string{pub.Scheme + "://" + pub.Host}
	}
	if displayName == "" {
		displayName = "Roster"
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: rpID, RPDisplayName: displayName, RPOrigins: origins,
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: PasskeyCeremonyTTL, TimeoutUVD: PasskeyCeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: PasskeyCeremonyTTL, TimeoutUVD: PasskeyCeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return wa, nil
}

// passkeyUser is a user as the WebAuthn library sees it: its user handle
// is the user's id.
type passkeyUser struct {
	u    *directory.User
	keys []*directory.Passkey
}

func (p passkeyUser) WebAuthnID() []byte   { return []byte(p.u.ID) }
func (p passkeyUser) WebAuthnName() string { return p.u.UserName }
func (p passkeyUser) WebAuthnDisplayName() string {
	if p.u.DisplayName != "" {
		return p.u.DisplayName
	}
	return p.u.UserName
}

func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(p.keys))
	for i, k := range p.keys {
		out[i] = credentialOf(k)
	}
	return out
}

// find returns the user's passkey of a credential id, or nil.
func (p passkeyUser) find(id []byte) *directory.Passkey {
	for _, k := range p.keys {
		if bytes.Equal(k.CredentialID, id) {
			return k
		}
	}
	return nil
}

func credentialOf(k *directory.Passkey) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(k.Transports))
	for i, t := range k.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, Transport: transports,
		Flags:         webauthn.CredentialFlagsFromMsgpByte(k.Flags),
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
	}
}

func passkeyOf(c *webauthn.Credential) *directory.Passkey {
	transports := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		transports[i] = string(t)
	}
	return &directory.Passkey{
		CredentialID: c.ID, PublicKey: c.PublicKey, SignCount: c.Authenticator.SignCount, Transports: transports,
		AAGUID: c.Authenticator.AAGUID, Flags: c.Flags.MsgpByte(), AttestationType: c.AttestationType,
	}
}

// passkeysOn checks that this server has a relying party and u's
// organization allows passkeys, and returns the organization.
func (a *Authenticator) passkeysOn(ctx context.Context, u *directory.User) (*directory.Org, error) {
	if a.cfg.WebAuthn == nil {
		return nil, directory.Errorf(directory.CodeNotFound, "passkeys are not set up on this server")
	}
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	if !org.Settings.Allows(directory.FactorPasskey) {
		return nil, directory.Errorf(directory.CodeForbidden, "your organization does not allow passkeys")
	}
	if u.AuthMethod == directory.AuthSSO {
		return nil, directory.Errorf(directory.CodeForbidden, "single sign-on users sign in at their identity provider")
	}
	return org, nil
}

// PasskeysEnabled reports whether this server can use passkeys at all.
func (a *Authenticator) PasskeysEnabled() bool { return a.cfg.WebAuthn != nil }

// startCeremony stores the session data of a ceremony just begun.
func (a *Authenticator) startCeremony(ctx context.Context, kind directory.CeremonyKind, orgID, userID, sessionID string, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return directory.Internal(err)
	}
	return a.cfg.Directory.StartPasskeyCeremony(ctx, &directory.PasskeyCeremony{
		Challenge: sd.Challenge, OrgID: orgID, UserID: userID, SessionID: sessionID, Kind: kind, Data: data,
		ExpiresAt: a.cfg.Now().Add(PasskeyCeremonyTTL),
	})
}

// takeCeremony spends the ceremony whose challenge the browser signed.
func (a *Authenticator) takeCeremony(ctx context.Context, challenge string, kind directory.CeremonyKind, orgID, sessionID string) (*directory.PasskeyCeremony, *webauthn.SessionData, error) {
	c, err := a.cfg.Directory.TakePasskeyCeremony(ctx, challenge, kind, orgID, sessionID)
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, nil, directory.Errorf(directory.CodeInvalid, "the passkey challenge is unknown, used or expired; start again")
	}
	if err != nil {
		return nil, nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, directory.Internal(fmt.Errorf("passkey ceremony data: %w", err))
	}
	return c, &sd, nil
}

// protocolDetail is what a WebAuthn error says went wrong (the origin, the
// challenge, a signature), without any key material.
func protocolDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		return pe.Details
	}
	return "the answer of the authenticator is not valid"
}

// BeginPasskeyRegistration starts registering a new passkey of u: the
// options to hand to navigator.credentials.create. It works for a full
// session and for a login waiting at StageEnrol.
func (a *Authenticator) BeginPasskeyRegistration(ctx context.Context, sess *directory.Session, u *directory.User) (*protocol.CredentialCreation, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	if _, err := a.passkeysOn(ctx, u); err != nil {
		return nil, err
	}
	keys, err := a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) >= directory.MaxPasskeys {
		return nil, directory.Errorf(directory.CodeInvalid, "you have %d passkeys, the most there may be; remove one first", len(keys))
	}
	pu := passkeyUser{u: u, keys: keys}
	creation, sd, err := a.cfg.WebAuthn.BeginRegistration(pu,
		webauthn.WithExclusions(webauthn.Credentials(pu.WebAuthnCredentials()).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
	)
	if err != nil {
		return nil, directory.Internal(err)
	}
	if err := a.startCeremony(ctx, directory.CeremonyRegister, u.OrgID, u.ID, sess.ID, sd); err != nil {
		return nil, err
	}
	return creation, nil
}

// FinishPasskeyRegistration checks the authenticator's answer (the JSON of
// the PublicKeyCredential) to a registration this session began, and
// stores the passkey under name. A user without recovery codes (a passkey
// as its first second factor) gets fresh ones, returned to show once, as
// a TOTP or SMS enrolment gives them; one that has some keeps them and
// gets none. A login waiting at StageEnrol becomes full.
func (a *Authenticator) FinishPasskeyRegistration(ctx context.Context, sess *directory.Session, u *directory.User, name string, credential []byte) (*directory.Passkey, []string, error) {
	if sess.Stage != directory.StageFull && sess.Stage != directory.StageEnrol {
		return nil, nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	name, err := directory.CheckPasskeyName(name)
	if err != nil {
		return nil, nil, err
	}
	if _, err := a.passkeysOn(ctx, u); err != nil {
		return nil, nil, err
	}
	if len(credential) > maxCredentialBytes {
		return nil, nil, directory.FieldErrorf(directory.CodeInvalid, "credential", "the credential is too large")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, nil, directory.FieldErrorf(directory.CodeInvalid, "credential", "the credential is not a WebAuthn registration: %s", protocolDetail(err))
	}
	c, sd, err := a.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, directory.CeremonyRegister, u.OrgID, sess.ID)
	if err != nil {
		return nil, nil, err
	}
	if c.UserID != u.ID {
		return nil, nil, directory.Errorf(directory.CodeInvalid, "the passkey challenge is unknown, used or expired; start again")
	}
	keys, err := a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	cred, err := a.cfg.WebAuthn.CreateCredential(passkeyUser{u: u, keys: keys}, *sd, parsed)
	if err != nil {
		return nil, nil, directory.FieldErrorf(directory.CodeInvalid, "credential", "the passkey could not be verified: %s", protocolDetail(err))
	}
	p := passkeyOf(cred)
	p.OrgID, p.UserID, p.Name = u.OrgID, u.ID, name
	codes, hashes, err := recoveryCodeSet()
	if err != nil {
		return nil, nil, err
	}
	actor := directory.Actor{Kind: directory.ActorUser, ID: u.ID, Name: u.UserName, SessionID: sess.ID}
	fresh, err := a.cfg.Directory.AddPasskey(ctx, actor, p, hashes)
	if err != nil {
		return nil, nil, err
	}
	if sess.Stage == directory.StageEnrol {
		if err := a.complete(ctx, sess, directory.StageEnrol, "passkey"); err != nil {
			return nil, nil, err
		}
	}
	if !fresh {
		codes = nil
	}
	return p, codes, nil
}

// BeginPasskeyLogin starts the second step of a login waiting at StageMFA
// with one of the user's passkeys: the options to hand to
// navigator.credentials.get.
func (a *Authenticator) BeginPasskeyLogin(ctx context.Context, sess *directory.Session, u *directory.User) (*protocol.CredentialAssertion, error) {
	if sess.Stage != directory.StageMFA {
		return nil, directory.Errorf(directory.CodeInvalid, "this session is not waiting for a second factor")
	}
	return a.beginAssertion(ctx, sess, u, directory.CeremonyMFA)
}

// BeginRecoveryPasskey starts proving one of u's passkeys again within a
// full session, for new recovery codes (see NewRecoveryCodesFor).
func (a *Authenticator) BeginRecoveryPasskey(ctx context.Context, sess *directory.Session, u *directory.User) (*protocol.CredentialAssertion, error) {
	if sess.Stage != directory.StageFull {
		return nil, directory.Errorf(directory.CodeForbidden, "finish logging in first")
	}
	return a.beginAssertion(ctx, sess, u, directory.CeremonyReauth)
}

// beginAssertion starts a ceremony of kind in which u signs with one of
// its passkeys.
func (a *Authenticator) beginAssertion(ctx context.Context, sess *directory.Session, u *directory.User, kind directory.CeremonyKind) (*protocol.CredentialAssertion, error) {
	if _, err := a.passkeysOn(ctx, u); err != nil {
		return nil, err
	}
	keys, err := a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, directory.Errorf(directory.CodeInvalid, "you have no passkey; use another second factor")
	}
	assertion, sd, err := a.cfg.WebAuthn.BeginLogin(passkeyUser{u: u, keys: keys}, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, directory.Internal(err)
	}
	if err := a.startCeremony(ctx, kind, u.OrgID, u.ID, sess.ID, sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// FinishPasskeyLogin completes a login waiting at StageMFA with the
// authenticator's answer to the challenge this session began. A wrong
// answer counts against the user like a wrong code.
func (a *Authenticator) FinishPasskeyLogin(ctx context.Context, sess *directory.Session, u *directory.User, credential []byte) error {
	if sess.Stage != directory.StageMFA {
		return directory.Errorf(directory.CodeInvalid, "this session is not waiting for a second factor")
	}
	if err := a.provePasskey(ctx, sess, u, directory.CeremonyMFA, credential); err != nil {
		return err
	}
	return a.complete(ctx, sess, directory.StageMFA, "passkey")
}

// provePasskey checks the authenticator's answer to the ceremony of kind
// this session began, and records the key's use. A wrong answer counts
// against the user like a wrong code.
func (a *Authenticator) provePasskey(ctx context.Context, sess *directory.Session, u *directory.User, kind directory.CeremonyKind, credential []byte) error {
	if _, err := a.passkeysOn(ctx, u); err != nil {
		return err
	}
	if u.TemporarilyLocked(a.cfg.Now()) {
		return errBadPasskey
	}
	parsed, err := parseAssertion(credential)
	if err != nil {
		return a.badPasskey(ctx, u)
	}
	_, sd, err := a.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, kind, u.OrgID, sess.ID)
	if err != nil {
		if directory.IsCode(err, directory.CodeInvalid) {
			return a.badPasskey(ctx, u)
		}
		return err
	}
	keys, err := a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
	if err != nil {
		return err
	}
	pu := passkeyUser{u: u, keys: keys}
	cred, err := a.cfg.WebAuthn.ValidateLogin(pu, *sd, parsed)
	if err != nil {
		return a.badPasskey(ctx, u)
	}
	return a.spendPasskey(ctx, u, pu.find(cred.ID), cred)
}

func parseAssertion(credential []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(credential) == 0 || len(credential) > maxCredentialBytes {
		return nil, errors.New("no credential or too large")
	}
	return protocol.ParseCredentialRequestResponseBytes(credential)
}

// spendPasskey records a verified assertion's counter: a counter that went
// backwards (two copies of the key) refuses the sign-in and is audited, and
// of two sign-ins racing with one counter one fails.
func (a *Authenticator) spendPasskey(ctx context.Context, u *directory.User, p *directory.Passkey, cred *webauthn.Credential) error {
	if p == nil {
		return a.badPasskey(ctx, u)
	}
	if cred.Authenticator.CloneWarning {
		if err := a.cfg.Directory.ReportClonedPasskey(ctx, p); err != nil {
			return err
		}
		if err := a.failed(ctx, u, directory.FactorCode); err != nil {
			return err
		}
		return directory.Errorf(directory.CodeUnauthorized,
			"this passkey's signature counter went backwards, so it may have been copied; it is refused: ask an admin")
	}
	ok, err := a.cfg.Directory.RecordPasskeyUse(ctx, p, cred.Authenticator.SignCount)
	if err != nil {
		return err
	}
	if !ok {
		return a.badPasskey(ctx, u)
	}
	return nil
}

func (a *Authenticator) badPasskey(ctx context.Context, u *directory.User) error {
	if err := a.failed(ctx, u, directory.FactorCode); err != nil {
		return err
	}
	return errBadPasskey
}

// passwordlessOrg returns the organization a passwordless sign-in is for,
// if it lets its users sign in with a passkey alone.
func (a *Authenticator) passwordlessOrg(ctx context.Context, orgSlug string) (*directory.Org, error) {
	off := directory.Errorf(directory.CodeNotFound, "signing in with a passkey alone is not enabled here")
	if a.cfg.WebAuthn == nil {
		return nil, off
	}
	org, err := a.cfg.Directory.ResolveLoginOrg(ctx, orgSlug, "")
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, off
	}
	if err != nil {
		return nil, err
	}
	if !org.Settings.AllowsPasswordless() {
		return nil, off
	}
	return org, nil
}

// PasswordlessAvailable reports whether the login page of orgSlug (""
// for the one organization of a single-tenant install) offers signing in
// with a passkey alone.
func (a *Authenticator) PasswordlessAvailable(ctx context.Context, orgSlug string) bool {
	_, err := a.passwordlessOrg(ctx, orgSlug)
	return err == nil
}

// BeginPasswordless starts a sign-in with a passkey alone in the
// organization orgSlug: the options for navigator.credentials.get, with no
// credentials listed (the authenticator offers its discoverable ones) and
// user verification required, since the passkey stands for both factors.
func (a *Authenticator) BeginPasswordless(ctx context.Context, orgSlug string) (*protocol.CredentialAssertion, error) {
	org, err := a.passwordlessOrg(ctx, orgSlug)
	if err != nil {
		return nil, err
	}
	assertion, sd, err := a.cfg.WebAuthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, directory.Internal(err)
	}
	if err := a.startCeremony(ctx, directory.CeremonyPasswordless, org.ID, "", "", sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// FinishPasswordless signs in whoever answered the organization's
// passwordless challenge with a passkey of its own: the passkey must
// belong to a live, active, local user of that organization (a passkey of
// another organization signs in nowhere but there). A wrong answer for a
// known passkey counts against its user.
func (a *Authenticator) FinishPasswordless(ctx context.Context, orgSlug string, credential []byte) (*Login, error) {
	org, err := a.passwordlessOrg(ctx, orgSlug)
	if err != nil {
		return nil, err
	}
	parsed, err := parseAssertion(credential)
	if err != nil {
		return nil, errBadPasskey
	}
	_, sd, err := a.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, directory.CeremonyPasswordless, org.ID, "")
	if err != nil {
		return nil, err
	}
	var pu passkeyUser
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := a.cfg.Directory.FindPasskey(ctx, rawID)
		if err != nil {
			return nil, err
		}
		if p.OrgID != org.ID || p.UserID != string(userHandle) {
			return nil, errors.New("the passkey is not one of this organization's")
		}
		u, err := a.cfg.Directory.GetUser(ctx, org.ID, p.UserID)
		if err != nil {
			return nil, err
		}
		keys, err := a.cfg.Directory.ListPasskeys(ctx, org.ID, u.ID)
		if err != nil {
			return nil, err
		}
		pu = passkeyUser{u: u, keys: keys}
		return pu, nil
	}
	_, cred, err := a.cfg.WebAuthn.ValidatePasskeyLogin(handler, *sd, parsed)
	if err != nil {
		if pu.u != nil {
			return nil, a.badPasskey(ctx, pu.u)
		}
		return nil, errBadPasskey
	}
	u := pu.u
	if u.AuthMethod == directory.AuthSSO || u.Deleted() || u.Status != directory.StatusActive || u.TemporarilyLocked(a.cfg.Now()) {
		return nil, errBadPasskey
	}
	if err := a.spendPasskey(ctx, u, pu.find(cred.ID), cred); err != nil {
		return nil, err
	}
	return a.start(ctx, u, directory.SessionLogin, directory.StageFull, "passkey", "")
}

// ListPasskeys lists u's passkeys.
func (a *Authenticator) ListPasskeys(ctx context.Context, u *directory.User) ([]*directory.Passkey, error) {
	return a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
}

// RenamePasskey renames one of u's passkeys.
func (a *Authenticator) RenamePasskey(ctx context.Context, sess *directory.Session, u *directory.User, id, name string) (*directory.Passkey, error) {
	return a.cfg.Directory.RenamePasskey(ctx, sessionActor(sess, u), u.OrgID, u.ID, id, name)
}

// RemovePasskey removes one of u's passkeys (not its last second factor
// while it owes one).
func (a *Authenticator) RemovePasskey(ctx context.Context, sess *directory.Session, u *directory.User, id string) error {
	return a.cfg.Directory.RemovePasskey(ctx, sessionActor(sess, u), u.OrgID, u.ID, id)
}

func sessionActor(sess *directory.Session, u *directory.User) directory.Actor {
	actor := directory.Actor{Kind: directory.ActorUser, ID: u.ID, Name: u.UserName}
	if sess != nil {
		actor.SessionID = sess.ID
	}
	return actor
}

// Factors says which second factors u has enrolled and may use now (its
// organization allows them), and which it may enrol.
type Factors struct {
	TOTP, SMS, Passkey                         bool // enrolled and allowed
	CanEnrolTOTP, CanEnrolSMS, CanEnrolPasskey bool // allowed (and, for SMS and passkeys, set up on this server)
}

// FactorsOf reports u's second factors, for the pages that offer them.
func (a *Authenticator) FactorsOf(ctx context.Context, u *directory.User) (Factors, error) {
	org, err := a.cfg.Directory.GetOrg(ctx, u.OrgID)
	if err != nil {
		return Factors{}, err
	}
	m, err := a.cfg.Directory.GetMFA(ctx, u.OrgID, u.ID)
	if err != nil {
		return Factors{}, err
	}
	return a.factors(ctx, org, u, m)
}

// factors is the one place that decides which second factors u has and
// may set up: each enrolled and allowed by its organization, SMS and
// passkeys only where this server can send texts and check passkeys.
// The login's second step (SecondFactors) and the pages read it.
func (a *Authenticator) factors(ctx context.Context, org *directory.Org, u *directory.User, m *directory.MFAState) (Factors, error) {
	s := &org.Settings
	passkeys := a.cfg.WebAuthn != nil && s.Allows(directory.FactorPasskey) && u.AuthMethod != directory.AuthSSO
	texts := a.cfg.SMS != nil && s.Allows(directory.FactorSMS)
	f := Factors{
		TOTP: m.Enrolled() && s.Allows(directory.FactorTOTP), CanEnrolTOTP: s.Allows(directory.FactorTOTP),
		CanEnrolSMS: texts, CanEnrolPasskey: passkeys,
	}
	// Only the factors that can count are read.
	if texts {
		phone, err := a.cfg.Directory.GetSMSPhone(ctx, u.OrgID, u.ID)
		if err != nil {
			return Factors{}, err
		}
		f.SMS = phone.Enrolled()
	}
	if passkeys {
		keys, err := a.cfg.Directory.ListPasskeys(ctx, u.OrgID, u.ID)
		if err != nil {
			return Factors{}, err
		}
		f.Passkey = len(keys) > 0
	}
	return f, nil
}
