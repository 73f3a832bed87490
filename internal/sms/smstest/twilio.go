// Package smstest has an httptest fake of Twilio's Messages API that
// follows its wire format: the 2010-04-01 path, form-encoded requests,
// basic authentication, the message resource answered 201, and the
// API's error bodies and status codes (400, 401, 404, 429).
package smstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Message is one message the fake accepted.
type Message struct {
	SID, To, From, MessagingServiceSID, Body string
}

// Twilio is the fake. Username and Password are the credentials it
// accepts (an API key SID and secret, or the account SID and auth token).
type Twilio struct {
	Server     *httptest.Server
	AccountSID string
	Username   string
	Password   string

	mu       sync.Mutex
	messages []Message
	// throttle is how many of the next requests answer 429.
	throttle int
	// failing is how many of the next requests answer 500.
	failing int
	// rejecting is how many of the next requests answer 400.
	rejecting int
}

// NewTwilio starts a fake with fresh credentials.
func NewTwilio() *Twilio {
	t := &Twilio{AccountSID: "AC" + randomHex(16), Username: "SK" + randomHex(16), Password: randomHex(16)}
	t.Server = httptest.NewServer(http.HandlerFunc(t.serve))
	return t
}

// Close stops the server.
func (t *Twilio) Close() { t.Server.Close() }

// Messages are the accepted messages, oldest first.
func (t *Twilio) Messages() []Message {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Message(nil), t.messages...)
}

// Throttle makes the next n requests answer 429, as Twilio does when an
// account sends faster than its limit.
func (t *Twilio) Throttle(n int) { t.mu.Lock(); t.throttle = n; t.mu.Unlock() }

// Fail makes the next n requests answer 500.
func (t *Twilio) Fail(n int) { t.mu.Lock(); t.failing = n; t.mu.Unlock() }

// Reject makes the next n requests answer 400 with error 21614, as Twilio
// does for a number that cannot receive text messages.
func (t *Twilio) Reject(n int) { t.mu.Lock(); t.rejecting = n; t.mu.Unlock() }

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func (t *Twilio) serve(w http.ResponseWriter, r *http.Request) {
	path := "/2010-04-01/Accounts/" + t.AccountSID + "/Messages.json"
	if r.URL.Path != path {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if r.Method != http.MethodPost {
		twilioError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != t.Username || pass != t.Password {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	t.mu.Lock()
	throttled, failed, rejected := t.throttle > 0, t.failing > 0, t.rejecting > 0
	switch {
	case throttled:
		t.throttle--
	case failed:
		t.failing--
	case rejected:
		t.rejecting--
	}
	t.mu.Unlock()
	if throttled {
		w.Header().Set("Retry-After", "2")
		twilioError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	}
	if failed {
		twilioError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
		return
	}
	if rejected {
		twilioError(w, http.StatusBadRequest, 21614, "'To' number is not a valid mobile number")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		twilioError(w, http.StatusBadRequest, 20001, "Invalid content type")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "Could not parse the request")
		return
	}
	m := Message{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"), Body: r.PostForm.Get("Body")}
	switch {
	case m.To == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(m.To):
		twilioError(w, http.StatusBadRequest, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", m.To))
		return
	case m.From == "" && m.MessagingServiceSID == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case m.Body == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(m.Body)) > 1600:
		twilioError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	m.SID = "SM" + randomHex(16)
	t.mu.Lock()
	t.messages = append(t.messages, m)
	t.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC1123Z)
	status := "queued"
	if m.MessagingServiceSID != "" {
		status = "accepted"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account_sid": t.AccountSID, "api_version": "2010-04-01", "body": m.Body,
		"date_created": now, "date_sent": nil, "date_updated": now, "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "from": nullable(m.From),
		"messaging_service_sid": nullable(m.MessagingServiceSID), "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": "USD", "sid": m.SID, "status": status, "to": m.To,
		"uri":              "/2010-04-01/Accounts/" + t.AccountSID + "/Messages/" + m.SID + ".json",
		"subresource_uris": map[string]string{"media": "/2010-04-01/Accounts/" + t.AccountSID + "/Messages/" + m.SID + "/Media.json"},
	})
}

// twilioError writes the 2010 API's error body.
func twilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": message, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
