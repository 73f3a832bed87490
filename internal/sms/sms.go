// Package sms sends text messages (the one-time codes of SMS second
// factors) through a provider: Twilio's Messages API, a generic HTTPS
// webhook signed with HMAC, or, for development, files in a directory.
//
// Phone numbers and message bodies are secrets of the user: no error of
// this package names either, so that an error may be logged as it is.
package sms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sender sends one text message to a phone number in E.164 form.
type Sender interface {
	Send(ctx context.Context, to, body string) error
}

// ErrRateLimited is wrapped by the error of a provider that refused a
// message for sending too many; RetryAfter tells how long to wait.
var ErrRateLimited = errors.New("sms: the provider is rate limiting")

// ErrRejected is wrapped by the error of a provider that refused this
// message for good (an invalid or unreachable number, a blocked sender):
// sending it again will not help.
var ErrRejected = errors.New("sms: the provider refused the message")

// ProviderError is a provider's refusal, without the number or the body.
type ProviderError struct {
	Provider string
	Status   int // HTTP status
	Code     int // the provider's error code, 0 if none
	// RetryAfter is the provider's Retry-After, when it sent one.
	RetryAfter time.Duration
	kind       error // ErrRateLimited, ErrRejected or nil (temporary)
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("sms: %s answered %d", e.Provider, e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(" (error %d)", e.Code)
	}
	switch {
	case errors.Is(e.kind, ErrRateLimited):
		s += ": rate limited"
	case errors.Is(e.kind, ErrRejected):
		s += ": message refused"
	default:
		s += ": try again later"
	}
	return s
}

// Unwrap lets errors.Is find ErrRateLimited or ErrRejected.
func (e *ProviderError) Unwrap() error { return e.kind }

// classify turns an HTTP status into the kind of a provider's refusal.
func classify(status int) error {
	switch {
	case status == 429:
		return ErrRateLimited
	case status >= 500, status == 408:
		return nil
	default:
		return ErrRejected
	}
}
