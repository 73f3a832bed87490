package auth

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/roster/roster/internal/auth/oidctest"
	"github.com/roster/roster/internal/outbound"
)

func newProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	idp, err := oidctest.New("roster-client", "client-secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	idp.SetUser(oidctest.User{Subject: "idp-42", Email: "ada@acme.example", EmailVerified: true, Name: "Ada Lovelace"})
	return idp
}

func newTestRP(t *testing.T, idp *oidctest.Provider, secret string) *RelyingParty {
	t.Helper()
	rp, err := NewRelyingParty(context.Background(), OIDCConfig{
		Issuer: idp.Issuer(), ClientID: "roster-client", ClientSecret: secret,
		RedirectURL: "https://roster.example.com/api/v1/auth/oidc/callback",
	}, idp.Server.Client(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// login runs Begin and the provider's redirect, and returns the request and
// the callback's state and code.
func login(t *testing.T, idp *oidctest.Provider, rp *RelyingParty) (*LoginRequest, string, string) {
	t.Helper()
	authURL, req, err := rp.Begin("org-1", time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := idp.Login(context.Background(), authURL)
	if err != nil {
		t.Fatal(err)
	}
	return req, cb.Query().Get("state"), cb.Query().Get("code")
}

func TestOIDCLoginWithPKCEStateAndNonce(t *testing.T) {
	idp := newProvider(t)
	rp := newTestRP(t, idp, "client-secret")
	authURL, req, err := rp.Begin("org-1", time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != req.Nonce ||
		q.Get("state") != req.State || q.Get("scope") != "openid email profile" || q.Get("code_challenge") == req.Verifier {
		t.Fatalf("authorization url %s", authURL)
	}
	cb, err := idp.Login(context.Background(), authURL)
	if err != nil {
		t.Fatal(err)
	}
	id, err := rp.Finish(context.Background(), req, cb.Query().Get("state"), cb.Query().Get("code"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Issuer: idp.Issuer(), Subject: "idp-42", Email: "ada@acme.example", EmailVerified: true, Name: "Ada Lovelace"}
	if *id != want {
		t.Fatalf("identity %+v, want %+v", *id, want)
	}
}

func TestOIDCRefusals(t *testing.T) {
	cases := []struct {
		name   string
		secret string
		setup  func(t *testing.T, idp *oidctest.Provider)
		finish func(rp *RelyingParty, req *LoginRequest, state, code string) error
	}{
		{name: "a state that is not ours", finish: func(rp *RelyingParty, req *LoginRequest, _, code string) error {
			_, err := rp.Finish(context.Background(), req, "forged", code, time.Now())
			return err
		}},
		{name: "a login request that expired", finish: func(rp *RelyingParty, req *LoginRequest, state, code string) error {
			_, err := rp.Finish(context.Background(), req, state, code, req.Expires.Add(time.Second))
			return err
		}},
		{name: "another PKCE verifier", finish: func(rp *RelyingParty, req *LoginRequest, state, code string) error {
			req.Verifier = "a-verifier-the-provider-never-saw-the-challenge-of-0123456789"
			_, err := rp.Finish(context.Background(), req, state, code, time.Now())
			return err
		}},
		{name: "a code spent twice", finish: func(rp *RelyingParty, req *LoginRequest, state, code string) error {
			if _, err := rp.Finish(context.Background(), req, state, code, time.Now()); err != nil {
				return errors.New("the first use of the code failed") // not ErrOIDC: fails the test
			}
			_, err := rp.Finish(context.Background(), req, state, code, time.Now())
			return err
		}},
		{name: "a wrong client secret", secret: "guessed"},
		{name: "an ID token for another client", setup: func(_ *testing.T, idp *oidctest.Provider) {
			idp.Tamper(func(c map[string]any) { c["aud"] = "someone-else" })
		}},
		{name: "an expired ID token", setup: func(_ *testing.T, idp *oidctest.Provider) {
			idp.Tamper(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
		}},
		{name: "an ID token with another nonce", setup: func(_ *testing.T, idp *oidctest.Provider) {
			idp.Tamper(func(c map[string]any) { c["nonce"] = "replayed-from-elsewhere" })
		}},
		{name: "an ID token from another issuer", setup: func(_ *testing.T, idp *oidctest.Provider) {
			idp.Tamper(func(c map[string]any) { c["iss"] = "https://evil.example" })
		}},
		{name: "an ID token signed with an unpublished key", setup: func(t *testing.T, idp *oidctest.Provider) {
			if err := idp.SignWithUnpublishedKey(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	idp := newProvider(t) // one key pair for all cases: RSA keys are slow to make
	for _, c := range cases {
		t.Run(c.name+" is refused", func(t *testing.T) {
			secret := c.secret
			if secret == "" {
				secret = "client-secret"
			}
			idp.Reset()
			rp := newTestRP(t, idp, secret)
			if c.setup != nil {
				c.setup(t, idp)
			}
			req, state, code := login(t, idp, rp)
			finish := c.finish
			if finish == nil {
				finish = func(rp *RelyingParty, req *LoginRequest, state, code string) error {
					_, err := rp.Finish(context.Background(), req, state, code, time.Now())
					return err
				}
			}
			if err := finish(rp, req, state, code); !errors.Is(err, ErrOIDC) {
				t.Fatalf("got %v, want ErrOIDC", err)
			}
		})
	}
}

func TestOIDCEmailVerifiedAsString(t *testing.T) {
	idp := newProvider(t)
	rp := newTestRP(t, idp, "client-secret")
	idp.Tamper(func(c map[string]any) { c["email_verified"] = "true" })
	req, state, code := login(t, idp, rp)
	id, err := rp.Finish(context.Background(), req, state, code, time.Now())
	if err != nil || !id.EmailVerified {
		t.Fatalf("identity %+v, %v", id, err)
	}
}

func TestNewRelyingPartyNeedsAReachableIssuer(t *testing.T) {
	idp, err := oidctest.New("c", "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	issuer := idp.Issuer()
	idp.Close()
	if _, err := NewRelyingParty(context.Background(), OIDCConfig{Issuer: issuer, ClientID: "c", RedirectURL: "https://r.example/cb"}, nil, time.Now); err == nil {
		t.Fatal("a dead issuer was accepted")
	}
	if _, err := NewRelyingParty(context.Background(), OIDCConfig{ClientID: "c"}, nil, time.Now); err == nil {
		t.Fatal("a config without issuer was accepted")
	}
}

func TestTheDefaultClientRefusesAnInternalIssuer(t *testing.T) {
	idp := newProvider(t) // on 127.0.0.1
	_, err := NewRelyingParty(context.Background(), OIDCConfig{Issuer: idp.Issuer(), ClientID: "roster-client",
		RedirectURL: "https://r.example/cb"}, nil, time.Now)
	if !errors.Is(err, outbound.ErrDestination) {
		t.Fatalf("err = %v, want the issuer refused by the destination policy", err)
	}
}

func TestLoginRequestSealing(t *testing.T) {
	s := testSealer(t)
	in := &LoginRequest{OrgID: "o", State: "st", Nonce: "n", Verifier: "v", Expires: time.Unix(1_900_000_000, 0).UTC()}
	sealed, err := SealLoginRequest(s, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := OpenLoginRequest(s, sealed)
	if err != nil || *out != *in {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	other, err := s.Seal([]byte(`{"org":"o"}`), "totp:o")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLoginRequest(s, other); !errors.Is(err, ErrOIDC) {
		t.Fatalf("a value sealed for another purpose opened: %v", err)
	}
}
