package member

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// WhatsAppIdentity is what WhatsApp says a customer is, read from a wa_id.
//
// WhatsApp knows some people by a form of their number that the numbering
// plan has since changed, and phonenumbers' metadata calls a few numbers
// invalid that are real (newly allocated ranges) or made up on purpose
// (fictional ranges used in tests and demos). None of that stops a
// customer: a WhatsAppIdentity keeps the wa_id as given for replies, the E.164
// form when phonenumbers can read the number, and one Key that is the same
// for every form of one person's number (see PhoneKey).
type WhatsAppIdentity struct {
	// WAID is the wa_id exactly as WhatsApp gave it: digits, no plus.
	// Messages to the customer go to it.
	WAID string
	// E164 is the number in E.164 as phonenumbers reads it, valid or not
	// by its metadata; "" when it cannot read it at all (a country code
	// it does not know, or too few digits).
	E164 string
	// Key is the canonical form of the number, E.164-shaped ("+" and
	// digits): the one key contacts and members are found by.
	Key string
	// Listed reports whether phonenumbers' metadata calls the number, in
	// its canonical form, valid. An unlisted number is still an identity.
	Listed bool
}

// maxWAIDDigits bounds a wa_id: E.164 allows 15 digits; a little room is
// left for WhatsApp ids of numbering plans that run longer.
const maxWAIDDigits = 20

// ParseWhatsAppID reads a wa_id (digits; a leading plus and spaces,
// dashes, dots or parentheses are tolerated and dropped) as a WhatsAppIdentity.
// It fails only for a value that is not a number at all: empty, letters,
// or more than 20 digits. A number phonenumbers calls invalid, or cannot
// parse, is still an identity: its Key is then its own digits.
func ParseWhatsAppID(waID string) (WhatsAppIdentity, error) {
	digits, ok := digitsOf(waID)
	if !ok {
		return WhatsAppIdentity{}, fmt.Errorf("%w: wa_id %q is not a number", ErrInvalidPhone, MaskPhone(waID))
	}
	id := WhatsAppIdentity{WAID: digits, Key: "+" + keyDigits(digits)}
	num, err := phonenumbers.Parse("+"+digits, "")
	if err != nil {
		return id, nil
	}
	id.E164 = phonenumbers.Format(num, phonenumbers.E164)
	if id.Key != "+"+digits {
		if num, err = phonenumbers.Parse(id.Key, ""); err != nil {
			return id, nil
		}
	}
	id.Listed = phonenumbers.IsValidNumber(num)
	return id, nil
}

// PhoneKey returns the canonical key of a number in international form
// ("+5541988887777", or the digits of a wa_id), which joins the forms one
// person's number takes:
//
//   - Brazil (+55): a mobile number of the eight digits it had before the
//     ninth digit was added (area code, then a subscriber number starting
//     with 6, 8 or 9) gets the 9 after the area code, as every Brazilian
//     mobile has had since 2016: 55 41 8888 7777 and 55 41 9 8888 7777 are
//     one key. Eight-digit numbers starting with 7 are left alone: radio
//     (Nextel) numbers kept eight digits and are still valid as such, so
//     55 11 7xxx xxxx and 55 11 97xxx xxxx may be different people. Fixed
//     lines (2 to 5) never had the 9.
//   - Mexico (+52): the 1 that mobile numbers took after the country code
//     until Mexico's ten-digit numbering of August 2019 is dropped: 521 55
//     1234 5678 (the form WhatsApp still gives many Mexican users) and
//     52 55 1234 5678 are one key.
//
// Any other number's key is its own digits after a plus. The rules read
// digits only, so a key never depends on the version of phonenumbers'
// metadata, and a key is its own key. Input that is not a number is
// returned unchanged.
func PhoneKey(phone string) string {
	digits, ok := digitsOf(phone)
	if !ok {
		return phone
	}
	return "+" + keyDigits(digits)
}

// keyDigits applies PhoneKey's rules to the digits of an international
// number. E.164 country codes are a prefix code, so the first digits say
// the country.
func keyDigits(d string) string {
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "55") && d[2] != '0' && d[3] != '0' && strings.IndexByte("689", d[4]) >= 0:
		return d[:4] + "9" + d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "521"):
		return "52" + d[3:]
	}
	return d
}

// digitsOf returns the digits of s, which may carry a leading plus and
// spaces, dashes, dots or parentheses; ok is false for anything else, no
// digits, or more than maxWAIDDigits.
func digitsOf(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	if b.Len() == 0 || b.Len() > maxWAIDDigits {
		return "", false
	}
	return b.String(), true
}
