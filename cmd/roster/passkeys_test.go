package main

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/roster/roster/internal/config"
)

func TestNewWebAuthnDerivesFromThePublicURL(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	cfg := config.Default()
	wa := newWebAuthn(&cfg, "https://roster.example.com:8443/", logger)
	if wa == nil || wa.Config.RPID != "roster.example.com" || !slices.Equal(wa.Config.RPOrigins, []string{"https://roster.example.com:8443"}) {
		t.Fatalf("derived relying party: %+v", wa)
	}
	cfg.Auth.Passkeys = config.Passkeys{RPID: "example.com", Origins: " https://a.example.com/ ,https://b.example.com"}
	wa = newWebAuthn(&cfg, "https://roster.example.com", logger)
	if wa == nil || wa.Config.RPID != "example.com" || !slices.Equal(wa.Config.RPOrigins, []string{"https://a.example.com", "https://b.example.com"}) {
		t.Fatalf("configured relying party: %+v", wa)
	}
	// WebAuthn needs a domain: on an IP address passkeys are off.
	cfg.Auth.Passkeys = config.Passkeys{}
	if wa := newWebAuthn(&cfg, "http://127.0.0.1:8080", logger); wa != nil {
		t.Fatalf("a relying party on an IP address: %+v", wa.Config)
	}
}
