// Package member holds loyalty members, their identities, and what the hub
// knows of them as WhatsApp contacts: consent, the 24-hour window, holds.
package member

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Member is one person in one tenant's program.
type Member struct {
	ID       string   `json:"id"`
	Tenant   string   `json:"tenant"`
	Phone    string   `json:"phone"` // canonical key (NormalizePhone), "+6281234567890"; "" for a member a shop knows by customer id or email alone
	Name     string   `json:"name,omitempty"`
	Email    string   `json:"email,omitempty"`
	Balance  int64    `json:"balance"`
	Pending  int64    `json:"pending"` // points held for a returns window
	Tier     Tier     `json:"tier"`
	Referral Referral `json:"referral"`
	// Birthday is the month and day, "04-12", when known.
	Birthday string `json:"birthday,omitempty"`
	// BirthdayYear is the last year the birthday was celebrated.
	BirthdayYear int `json:"birthday_year,omitempty"`
	// AnniversaryYear is the last year the membership's anniversary, the
	// date of CreatedAt, was celebrated.
	AnniversaryYear int `json:"anniversary_year,omitempty"`
	// Profile is what sources, imports and the chat say of the member.
	Profile   Profile   `json:"profile"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Identities are the ways the member is found: phone, customer ids,
	// emails and the ids of members merged into this one.
	Identities []Identity `json:"identities,omitempty"`
}

// ErrInvalidBirthday is returned for a birthday that is not a date.
var ErrInvalidBirthday = errors.New("invalid birthday")

// ParseBirthday reads a birthday written as a date ("1990-04-12"), a
// month and day ("04-12") or ISO 8601's yearless form ("--04-12"), and
// returns its month and day, "04-12".
func ParseBirthday(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "--")
	for _, layout := range []string{"2006-01-02", "01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("01-02"), nil
		}
	}
	if s == "02-29" {
		return s, nil // valid, though time.Parse has no year to check it against
	}
	return "", fmt.Errorf("%w: %q is not a date such as 1990-04-12 or 04-12", ErrInvalidBirthday, s)
}

// BirthdaysOn lists the birthdays celebrated on a local date: its own,
// and 29 February on 28 February of a year without one.
func BirthdaysOn(day time.Time) []string {
	out := []string{day.Format("01-02")}
	if day.Month() == time.February && day.Day() == 28 && time.Date(day.Year(), 2, 29, 0, 0, 0, 0, time.UTC).Month() != time.February {
		out = append(out, "02-29")
	}
	return out
}

// Referral is a member's own referral code and, for a member who joined
// with someone else's code, who referred them and how far it went.
type Referral struct {
	Code       string `json:"code,omitempty"`
	ReferredBy string `json:"referred_by,omitempty"` // the referrer's member id
	Status     string `json:"status,omitempty"`      // "", ReferralLinked or ReferralCompleted
	// Order is the referee's first qualifying order while its points are
	// held: the referral completes when they become available.
	Order string `json:"order,omitempty"`
}

// Referral statuses.
const (
	ReferralLinked    = "linked"    // joined with a code; no qualifying order yet
	ReferralCompleted = "completed" // both sides were rewarded
)

// ReferralCodeLength is the length of a referral code.
const ReferralCodeLength = 8

// referralAlphabet leaves out letters and digits easily mistaken for one
// another: I, L, O, 0 and 1.
const referralAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewReferralCode returns a random referral code: ReferralCodeLength
// characters of an alphabet without ambiguous ones.
func NewReferralCode() string {
	b := make([]byte, ReferralCodeLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(referralAlphabet))))
		if err != nil {
			panic(fmt.Sprintf("reading random bytes: %v", err))
		}
		b[i] = referralAlphabet[n.Int64()]
	}
	return string(b)
}

// NormalizeReferralCode returns a code as members may type it (lower case,
// with spaces or dashes) in its stored form.
func NormalizeReferralCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return unicode.ToUpper(r)
	}, strings.TrimSpace(s))
}

// Tier is a member's level in the program.
type Tier struct {
	Name     string     `json:"name,omitempty"`
	Since    *time.Time `json:"since,omitempty"`
	ReviewAt *time.Time `json:"review_at,omitempty"` // when the level is next reviewed for a downgrade
	// Manual is a level set by hand: the program does not change it until
	// ManualUntil (never, when nil).
	Manual      bool       `json:"manual,omitempty"`
	ManualUntil *time.Time `json:"manual_until,omitempty"`
}

// ErrInvalidPhone is returned for input that is not a valid phone number.
var ErrInvalidPhone = errors.New("invalid phone number")

// NormalizePhone parses raw (any common notation) as a phone number, using
// region (ISO 3166 alpha-2, such as "ID") for numbers without a country code,
// and returns its canonical key (see PhoneKey): E.164, with the forms of one
// person's number joined (Brazil's mobile 9, Mexico's 1).
//
// A number must be valid by phonenumbers' metadata in its canonical form,
// with one exception: a number written with its country code ("+…", or a
// bare number when region is "") is taken when its length is possible for
// its country, because the metadata does not know every real range (newly
// allocated ones) nor the fictional ranges numbering plans keep for tests
// and demos. A national number must be valid in region: that is where a
// wrong region would otherwise pass unnoticed.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPhone)
	}
	// Without a default region, digits are read as an international number
	// (the form WhatsApp ids take).
	if region == "" && !strings.HasPrefix(raw, "+") {
		raw = "+" + raw
	}
	num, err := phonenumbers.ParseAndKeepRawInput(raw, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidPhone, MaskPhone(raw), err)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	key, canon := PhoneKey(e164), num
	if key != e164 {
		if canon, err = phonenumbers.Parse(key, ""); err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrInvalidPhone, MaskPhone(raw), err)
		}
	}
	if !phonenumbers.IsValidNumber(canon) && !(international(num) && phonenumbers.IsPossibleNumber(canon) && stable(key)) {
		return "", fmt.Errorf("%w: %q", ErrInvalidPhone, MaskPhone(raw))
	}
	return key, nil
}

// stable reports whether phonenumbers reads an E.164 number back as itself:
// a number the metadata does not know is taken only then, not when a
// national prefix is left in it that a second reading would strip.
func stable(e164 string) bool {
	num, err := phonenumbers.Parse(e164, "")
	return err == nil && phonenumbers.Format(num, phonenumbers.E164) == e164
}

// international reports whether a number parsed with its raw input was
// written with its country code after a plus or an international prefix.
func international(num *phonenumbers.PhoneNumber) bool {
	switch num.GetCountryCodeSource() {
	case phonenumbers.PhoneNumber_FROM_NUMBER_WITH_PLUS_SIGN, phonenumbers.PhoneNumber_FROM_NUMBER_WITH_IDD:
		return true
	}
	return false
}

// WhatsAppID returns the E.164 number without its plus sign, the form the
// WhatsApp APIs use.
func WhatsAppID(e164 string) string { return strings.TrimPrefix(e164, "+") }

// MaskPhone hides all but the last three digits of a phone number, for logs.
func MaskPhone(p string) string {
	if len(p) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(p)-3) + p[len(p)-3:]
}
