package config

import (
	"fmt"
	"net/url"
	"strings"
)

// SMS senders.
const (
	SMSSenderNone    = "none"
	SMSSenderTwilio  = "twilio"
	SMSSenderWebhook = "webhook"
	SMSSenderOutbox  = "outbox"
)

// SMS configures how the one-time codes of the SMS second factor are
// texted. With no sender the SMS factor is unavailable: no organization
// can allow it.
type SMS struct {
	// Sender is none, twilio (Twilio's Messages API), webhook (a signed
	// JSON POST to a gateway of your own) or outbox (files in OutboxDir,
	// for development: the codes sit on disk).
	Sender string `yaml:"sender"`
	// OutboxDir is where the outbox sender writes messages.
	OutboxDir string           `yaml:"outbox_dir"`
	Twilio    SMSTwilioConfig  `yaml:"twilio"`
	Webhook   SMSWebhookConfig `yaml:"webhook"`
}

// SMSTwilioConfig says how to reach Twilio.
type SMSTwilioConfig struct {
	// AccountSID is the account (AC…).
	AccountSID string `yaml:"account_sid"`
	// APIKeySID (SK…) authenticates with AuthToken as its secret; empty:
	// the account SID with the account's auth token.
	APIKeySID string `yaml:"api_key_sid"`
	AuthToken Secret `yaml:"auth_token"`
	// From is the sending number (E.164) or alphanumeric sender id;
	// MessagingServiceSID (MG…) may be given instead, and wins if both are.
	From                string `yaml:"from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// BaseURL overrides https://api.twilio.com (tests, regional edges).
	BaseURL string `yaml:"base_url"`
}

// SMSWebhookConfig is the gateway of the webhook sender.
type SMSWebhookConfig struct {
	// URL receives the signed POST; https unless it is a loopback test.
	URL string `yaml:"url"`
	// Secret signs each call (HMAC-SHA256), at least 32 characters.
	Secret Secret `yaml:"secret"`
}

// validate checks the form of every SMS setting, and that the sender has
// what it needs.
func (s SMS) validate() []string {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	switch s.Sender {
	case "", SMSSenderNone:
	case SMSSenderOutbox:
		if s.OutboxDir == "" {
			bad("sms.outbox_dir", "is required with sms.sender outbox: the directory the messages are written to")
		}
	case SMSSenderTwilio:
		t := s.Twilio
		if !strings.HasPrefix(t.AccountSID, "AC") {
			bad("sms.twilio.account_sid", "is required with sms.sender twilio: the account SID, AC…")
		}
		if t.AuthToken == "" {
			bad("sms.twilio.auth_token", "is required with sms.sender twilio: the auth token, or the API key's secret with api_key_sid")
		}
		if t.APIKeySID != "" && !strings.HasPrefix(t.APIKeySID, "SK") {
			bad("sms.twilio.api_key_sid", "%q is not an API key SID (SK…)", t.APIKeySID)
		}
		if t.From == "" && t.MessagingServiceSID == "" {
			bad("sms.twilio.from", "is required with sms.sender twilio, unless sms.twilio.messaging_service_sid is set: who the messages come from")
		}
		if t.BaseURL != "" {
			if u, err := url.Parse(t.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				bad("sms.twilio.base_url", "%q is not an http(s) URL", t.BaseURL)
			}
		}
	case SMSSenderWebhook:
		w := s.Webhook
		if u, err := url.Parse(w.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad("sms.webhook.url", "is required with sms.sender webhook: an https URL")
		}
		if len(w.Secret) < 32 {
			bad("sms.webhook.secret", "must be at least 32 characters with sms.sender webhook: it signs each call")
		}
	default:
		bad("sms.sender", "%q is not one of none, twilio, webhook, outbox", s.Sender)
	}
	return problems
}
