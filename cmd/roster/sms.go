package main

import (
	"log/slog"
	"net/http"

	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/sms"
)

// newSMSSender builds the sender of SMS codes of the sms.* settings; nil
// (no sender) leaves the SMS factor unavailable. The Twilio and webhook
// senders call out through client, the outbound policy's client.
func newSMSSender(c config.SMS, client *http.Client, logger *slog.Logger) (sms.Sender, error) {
	switch c.Sender {
	case config.SMSSenderTwilio:
		t := c.Twilio
		user := t.AccountSID
		if t.APIKeySID != "" {
			user = t.APIKeySID
		}
		tw := &sms.Twilio{AccountSID: t.AccountSID, Username: user, Password: t.AuthToken.Reveal(),
			From: t.From, MessagingServiceSID: t.MessagingServiceSID, BaseURL: t.BaseURL, Client: client}
		return tw, tw.Check()
	case config.SMSSenderWebhook:
		return &sms.Webhook{URL: c.Webhook.URL, Secret: []byte(c.Webhook.Secret.Reveal()), Client: client}, nil
	case config.SMSSenderOutbox:
		logger.Warn("sms.sender is outbox: SMS codes are written to files, not texted; set sms.sender to twilio or webhook to send them",
			"outbox_dir", c.OutboxDir)
		return sms.NewOutbox(c.OutboxDir, nil)
	}
	return nil, nil
}
