package store

import (
	"context"
	"time"
)

// Conversation steps: what the chatbot waits for from a customer.
const (
	StepNone          = ""              // nothing: a message is a new request
	StepAwaitConsent  = "await_consent" // asked whether they accept promotional messages (joining)
	StepAwaitConfirm  = "await_confirm" // asked to confirm redeeming RewardID
	StepAwaitLanguage = "await_language"
)

// Conversation is the chatbot's state with one WhatsApp user of a tenant,
// found by phone number or business-scoped user id like a Contact.
type Conversation struct {
	Tenant string `json:"tenant"`
	Phone  string `json:"phone,omitempty"` // canonical key, as a Contact's
	UserID string `json:"user_id,omitempty"`
	// Lang is the language the user chose or was last answered in ("" at
	// first).
	Lang string `json:"lang,omitempty"`
	// LangChosen is true when the user chose Lang themselves; a chosen
	// language wins over the keyword's and the phone's.
	LangChosen bool   `json:"lang_chosen,omitempty"`
	Step       string `json:"step,omitempty"`
	// RewardID is the reward awaiting confirmation (StepAwaitConfirm);
	// JoinCode and JoinSource are the referral code and where the user
	// came from (qr, link, ad) while joining (StepAwaitConsent).
	RewardID   string `json:"reward_id,omitempty"`
	JoinCode   string `json:"join_code,omitempty"`
	JoinSource string `json:"join_source,omitempty"`
	// Misunderstood counts the messages in a row the bot did not
	// understand; a few hand the user to a person.
	Misunderstood int `json:"misunderstood,omitempty"`
	// HandoffUntil, while in the future, silences the bot for this user: a
	// person answers (HandoffReason says why it started).
	HandoffUntil  time.Time `json:"handoff_until,omitzero"`
	HandoffReason string    `json:"handoff_reason,omitempty"`
	// LastMessageID is the last customer message the bot handled, so that
	// a message delivered again after a crash is answered if, and only if,
	// it was not answered yet.
	LastMessageID string `json:"last_message_id,omitempty"`
	// LastMessageAt is when that message was sent, by WhatsApp's clock
	// (whole seconds): a message sent in an earlier second was followed
	// by a handled one.
	LastMessageAt time.Time `json:"last_message_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// InHandoff reports whether a person, not the bot, answers at now.
func (c Conversation) InHandoff(now time.Time) bool { return now.Before(c.HandoffUntil) }

// Conversations keeps the chatbot's state per user.
type Conversations interface {
	// Conversation returns the state with the user ref names: found by
	// phone number first, else by user id, or the newer of the two when
	// the phone number and the user id name states stored apart. The state
	// carries the ref's phone number and user id, so saving it links them;
	// it is the zero state (with Tenant and the ref's phone and user id)
	// when there is none yet. ErrNoContact when ref names nobody.
	Conversation(ctx context.Context, tenant string, ref ContactRef) (Conversation, error)
	// SaveConversation stores c, replacing what was stored for its user,
	// with UpdatedAt set to the time of saving. c.Tenant is required, and
	// a phone number or user id (else ErrNoContact). When c's phone number
	// and user id name states stored apart, saving merges them into the
	// phone number's, which keeps c and takes the user id; the other gives
	// the user id up and is deleted when it has no phone number left.
	SaveConversation(ctx context.Context, c Conversation) error
	// Handoffs lists up to limit (see ClampLimit) of the tenant's
	// conversations a person answers at now (InHandoff), longest waiting
	// first: the earliest HandoffUntil first.
	Handoffs(ctx context.Context, tenant string, now time.Time, limit int) ([]Conversation, error)
}

// ResolveConversation decides the state Conversation returns from the
// states found by ref's phone number and by its user id (either may be
// nil): the phone number's, else the user id's, or the newer when they are
// two states stored apart; the zero state of the tenant when both are nil.
// The result carries ref's phone number and user id where they are set.
func ResolveConversation(tenant string, ref ContactRef, byPhone, byUser *Conversation) Conversation {
	var c Conversation
	switch {
	case byPhone != nil && byUser != nil && byUser.Phone != byPhone.Phone && byUser.UpdatedAt.After(byPhone.UpdatedAt):
		c = *byUser
	case byPhone != nil:
		c = *byPhone
	case byUser != nil:
		c = *byUser
	default:
		c = Conversation{Tenant: tenant}
	}
	if ref.Phone != "" {
		c.Phone = ref.Phone
	}
	if ref.UserID != "" {
		c.UserID = ref.UserID
	}
	return c
}

// MergeConversations decides how saving c changes the stored states found
// by c's phone number and by its user id (either may be nil). The phone
// number's row, else the user id's, takes c (target), keeping the stored
// phone number or user id that c leaves empty. A different row found by
// the user id alone gives it up (detach): the adapter deletes it when it
// has no phone number, or stores it without the user id otherwise.
func MergeConversations(c Conversation, byPhone, byUser *Conversation) (target Conversation, detach *Conversation) {
	target = c
	if target.Phone == "" && byUser != nil {
		target.Phone = byUser.Phone
	}
	if target.UserID == "" && byPhone != nil {
		target.UserID = byPhone.UserID
	}
	if byPhone != nil && byUser != nil && byUser.Phone != byPhone.Phone {
		d := *byUser
		d.UserID = ""
		detach = &d
	}
	return target, detach
}
