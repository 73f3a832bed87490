package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/sms/smstest"
)

// The Twilio sender calls out through the outbound client: a loopback
// fake is refused until outbound.allow lets it in.
func TestSMSSenderFollowsTheOutboundPolicy(t *testing.T) {
	tw := smstest.NewTwilio()
	defer tw.Close()
	c := config.SMS{Sender: config.SMSSenderTwilio, Twilio: config.SMSTwilioConfig{
		AccountSID: tw.AccountSID, APIKeySID: tw.Username, AuthToken: config.Secret(tw.Password),
		From: "+15005550006", BaseURL: tw.Server.URL}}
	for _, allow := range []string{"", "127.0.0.1"} {
		oc := config.Default().Outbound
		oc.Allow, oc.Proxy = allow, "none"
		client, _, err := newOutbound(oc)
		if err != nil {
			t.Fatal(err)
		}
		sender, err := newSMSSender(c, client, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		err = sender.Send(context.Background(), "+447400123456", "code 123456")
		if allow == "" && err == nil {
			t.Error("the sender reached a loopback address the outbound policy does not allow")
		}
		if allow != "" && err != nil {
			t.Errorf("allowed: %v", err)
		}
		if err != nil && (strings.Contains(err.Error(), "7400123456") || strings.Contains(err.Error(), "123456")) {
			t.Errorf("the error names the number or the code: %v", err)
		}
	}
	if n := len(tw.Messages()); n != 1 {
		t.Errorf("%d messages reached the fake, want 1", n)
	}
}

func TestSMSSenders(t *testing.T) {
	if s, err := newSMSSender(config.SMS{Sender: config.SMSSenderNone}, nil, slog.New(slog.DiscardHandler)); s != nil || err != nil {
		t.Errorf("none: %v %v", s, err)
	}
	dir := filepath.Join(t.TempDir(), "sms")
	s, err := newSMSSender(config.SMS{Sender: config.SMSSenderOutbox, OutboxDir: dir}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "+447400123456", "hello"); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("outbox holds %d files", len(files))
	}
	w, err := newSMSSender(config.SMS{Sender: config.SMSSenderWebhook, Webhook: config.SMSWebhookConfig{URL: "https://sms.example.com", Secret: "s"}}, nil, nil)
	if err != nil || w == nil {
		t.Errorf("webhook: %v %v", w, err)
	}
}
