package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TwilioBaseURL is where Twilio's 2010-04-01 REST API lives.
const TwilioBaseURL = "https://api.twilio.com"

// Twilio sends through Twilio's Messages API: a form-encoded POST to
// /2010-04-01/Accounts/{AccountSID}/Messages.json with basic
// authentication, answered 201 with the message resource.
type Twilio struct {
	// AccountSID is the account the messages are created under (AC…).
	AccountSID string
	// Username and Password authenticate: an API key SID (SK…) and its
	// secret, or the account SID and its auth token.
	Username, Password string
	// From is the sending number (E.164) or alphanumeric sender id;
	// MessagingServiceSID (MG…) may be given instead.
	From                string
	MessagingServiceSID string
	// BaseURL is TwilioBaseURL unless a test says otherwise.
	BaseURL string
	// Client makes the call (the outbound policy's client in production).
	Client *http.Client
}

// twilioMessage is the part of the message resource Roster reads.
type twilioMessage struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

// twilioError is the error body of the 2010 API.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Check reports what is missing from the settings.
func (t *Twilio) Check() error {
	var missing []string
	if t.AccountSID == "" {
		missing = append(missing, "account SID")
	}
	if t.Username == "" || t.Password == "" {
		missing = append(missing, "credentials")
	}
	if t.From == "" && t.MessagingServiceSID == "" {
		missing = append(missing, "a sender (from number or messaging service SID)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("sms: Twilio needs %s", strings.Join(missing, ", "))
	}
	return nil
}

// Send implements Sender.
func (t *Twilio) Send(ctx context.Context, to, body string) error {
	if err := t.Check(); err != nil {
		return err
	}
	base := t.BaseURL
	if base == "" {
		base = TwilioBaseURL
	}
	form := url.Values{"To": {to}, "Body": {body}}
	if t.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.MessagingServiceSID)
	} else {
		form.Set("From", t.From)
	}
	endpoint := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms: Twilio request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.Username, t.Password)
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL holds no number; the error of a failed call names the
		// endpoint only.
		return fmt.Errorf("sms: Twilio: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("sms: Twilio answer: %w", err)
	}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		var m twilioMessage
		if err := json.Unmarshal(raw, &m); err != nil || m.SID == "" {
			return errors.New("sms: Twilio accepted the message but its answer is not a message resource")
		}
		if m.Status == "failed" || m.Status == "undelivered" {
			return &ProviderError{Provider: "Twilio", Status: resp.StatusCode, kind: ErrRejected}
		}
		return nil
	}
	// Twilio's message may quote the number ("The 'To' number … is not a
	// valid phone number"): only the code is kept.
	var e twilioError
	_ = json.Unmarshal(raw, &e)
	return &ProviderError{Provider: "Twilio", Status: resp.StatusCode, Code: e.Code,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")), kind: classify(resp.StatusCode)}
}

// retryAfter reads a Retry-After of seconds; 0 when absent or a date.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// redactURLError keeps the cause of a failed call and drops its URL, in
// case a webhook URL carries a secret in its query.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
