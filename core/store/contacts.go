package store

import (
	"context"
	"errors"
	"time"
)

// Marketing consent states of a contact.
const (
	ConsentUnknown  = ""          // never asked, never said
	ConsentOptedIn  = "opted_in"  // agreed to promotional messages
	ConsentOptedOut = "opted_out" // said stop
)

// Window is WhatsApp's customer service window: free-form messages may be
// sent for this long after the customer's last message.
const Window = 24 * time.Hour

// ContactRef names a WhatsApp user of one tenant by phone number, by
// business-scoped user id (BSUID), or both. A phone number is E.164.
type ContactRef struct {
	Phone  string `json:"phone,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// Empty reports whether the reference names nobody.
func (r ContactRef) Empty() bool { return r.Phone == "" && r.UserID == "" }

// ErrNoContact is returned for a ContactRef that names nobody.
var ErrNoContact = errors.New("contact has neither a phone number nor a user id")

// Contact is what the hub knows about one WhatsApp user of a tenant to
// decide whether a message may be sent: consent, the 24-hour window, and a
// hold after WhatsApp refused to deliver.
type Contact struct {
	Tenant string `json:"tenant"`
	Phone  string `json:"phone,omitempty"`
	UserID string `json:"user_id,omitempty"`
	Name   string `json:"name,omitempty"`
	// Marketing is the marketing consent: ConsentUnknown, ConsentOptedIn
	// or ConsentOptedOut, changed at MarketingAt from MarketingSource.
	// MarketingText is the text the customer was shown when they gave it
	// in the chat ("" for a consent given elsewhere).
	Marketing       string    `json:"marketing,omitempty"`
	MarketingAt     time.Time `json:"marketing_at,omitzero"`
	MarketingSource string    `json:"marketing_source,omitempty"`
	MarketingText   string    `json:"marketing_text,omitempty"`
	// LastInboundAt is when the customer last wrote: it opened the window.
	LastInboundAt time.Time `json:"last_inbound_at,omitzero"`
	// HoldUntil keeps business-initiated messages from the contact until
	// then, for HoldReason.
	HoldUntil  time.Time `json:"hold_until,omitzero"`
	HoldReason string    `json:"hold_reason,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// WindowOpen reports whether free-form messages may be sent at now.
func (c Contact) WindowOpen(now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Before(c.LastInboundAt.Add(Window))
}

// Held reports whether the contact is on hold at now.
func (c Contact) Held(now time.Time) bool { return now.Before(c.HoldUntil) }

// InboundMessage is one message a customer sent to the business.
type InboundMessage struct {
	Tenant            string     `json:"tenant"`
	ProviderMessageID string     `json:"provider_message_id"`
	Contact           ContactRef `json:"contact"`
	Name              string     `json:"name,omitempty"` // profile name
	Type              string     `json:"type"`
	Text              string     `json:"text,omitempty"`
	At                time.Time  `json:"at"`
}

// ContactChange edits a contact; the store applies it in one transaction
// to the contact found (or created) for a reference.
type ContactChange func(c *Contact)

// Contacts stores WhatsApp users' consent, windows and holds, and the
// inbound message log that opens windows.
type Contacts interface {
	// RecordInbound stores a customer's message once. The first time, it
	// opens or extends the contact's window (never moving it back), links
	// the phone number and user id the message carries, and keeps the
	// profile name. A message id already recorded changes nothing and
	// returns duplicate=true.
	RecordInbound(ctx context.Context, m InboundMessage) (c Contact, duplicate bool, err error)
	// UpdateContact applies change to the contact ref names, creating it
	// when new, and returns the result.
	UpdateContact(ctx context.Context, tenant string, ref ContactRef, change ContactChange) (Contact, error)
	// Contact returns the contact ref names: by phone number first, else
	// by user id. ErrNotFound when unknown.
	Contact(ctx context.Context, tenant string, ref ContactRef) (Contact, error)
	// CountMessages counts the messages of a category to a recipient
	// created since a time, that were sent or are being sent (not failed,
	// not pending).
	CountMessages(ctx context.Context, tenant, recipient, category string, since time.Time) (int, error)
}

// SetConsent returns a change that records a marketing consent given
// without a text to keep (it clears the kept one), unless the contact's
// consent changed later than at (an older report arriving late).
func SetConsent(state, source string, at time.Time) ContactChange {
	return SetConsentWithText(state, source, "", at)
}

// SetConsentWithText is SetConsent for a consent given in the chat: it also
// keeps the text the customer was shown.
func SetConsentWithText(state, source, text string, at time.Time) ContactChange {
	return func(c *Contact) {
		if !c.MarketingAt.IsZero() && at.Before(c.MarketingAt) {
			return
		}
		c.Marketing, c.MarketingSource, c.MarketingText, c.MarketingAt = state, source, text, at.UTC()
	}
}

// HoldContact returns a change that holds a contact until a time, never
// shortening a longer hold.
func HoldContact(until time.Time, reason string) ContactChange {
	return func(c *Contact) {
		if until.After(c.HoldUntil) {
			c.HoldUntil, c.HoldReason = until.UTC(), reason
		}
	}
}

// MergeContacts decides which stored row a reference resolves to when its
// phone number and its user id were first seen apart. The row found by
// phone wins and takes the user id; a different row found by user id alone
// gives it up (detach): its window, consent and hold are folded into the
// winner, and the adapter deletes it when it has no phone number left, or
// stores it without the user id otherwise. Either row may be nil; the
// result is a new contact when both are.
func MergeContacts(tenant string, ref ContactRef, byPhone, byUser *Contact) (target Contact, detach *Contact) {
	switch {
	case byPhone != nil:
		target = *byPhone
		if byUser != nil && byUser.Phone != byPhone.Phone {
			d := *byUser
			d.UserID = ""
			detach = &d
			if byUser.LastInboundAt.After(target.LastInboundAt) {
				target.LastInboundAt = byUser.LastInboundAt
			}
			if byUser.MarketingAt.After(target.MarketingAt) {
				target.Marketing, target.MarketingAt = byUser.Marketing, byUser.MarketingAt
				target.MarketingSource, target.MarketingText = byUser.MarketingSource, byUser.MarketingText
			}
			if byUser.HoldUntil.After(target.HoldUntil) {
				target.HoldUntil, target.HoldReason = byUser.HoldUntil, byUser.HoldReason
			}
			if target.Name == "" {
				target.Name = byUser.Name
			}
		}
	case byUser != nil:
		target = *byUser
	default:
		target = Contact{Tenant: tenant}
	}
	if ref.Phone != "" {
		target.Phone = ref.Phone
	}
	if ref.UserID != "" {
		target.UserID = ref.UserID
	}
	return target, detach
}

// ApplyInbound is the change a new inbound message makes to its contact.
func ApplyInbound(c *Contact, m InboundMessage) {
	if m.At.After(c.LastInboundAt) {
		c.LastInboundAt = m.At.UTC()
	}
	if m.Name != "" {
		c.Name = m.Name
	}
}
