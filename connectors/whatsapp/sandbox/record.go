package sandbox

import (
	"slices"
	"strings"
	"time"
)

// InboundRecord is a customer's message to the business, as the sandbox
// delivered it: it opens the customer's 24-hour window with that number.
type InboundRecord struct {
	ID            string    `json:"id"`
	PhoneNumberID string    `json:"phone_number_id"`
	From          string    `json:"from"` // digits, as wa_id
	Type          string    `json:"type"` // text, button, button_reply, list_reply
	Text          string    `json:"text"`
	At            time.Time `json:"at"`
}

// Preference is a customer stopping (Stop) or resuming marketing messages
// in WhatsApp, as Meta's user_preferences webhook reports it.
type Preference struct {
	WaID string    `json:"wa_id"`
	Stop bool      `json:"stop"`
	At   time.Time `json:"at"`
}

// LimitChange is a new messaging limit of the business portfolio: how many
// unique customers it may reach outside their window in a moving 24
// hours; -1 is unlimited.
type LimitChange struct {
	Limit int       `json:"limit"`
	At    time.Time `json:"at"`
}

// Record is everything the sandbox saw, in order: what it accepted, what
// customers wrote, their marketing preferences and the messaging limits it
// announced. It is the BSP's side of the story, kept apart from anything
// the business records, for an audit of what the business did.
type Record struct {
	Messages    []Received      `json:"messages"`
	Inbound     []InboundRecord `json:"inbound"`
	Preferences []Preference    `json:"preferences"`
	// Limits starts with Config.MessagingLimit at the sandbox's start.
	Limits []LimitChange `json:"limits"`
}

// journal is the part of Record besides the accepted messages; guarded by
// Server.mu.
type journal struct {
	inbound     []InboundRecord
	preferences []Preference
	limits      []LimitChange
}

// Record returns a copy of the sandbox's record.
func (s *Server) Record() Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Record{
		Messages:    slices.Clone(s.msgs),
		Inbound:     slices.Clone(s.journal.inbound),
		Preferences: slices.Clone(s.journal.preferences),
		Limits:      slices.Clone(s.journal.limits),
	}
}

// recordLimit adds a messaging limit to the journal.
func (s *Server) recordLimit(limit int) {
	limit = limitOrUnlimited(limit)
	now := s.cfg.Clock()
	s.mu.Lock()
	s.journal.limits = append(s.journal.limits, LimitChange{Limit: limit, At: now})
	s.mu.Unlock()
}

// tierLimits are the messaging limits of the TIER_* names of older
// phone_number_quality_update payloads.
var tierLimits = map[string]int{
	"TIER_50": 50, "TIER_250": 250, "TIER_1K": 1000, "TIER_2K": 2000, "TIER_10K": 10000,
	"TIER_100K": 100000, "TIER_UNLIMITED": -1,
}

// qualityLimit returns the messaging limit a quality update announces, if
// it announces one.
func qualityLimit(q QualityUpdate) (int, bool) {
	if q.MaxDailyConversations != 0 {
		return q.MaxDailyConversations, true
	}
	n, ok := tierLimits[strings.ToUpper(q.CurrentLimit)]
	return n, ok
}
