package member

import "time"

// Marketing consent states of a contact.
const (
	ConsentUnknown  = ""          // never asked, never said
	ConsentOptedIn  = "opted_in"  // agreed to promotional messages
	ConsentOptedOut = "opted_out" // said stop
)

// Window is WhatsApp's customer service window: free-form messages may be
// sent for this long after the customer's last message.
const Window = 24 * time.Hour

// Contact is what the hub knows about one WhatsApp user of a tenant to
// decide whether a message may be sent: consent, the 24-hour window, and a
// hold after WhatsApp refused to deliver.
type Contact struct {
	Tenant string `json:"tenant"`
	Phone  string `json:"phone,omitempty"` // canonical key (PhoneKey)
	UserID string `json:"user_id,omitempty"`
	// WAID is the wa_id WhatsApp last gave for the contact, exactly as
	// given (digits), which may be another form of Phone (Brazil's
	// mobiles without the ninth digit, Mexico's 521): messages to the
	// contact go to it. "" until the contact writes.
	WAID string `json:"wa_id,omitempty"`
	Name string `json:"name,omitempty"`
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

// Fold folds what the hub knows of another contact of the same person
// into c: the later window, the later consent, the longer hold, and the
// name and wa_id where c has none.
func (c *Contact) Fold(from Contact) {
	if from.LastInboundAt.After(c.LastInboundAt) {
		c.LastInboundAt = from.LastInboundAt
	}
	if from.MarketingAt.After(c.MarketingAt) {
		c.Marketing, c.MarketingAt = from.Marketing, from.MarketingAt
		c.MarketingSource, c.MarketingText = from.MarketingSource, from.MarketingText
	}
	if from.HoldUntil.After(c.HoldUntil) {
		c.HoldUntil, c.HoldReason = from.HoldUntil, from.HoldReason
	}
	if c.Name == "" {
		c.Name = from.Name
	}
	if c.WAID == "" {
		c.WAID = from.WAID
	}
}

// Change edits a contact. A store applies it in one transaction to the
// contact it finds (or creates) for a reference, so a change decides from
// the contact as stored, never from a copy read earlier.
type Change func(c *Contact)

// SetConsent returns a change that records a marketing consent given
// without a text to keep (it clears the kept one), unless the contact's
// consent changed later than at (an older report arriving late).
func SetConsent(state, source string, at time.Time) Change {
	return SetConsentWithText(state, source, "", at)
}

// SetConsentWithText is SetConsent for a consent given in the chat: it also
// keeps the text the customer was shown.
func SetConsentWithText(state, source, text string, at time.Time) Change {
	return func(c *Contact) {
		if !c.MarketingAt.IsZero() && at.Before(c.MarketingAt) {
			return
		}
		c.Marketing, c.MarketingSource, c.MarketingText, c.MarketingAt = state, source, text, at.UTC()
	}
}

// Hold returns a change that holds a contact until a time, never
// shortening a longer hold.
func Hold(until time.Time, reason string) Change {
	return func(c *Contact) {
		if until.After(c.HoldUntil) {
			c.HoldUntil, c.HoldReason = until.UTC(), reason
		}
	}
}
