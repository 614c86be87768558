package store

import (
	"context"
	"time"
)

// SenderState is what WhatsApp last said of a sender (a tenant's WhatsApp
// connector): its messaging limit and its number's quality, and whether
// its marketing messages are paused for it.
type SenderState struct {
	Tenant string `json:"tenant"`
	Sender string `json:"sender"`
	// MessagingLimit is the most unique users the sender may reach outside
	// a customer service window in a moving 24 hours: 0 when WhatsApp has
	// not said, -1 unlimited. LimitAt is when WhatsApp said it.
	MessagingLimit int       `json:"messaging_limit"`
	LimitAt        time.Time `json:"limit_at,omitzero"`
	// Quality is the number's last quality event (FLAGGED, UNFLAGGED,
	// DOWNGRADE, UPGRADE…), QualityAt when WhatsApp reported it.
	Quality   string    `json:"quality,omitempty"`
	QualityAt time.Time `json:"quality_at,omitzero"`
	// MarketingPaused holds the sender's marketing messages back, for
	// PauseReason, until an upgrade or an operator lifts it.
	MarketingPaused bool   `json:"marketing_paused"`
	PauseReason     string `json:"pause_reason,omitempty"`
}

// Reach is how much of a sender's messaging limit is used: the unique
// recipients it reached outside a service window since a time.
type Reach struct {
	// Reached counts them; Oldest is the earliest of their last reaches
	// (when the first of them leaves the window).
	Reached int
	Oldest  time.Time
	// Known is set when the recipient asked about is one of them.
	Known bool
}

// CostLine is one line of a tenant's message costs: the messages WhatsApp
// charged (reported pricing on a delivered or read status) of one pricing
// category to one country, and what they cost in micros of the tenant's
// pricing currency.
type CostLine struct {
	Category string `json:"category"`
	Country  string `json:"country"` // ISO 3166 region of the recipient; "" when unknown (a user id)
	Messages int    `json:"messages"`
	Cost     int64  `json:"cost_micros"`
}

// StatusPricing is the pricing a delivery report carries, with its cost
// from the tenant's rate card (StatusUpdate.Pricing).
type StatusPricing struct {
	Category string
	Type     string
	Billable *bool
	Country  string // the recipient's ISO 3166 region
	Cost     int64  // micros
}

// Senders keeps what WhatsApp says of the tenants' senders, the
// recipients each reached outside a service window (their messaging
// limit's count), and reads the costs the message log records.
type Senders interface {
	// SenderStates returns the tenant's senders WhatsApp said something
	// of, by name.
	SenderStates(ctx context.Context, tenant string) ([]SenderState, error)
	// SenderState returns one sender's state; the zero state (with Tenant
	// and Sender) when WhatsApp said nothing of it.
	SenderState(ctx context.Context, tenant, sender string) (SenderState, error)
	// SetMessagingLimit records a sender's messaging limit as WhatsApp
	// reported it at a time; a report older than the one recorded changes
	// nothing (webhooks come in any order).
	SetMessagingLimit(ctx context.Context, tenant, sender string, limit int, at time.Time) error
	// SetQuality records a sender's quality event and whether it pauses
	// its marketing messages, as reported at a time; a report older than
	// the one recorded changes nothing. An operator's resume passes the
	// time of the resume.
	SetQuality(ctx context.Context, tenant, sender, quality string, paused bool, reason string, at time.Time) error
	// RecordReach records that a sender reached recipient outside a
	// service window at a time (a business-initiated conversation); the
	// latest reach is kept.
	RecordReach(ctx context.Context, tenant, sender, recipient string, at time.Time) error
	// Reach counts the recipients the sender reached since a time, and
	// whether recipient is one of them.
	Reach(ctx context.Context, tenant, sender, recipient string, since time.Time) (Reach, error)
	// Reached reports whether the sender reached recipient since a time
	// (one lookup, without counting).
	Reached(ctx context.Context, tenant, sender, recipient string, since time.Time) (bool, error)
	// ReachTimes returns the times of the sender's reaches in (after,
	// until], earliest first: at most n, after passing over the first
	// skip.
	ReachTimes(ctx context.Context, tenant, sender string, after, until time.Time, skip, n int) ([]time.Time, error)
	// ResumeDeferred makes the sender's messages deferred for code (their
	// reason starts with code and ": ") due at now, if they were due later,
	// and returns how many: a lifted pause need not wait for their next
	// look.
	ResumeDeferred(ctx context.Context, tenant, sender, code string, now time.Time) (int, error)
	// Costs sums the tenant's messages charged in [from, to) by pricing
	// category and country, ordered by them.
	Costs(ctx context.Context, tenant string, from, to time.Time) ([]CostLine, error)
	// Spend is what the tenant's messages charged since a time cost, in
	// micros.
	Spend(ctx context.Context, tenant string, since time.Time) (int64, error)
}
