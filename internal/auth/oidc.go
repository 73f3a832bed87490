package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/roster/roster/internal/outbound"
)

// OIDCConfig is an organization's OpenID Connect provider, as registered by
// its admin: Roster is the relying party (the client).
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is Roster's callback, registered with the provider.
	RedirectURL string
	// Scopes beyond "openid"; empty means email and profile.
	Scopes []string
}

// Identity is what a verified ID token says about the user.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
}

// ErrOIDC wraps every failure of a login through the provider; the message
// shown to users is generic, the wrapped cause is for logs.
var ErrOIDC = errors.New("single sign-on failed")

// RelyingParty runs the authorization code flow with PKCE, state and nonce
// against one provider.
type RelyingParty struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// NewRelyingParty discovers the provider's endpoints and keys. client makes
// every call to the provider: discovery, the key set and the token exchange
// (nil: an outbound client with the default settings); now is the clock ID
// token expiry is checked against.
func NewRelyingParty(ctx context.Context, cfg OIDCConfig, client *http.Client, now func() time.Time) (*RelyingParty, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client id and redirect url are required")
	}
	if client == nil {
		client = outbound.New(outbound.Options{})
	}
	ctx = oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	return &RelyingParty{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       append([]string{oidc.ScopeOpenID}, scopes...),
		},
		// The key set fetches through client; the context only carries it.
		verifier: provider.VerifierContext(context.WithoutCancel(ctx), &oidc.Config{ClientID: cfg.ClientID, Now: now}),
		client:   client,
	}, nil
}

// LoginRequest is what a login must remember between sending the user to the
// provider and the provider sending it back. It travels sealed in a cookie
// (see SealLoginRequest), so that any replica can finish the login.
type LoginRequest struct {
	OrgID    string    `json:"org"`
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Expires  time.Time `json:"exp"`
}

// Begin starts a login: it returns the provider URL to redirect the user to
// and the request to remember.
func (rp *RelyingParty) Begin(orgID string, expires time.Time) (string, *LoginRequest, error) {
	state, _, err := NewSecret("")
	if err != nil {
		return "", nil, err
	}
	nonce, _, err := NewSecret("")
	if err != nil {
		return "", nil, err
	}
	req := &LoginRequest{OrgID: orgID, State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Expires: expires}
	u := rp.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(req.Verifier))
	return u, req, nil
}

// Finish completes a login from the provider's callback parameters: it
// checks state, exchanges the code (with the PKCE verifier), verifies the ID
// token's signature, issuer, audience, expiry and nonce, and returns the
// identity. now is checked against the request's expiry.
func (rp *RelyingParty) Finish(ctx context.Context, req *LoginRequest, state, code string, now time.Time) (*Identity, error) {
	if req == nil || now.After(req.Expires) {
		return nil, fmt.Errorf("%w: the login took too long; start again", ErrOIDC)
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(req.State)) != 1 {
		return nil, fmt.Errorf("%w: state does not match", ErrOIDC)
	}
	if code == "" {
		return nil, fmt.Errorf("%w: no authorization code", ErrOIDC)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.client)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(req.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: exchange code: %w", ErrOIDC, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no id_token in the token response", ErrOIDC)
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: verify id token: %w", ErrOIDC, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(req.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce does not match", ErrOIDC)
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified flexBool `json:"email_verified"`
		Name          string   `json:"name"`
		GivenName     string   `json:"given_name"`
		FamilyName    string   `json:"family_name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: read claims: %w", ErrOIDC, err)
	}
	return &Identity{
		Issuer: idt.Issuer, Subject: idt.Subject,
		Email: strings.TrimSpace(claims.Email), EmailVerified: bool(claims.EmailVerified),
		Name: claims.Name, GivenName: claims.GivenName, FamilyName: claims.FamilyName,
	}, nil
}

// flexBool reads email_verified both as a JSON boolean and as the string
// some providers send ("true").
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*b = flexBool(x)
	case string:
		*b = flexBool(strings.EqualFold(x, "true"))
	default:
		*b = false
	}
	return nil
}

// loginRequestContext binds sealed login requests to their purpose.
const loginRequestContext = "oidc-login-request"

// SealLoginRequest seals req for a cookie.
func SealLoginRequest(s *Sealer, req *LoginRequest) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	return s.Seal(b, loginRequestContext)
}

// OpenLoginRequest opens a sealed login request. A forged or foreign cookie
// does not open.
func OpenLoginRequest(s *Sealer, sealed string) (*LoginRequest, error) {
	b, err := s.Open(sealed, loginRequestContext)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOIDC, err)
	}
	var req LoginRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOIDC, err)
	}
	return &req, nil
}
