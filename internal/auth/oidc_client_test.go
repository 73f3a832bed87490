package auth

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/roster/roster/internal/outbound/outboundtest"
)

func TestOIDCCallsGoThroughTheGivenClient(t *testing.T) {
	idp := newProvider(t)
	rec := &outboundtest.Recorder{Next: idp.Server.Client().Transport}
	rp, err := NewRelyingParty(context.Background(), OIDCConfig{
		Issuer: idp.Issuer(), ClientID: "roster-client", ClientSecret: "client-secret",
		RedirectURL: "https://roster.example.com/api/v1/auth/oidc/callback",
	}, &http.Client{Transport: rec}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	req, state, code := login(t, idp, rp)
	if _, err := rp.Finish(context.Background(), req, state, code, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Discovery, the token exchange and the key set: every call Roster
	// makes to the provider (the authorization request is the browser's).
	for _, want := range []string{"GET /.well-known/openid-configuration", "POST /token", "GET /jwks"} {
		if !slices.Contains(rec.Seen(), want) {
			t.Errorf("the client did not carry %s; it carried %q", want, rec.Seen())
		}
	}
}
