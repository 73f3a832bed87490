package sms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/sms"
	"github.com/roster/roster/internal/sms/smstest"
)

const phone = "+14155550123"

func newTwilio(t *testing.T) (*smstest.Twilio, *sms.Twilio) {
	fake := smstest.NewTwilio()
	t.Cleanup(fake.Close)
	return fake, &sms.Twilio{AccountSID: fake.AccountSID, Username: fake.Username, Password: fake.Password,
		From: "+15005550006", BaseURL: fake.Server.URL, Client: fake.Server.Client()}
}

// noSecrets fails when an error names the phone number or the body.
func noSecrets(t *testing.T, err error, body string) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), phone) || strings.Contains(err.Error(), "4155550123") || (body != "" && strings.Contains(err.Error(), body))) {
		t.Errorf("the error names the number or the message: %v", err)
	}
}

func TestTwilioSends(t *testing.T) {
	fake, s := newTwilio(t)
	if err := s.Send(context.Background(), phone, "Your Roster code is 123456"); err != nil {
		t.Fatal(err)
	}
	got := fake.Messages()
	if len(got) != 1 || got[0].To != phone || got[0].From != "+15005550006" || got[0].Body != "Your Roster code is 123456" || !strings.HasPrefix(got[0].SID, "SM") {
		t.Fatalf("messages %+v", got)
	}
	// Through a messaging service instead of a number.
	s.From, s.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
	if err := s.Send(context.Background(), phone, "again"); err != nil {
		t.Fatal(err)
	}
	if got := fake.Messages(); len(got) != 2 || got[1].MessagingServiceSID != s.MessagingServiceSID || got[1].From != "" {
		t.Fatalf("messages %+v", got)
	}
}

func TestTwilioRefusals(t *testing.T) {
	ctx := context.Background()
	fake, s := newTwilio(t)

	err := s.Send(ctx, "+1415", "Your code is 654321")
	var pe *sms.ProviderError
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Code != 21211 || !errors.Is(err, sms.ErrRejected) {
		t.Errorf("an invalid number: %v", err)
	}
	if strings.Contains(err.Error(), "+1415") || strings.Contains(err.Error(), "654321") {
		t.Errorf("the error quotes Twilio's message with the number or the code: %v", err)
	}

	wrong := *s
	wrong.Password = "not the secret"
	err = wrong.Send(ctx, phone, "x")
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != 20003 || !errors.Is(err, sms.ErrRejected) {
		t.Errorf("wrong credentials: %v", err)
	}
	noSecrets(t, err, "")

	other := *s
	other.AccountSID = "AC00000000000000000000000000000000"
	if err := other.Send(ctx, phone, "x"); !errors.As(err, &pe) || pe.Status != 404 || pe.Code != 20404 {
		t.Errorf("another account: %v", err)
	}

	fake.Throttle(1)
	err = s.Send(ctx, phone, "Your code is 111111")
	if !errors.As(err, &pe) || pe.Status != 429 || pe.Code != 20429 || pe.RetryAfter != 2*time.Second || !errors.Is(err, sms.ErrRateLimited) {
		t.Errorf("throttled: %v", err)
	}
	noSecrets(t, err, "Your code is 111111")

	fake.Fail(1)
	err = s.Send(ctx, phone, "x")
	if !errors.As(err, &pe) || pe.Status != 500 || errors.Is(err, sms.ErrRejected) || errors.Is(err, sms.ErrRateLimited) {
		t.Errorf("a server error is temporary: %v", err)
	}
	if n := len(fake.Messages()); n != 0 {
		t.Errorf("%d messages accepted after refusals", n)
	}
	// After the refusals, sending works again.
	if err := s.Send(ctx, phone, "ok"); err != nil {
		t.Error(err)
	}

	if err := (&sms.Twilio{}).Send(ctx, phone, "x"); err == nil || !strings.Contains(err.Error(), "account SID") {
		t.Errorf("empty settings: %v", err)
	}
	// A server that is gone: the error names neither the number nor the body.
	gone := *s
	gone.BaseURL = "http://127.0.0.1:1"
	err = gone.Send(ctx, phone, "Your code is 222222")
	if err == nil {
		t.Fatal("a closed port accepted the message")
	}
	noSecrets(t, err, "Your code is 222222")
}

func TestWebhookSignsItsCalls(t *testing.T) {
	secret := []byte("shared secret of the gateway")
	now := time.Unix(1_767_225_600, 0)
	var got []byte
	var gotErr error
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		gotErr = sms.Verify(secret, r.Header.Get(sms.TimestampHeader), r.Header.Get(sms.SignatureHeader), got, now, 5*time.Minute)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := &sms.Webhook{URL: srv.URL, Secret: secret, Client: srv.Client(), Now: func() time.Time { return now }}
	if err := w.Send(context.Background(), phone, "Your code is 123456"); err != nil {
		t.Fatal(err)
	}
	if gotErr != nil || string(got) != `{"to":"+14155550123","body":"Your code is 123456"}` {
		t.Fatalf("the endpoint got %s (%v)", got, gotErr)
	}
	// A forged or replayed call fails verification.
	ts := "1767225600"
	if err := sms.Verify(secret, ts, sms.Sign([]byte("other"), ts, got), got, now, time.Minute); err == nil {
		t.Error("a signature under another secret verified")
	}
	if err := sms.Verify(secret, ts, sms.Sign(secret, ts, got), got, now.Add(time.Hour), time.Minute); err == nil {
		t.Error("an hour-old call verified")
	}
	if err := sms.Verify(secret, ts, sms.Sign(secret, ts, got), []byte(`{"to":"+1999"}`), now, time.Minute); err == nil {
		t.Error("a changed body verified")
	}
	for code, kind := range map[int]error{http.StatusTooManyRequests: sms.ErrRateLimited, http.StatusBadRequest: sms.ErrRejected, http.StatusBadGateway: nil} {
		status = code
		err := w.Send(context.Background(), phone, "Your code is 333333")
		if err == nil || (kind != nil && !errors.Is(err, kind)) || (kind == nil && (errors.Is(err, sms.ErrRejected) || errors.Is(err, sms.ErrRateLimited))) {
			t.Errorf("endpoint answering %d: %v", code, err)
		}
		noSecrets(t, err, "Your code is 333333")
	}
	if err := (&sms.Webhook{URL: srv.URL}).Send(context.Background(), phone, "x"); err == nil {
		t.Error("a webhook without a secret sent")
	}
}

func TestOutboxWritesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sms")
	o, err := sms.NewOutbox(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Send(context.Background(), phone, "Your code is 123456"); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.sms"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v %v", info.Mode(), err)
	}
	b, _ := os.ReadFile(files[0])
	if string(b) != "To: +14155550123\n\nYour code is 123456\n" {
		t.Errorf("file %q", b)
	}
	if _, err := sms.NewOutbox("", nil); err == nil {
		t.Error("an outbox without a directory")
	}
}
