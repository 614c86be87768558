// Package member holds loyalty members and their identities.
package member

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Member is one person in one tenant's program.
type Member struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Phone     string    `json:"phone"` // E.164, "+6281234567890"
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email,omitempty"`
	Balance   int64     `json:"balance"`
	Pending   int64     `json:"pending"` // points held for a returns window
	Tier      Tier      `json:"tier"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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
// and returns it in E.164 form.
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
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidPhone, MaskPhone(raw), err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%w: %q", ErrInvalidPhone, MaskPhone(raw))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
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
