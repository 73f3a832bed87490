package sms

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone is the error of a number that is not a valid phone
// number for sending text messages.
var ErrInvalidPhone = errors.New("not a valid mobile phone number; write it in international form, such as +44 7400 123456")

// NormalizePhone returns raw in E.164 form (+14155550123). A number
// without a country code is read in region (ISO 3166 alpha-2, the
// organization's default region); one that is not valid there, or that
// cannot receive text messages (a fixed line, where the numbering plan
// tells), is ErrInvalidPhone.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 64 {
		return "", ErrInvalidPhone
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalidPhone
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST,
		phonenumbers.VOIP, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL:
		return "", ErrInvalidPhone
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}
