package directory

import (
	"slices"
	"strings"
)

// MirrorContacts keeps a user's emails and phone numbers in step with its
// contact email and phone, so that a user shows one representation
// whatever wrote it. SCIM writes the lists (and the contact values follow
// their primary entry); connectors, imports and admins write the contact
// values. MirrorContacts carries what such a writer changed into the
// lists: a first contact email or phone becomes the primary "work" entry,
// a changed one replaces the entry that held the old value (or becomes
// the primary entry), and a cleared one drops that entry. cur is the user
// before the write (nil for a new user); next is changed in place. It runs
// before Normalize, which defaults an empty email to the userName: that
// default is not a contact email anyone gave.
func MirrorContacts(cur, next *User) {
	var oldEmail, oldPhone string
	var oldEmails []Email
	var oldPhones []PhoneNumber
	if cur != nil {
		oldEmail, oldPhone, oldEmails, oldPhones = cur.Email, cur.Phone, cur.Emails, cur.Profile.PhoneNumbers
	}
	email := strings.TrimSpace(next.Email)
	if slices.Equal(next.Emails, oldEmails) && !strings.EqualFold(email, oldEmail) {
		next.Emails = mirror(next.Emails, oldEmail, email,
			func(e Email) string { return e.Value },
			func(e *Email, v string) { e.Value = v },
			func(e *Email, p bool) { e.Primary = p },
			Email{Type: "work"})
	}
	phone := strings.TrimSpace(next.Phone)
	if slices.Equal(next.Profile.PhoneNumbers, oldPhones) && phone != oldPhone {
		next.Profile.PhoneNumbers = mirror(next.Profile.PhoneNumbers, oldPhone, phone,
			func(p PhoneNumber) string { return p.Value },
			func(p *PhoneNumber, v string) { p.Value = v },
			func(p *PhoneNumber, b bool) { p.Primary = b },
			PhoneNumber{Type: "work"})
	}
}

// mirror replaces old by v in list (see MirrorContacts). The list is
// copied before it changes.
func mirror[T any](list []T, old, v string, value func(T) string, set func(*T, string), primary func(*T, bool), blank T) []T {
	at := -1
	for i, el := range list {
		if old != "" && strings.EqualFold(value(el), old) {
			at = i
			break
		}
	}
	for _, el := range list {
		if v != "" && strings.EqualFold(value(el), v) {
			return list // already listed
		}
	}
	out := slices.Clone(list)
	switch {
	case v == "" && at >= 0:
		return slices.Delete(out, at, at+1)
	case v == "":
		return list
	case at >= 0:
		set(&out[at], v)
		return out
	}
	for i := range out {
		primary(&out[i], false)
	}
	el := blank
	set(&el, v)
	primary(&el, true)
	return append([]T{el}, out...)
}
