package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Webhook sends by POSTing JSON to an HTTPS endpoint of the operator's
// (a gateway Roster does not know), signed so that the endpoint can tell
// the call is Roster's and fresh:
//
//	POST {URL}
//	Content-Type: application/json
//	X-Roster-Timestamp: 1767225600
//	X-Roster-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under Secret>
//
//	{"to": "+14155550100", "body": "…"}
//
// Any 2xx answer means sent; 429 and 5xx are temporary, others final.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

// Webhook headers.
const (
	TimestampHeader = "X-Roster-Timestamp"
	SignatureHeader = "X-Roster-Signature"
)

// webhookBody is the JSON a webhook receives.
type webhookBody struct {
	To   string `json:"to"`
	Body string `json:"body"`
}

// Sign returns the signature header's value of body sent at timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook call's signature and that its timestamp is
// within maxAge of now: what an endpoint does with Roster's calls.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, maxAge time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("sms: the timestamp is not a number of seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxAge || d < -maxAge {
		return errors.New("sms: the call is too old or from the future")
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return errors.New("sms: the signature does not match")
	}
	return nil
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, to, body string) error {
	if w.URL == "" || len(w.Secret) == 0 {
		return errors.New("sms: the webhook needs a URL and a secret")
	}
	payload, err := json.Marshal(webhookBody{To: to, Body: body})
	if err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("sms: webhook request: %w", redactURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(w.Secret, ts, payload))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: webhook: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &ProviderError{Provider: "the webhook", Status: resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")), kind: classify(resp.StatusCode)}
}
