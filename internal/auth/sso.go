package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/roster/roster/internal/directory"
)

// ssoFlowTTL bounds the time between leaving for the provider and coming
// back.
const ssoFlowTTL = 10 * time.Minute

// errSSO is what users see of any failed single sign-on.
var errSSO = directory.Errorf(directory.CodeUnauthorized, "single sign-on failed; try again or ask your administrator")

// SSO runs OpenID Connect logins for organizations that configured a
// provider. Relying parties are discovered once per organization and
// settings version.
type SSO struct {
	auth        *Authenticator
	sealer      *Sealer
	client      *http.Client
	redirectURL string

	mu  sync.Mutex
	rps map[string]cachedRP
}

type cachedRP struct {
	updated time.Time
	rp      *RelyingParty
}

// NewSSO returns the single sign-on flow. redirectURL is Roster's callback
// as registered with every provider; client makes the calls to providers.
func NewSSO(a *Authenticator, sealer *Sealer, client *http.Client, redirectURL string) *SSO {
	return &SSO{auth: a, sealer: sealer, client: client, redirectURL: redirectURL, rps: map[string]cachedRP{}}
}

// ClientSecretContext binds a sealed OIDC client secret to its
// organization.
func ClientSecretContext(orgID string) string { return "oidc-client:" + orgID }

func (s *SSO) relyingParty(ctx context.Context, orgID string) (*RelyingParty, error) {
	settings, err := s.auth.cfg.Directory.GetOIDC(ctx, orgID)
	if err != nil {
		if directory.IsCode(err, directory.CodeNotFound) {
			return nil, directory.Errorf(directory.CodeNotFound, "single sign-on is not set up for this organization")
		}
		return nil, err
	}
	if !settings.Enabled {
		return nil, directory.Errorf(directory.CodeNotFound, "single sign-on is not set up for this organization")
	}
	s.mu.Lock()
	c, ok := s.rps[orgID]
	s.mu.Unlock()
	if ok && c.updated.Equal(settings.UpdatedAt) {
		return c.rp, nil
	}
	secret, err := s.sealer.Open(settings.ClientSecret, ClientSecretContext(orgID))
	if err != nil {
		return nil, directory.Internal(fmt.Errorf("open oidc client secret of %s: %w", orgID, err))
	}
	rp, err := NewRelyingParty(ctx, OIDCConfig{
		Issuer: settings.Issuer, ClientID: settings.ClientID, ClientSecret: string(secret), RedirectURL: s.redirectURL,
	}, s.client, s.auth.cfg.Now)
	if err != nil {
		return nil, &directory.Error{Code: directory.CodeInternal, Message: "the identity provider cannot be reached", Err: err}
	}
	s.mu.Lock()
	s.rps[orgID] = cachedRP{updated: settings.UpdatedAt, rp: rp}
	s.mu.Unlock()
	return rp, nil
}

// Begin starts a login for an organization: it returns the provider URL to
// send the browser to and the sealed flow state to keep in a cookie.
func (s *SSO) Begin(ctx context.Context, orgID string) (authURL, cookie string, err error) {
	rp, err := s.relyingParty(ctx, orgID)
	if err != nil {
		return "", "", err
	}
	authURL, req, err := rp.Begin(orgID, s.auth.cfg.Now().Add(ssoFlowTTL))
	if err != nil {
		return "", "", directory.Internal(err)
	}
	cookie, err = SealLoginRequest(s.sealer, req)
	if err != nil {
		return "", "", directory.Internal(err)
	}
	return authURL, cookie, nil
}

// Finish completes a login from the provider's callback and the flow
// cookie. The user is the organization's active user whose login email
// (primary email), or else whose userName, is the provider's verified
// email. It returns the session,
// whose cause, if it failed, is in the returned error for logs only.
func (s *SSO) Finish(ctx context.Context, cookie, state, code string) (*Login, error) {
	req, err := OpenLoginRequest(s.sealer, cookie)
	if err != nil {
		return nil, wrapSSO(err)
	}
	rp, err := s.relyingParty(ctx, req.OrgID)
	if err != nil {
		return nil, err
	}
	id, err := rp.Finish(ctx, req, state, code, s.auth.cfg.Now())
	if err != nil {
		return nil, wrapSSO(err)
	}
	if id.Email == "" || !id.EmailVerified {
		return nil, wrapSSO(errors.New("the provider did not vouch for an email address"))
	}
	u, err := s.matchUser(ctx, req.OrgID, id.Email)
	if err != nil {
		return nil, err
	}
	return s.auth.start(ctx, u, directory.SessionLogin, directory.StageFull, "sso", "")
}

func (s *SSO) matchUser(ctx context.Context, orgID, email string) (*directory.User, error) {
	dir := s.auth.cfg.Directory
	u, err := dir.FindUserByEmail(ctx, orgID, email)
	if directory.IsCode(err, directory.CodeNotFound) {
		u, err = dir.FindUserByUserName(ctx, orgID, email)
	}
	if directory.IsCode(err, directory.CodeNotFound) {
		return nil, wrapSSO(fmt.Errorf("no user of org %s has email or userName %s", orgID, email))
	}
	if err != nil {
		return nil, err
	}
	if u.Status != directory.StatusActive {
		return nil, wrapSSO(fmt.Errorf("user %s is %s", u.ID, u.Status))
	}
	return u, nil
}

func wrapSSO(err error) error {
	e := *errSSO
	e.Err = err
	return &e
}
