package config

import (
	"errors"
	"strings"
	"testing"
)

func TestSMSSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // problems; none: valid
	}{
		{"no sender by default", map[string]string{}, nil},
		{"the outbox with a directory", map[string]string{"ROSTER_SMS_SENDER": "outbox", "ROSTER_SMS_OUTBOX_DIR": "sms"}, nil},
		{"twilio with a messaging service", map[string]string{"ROSTER_SMS_SENDER": "twilio", "ROSTER_SMS_TWILIO_ACCOUNT_SID": "AC1",
			"ROSTER_SMS_TWILIO_AUTH_TOKEN": "hunter2", "ROSTER_SMS_TWILIO_MESSAGING_SERVICE_SID": "MG1"}, nil},
		{"a webhook", map[string]string{"ROSTER_SMS_SENDER": "webhook", "ROSTER_SMS_WEBHOOK_URL": "https://sms.acme.test/",
			"ROSTER_SMS_WEBHOOK_SECRET": strings.Repeat("s", 32)}, nil},
		{"the outbox needs a directory", map[string]string{"ROSTER_SMS_SENDER": "outbox"}, []string{
			"sms.outbox_dir: is required with sms.sender outbox"}},
		{"twilio needs an account, a token and a sender", map[string]string{"ROSTER_SMS_SENDER": "twilio",
			"ROSTER_SMS_TWILIO_API_KEY_SID": "hunter3", "ROSTER_SMS_TWILIO_BASE_URL": "ftp://x"}, []string{
			"sms.twilio.account_sid: is required", "sms.twilio.auth_token: is required",
			`sms.twilio.api_key_sid: "hunter3" is not an API key SID`, "sms.twilio.from: is required",
			`sms.twilio.base_url: "ftp://x" is not an http(s) URL`}},
		{"a webhook needs a URL and a long secret", map[string]string{"ROSTER_SMS_SENDER": "webhook",
			"ROSTER_SMS_WEBHOOK_SECRET": "hunter2"}, []string{
			"sms.webhook.url: is required", "sms.webhook.secret: must be at least 32 characters"}},
		{"an unknown sender", map[string]string{"ROSTER_SMS_SENDER": "pigeon"}, []string{
			`sms.sender: "pigeon" is not one of none, twilio, webhook, outbox`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", envMap(tc.env))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v, want *config.Error", err)
			}
			if len(cerr.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(cerr.Problems), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q; it is:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks a secret:\n%s", err)
			}
		})
	}
}
