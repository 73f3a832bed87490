package sms

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct{ raw, region, want string }{
		{"+44 7400 123456", "", "+447400123456"},
		{"07400 123456", "GB", "+447400123456"},
		{"(415) 555-0123", "US", "+14155550123"}, // US numbers may be mobile or fixed: allowed
		{"+1 415 555 0123", "FR", "+14155550123"},
		{"06 12 34 56 78", "fr", "+33612345678"},
		{" +33612345678 ", "", "+33612345678"},
	} {
		got, err := NormalizePhone(tc.raw, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ raw, region string }{
		{"", "GB"},
		{"07400 123456", ""},      // no country code and no region
		{"+44 20 7946 0000", ""},  // a London fixed line cannot take texts
		{"+33 1 23 45 67 89", ""}, // a Paris fixed line
		{"12345", "US"},
		{"not a number", "US"},
		{"+1 415 555 0123\x00", ""},
		{"+99 123 456 789", ""},
	} {
		if got, err := NormalizePhone(tc.raw, tc.region); !errors.Is(err, ErrInvalidPhone) {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want ErrInvalidPhone", tc.raw, tc.region, got, err)
		}
	}
}
