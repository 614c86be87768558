package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/connectors/inbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/survey"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// HandoffSignatureHeader carries the hex HMAC-SHA256 of a handoff
// webhook's body, keyed with the tenant's conversation.handoff.secret.
const HandoffSignatureHeader = inbox.SignatureHeader

// HandoffEvent is what the handoff webhook receives: a conversation handed
// to a person started or ended, or the customer wrote in one.
type HandoffEvent struct {
	// Event is handoff.started, message.received or handoff.ended.
	Event  string    `json:"event"`
	Tenant string    `json:"tenant"`
	At     time.Time `json:"at"`
	// Contact is the customer: phone (canonical key, empty when WhatsApp
	// withholds it), business-scoped user id, profile name, member id and the
	// language the bot spoke with them.
	Contact HandoffContact `json:"contact"`
	// Message is the customer's message (message.received, and the one
	// that started the handoff).
	Message *HandoffMessage `json:"message,omitempty"`
	// Reason says why the handoff started (asked, misunderstood) or ended
	// (released, timeout); Until is when it ends unless released.
	Reason string     `json:"reason,omitempty"`
	Until  *time.Time `json:"until,omitempty"`
	// Reply is where an agent answers: POST with {"text": "…"} and the
	// admin token.
	Reply string `json:"reply"`
}

// HandoffContact names the customer of a handoff.
type HandoffContact struct {
	Phone    string `json:"phone,omitempty"`
	UserID   string `json:"user_id,omitempty"`
	Name     string `json:"name,omitempty"`
	MemberID string `json:"member_id,omitempty"`
	Language string `json:"language,omitempty"`
}

// HandoffMessage is a customer's message in a handoff: besides its text,
// what else the customer sent, as message.received carries it (a tapped
// button, a Flow's answer, media, a location, contact cards, a reaction, a
// cart, the quoted message, an ad's referral, errors' details), so that the
// person answering sees it.
type HandoffMessage struct {
	ID        string              `json:"id"`
	Type      string              `json:"type"`
	Text      string              `json:"text,omitempty"`
	Timestamp time.Time           `json:"timestamp"`
	Reply     *event.Reply        `json:"reply,omitempty"`
	Flow      *event.FlowReply    `json:"flow,omitempty"`
	Media     *event.Media        `json:"media,omitempty"`
	Location  json.RawMessage     `json:"location,omitempty"`
	Contacts  json.RawMessage     `json:"contacts,omitempty"`
	Reaction  *event.Reaction     `json:"reaction,omitempty"`
	Order     json.RawMessage     `json:"order,omitempty"`
	Referral  json.RawMessage     `json:"referral,omitempty"`
	Context   *event.ReplyContext `json:"context,omitempty"`
	Errors    []event.StatusError `json:"errors,omitempty"`
}

// handoffMessage is m as the handoff webhook shows it.
func handoffMessage(m event.MessageReceived) *HandoffMessage {
	return &HandoffMessage{
		ID: m.MessageID, Type: m.Type, Text: m.Text, Timestamp: m.Timestamp,
		Reply: m.Reply, Flow: m.Flow, Media: m.Media, Location: m.Location, Contacts: m.Contacts,
		Reaction: m.Reaction, Order: m.Order, Referral: m.Referral, Context: m.Context, Errors: m.Errors,
	}
}

// Handoff webhook events.
const (
	HandoffStarted  = conversation.HandoffStarted
	HandoffMessageE = conversation.HandoffMessage
	HandoffEnded    = conversation.HandoffEnded
)

// postHandoff delivers a handoff event to the tenant's webhook through the
// inbox client, whose HTTP layer asks again at once only for what the inbox
// certainly did not receive. A retryable failure comes back with the
// inbox's Retry-After: the inbound message that caused it is processed
// again (the pipeline's retries). A permanent one (a 4xx: a wrong URL, a
// refused signature) dead-letters that message, to replay once the inbox is
// fixed.
func (r *Responder) postHandoff(ctx context.Context, url, secret string, e HandoffEvent) error {
	if url == "" {
		return nil
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding handoff event: %w", err))
	}
	if err := r.Inbox.Post(ctx, url, secret, body); err != nil {
		return fmt.Errorf("posting handoff event: %w", err)
	}
	r.HandoffEvents.WithLabelValues(e.Tenant, e.Event).Inc()
	return nil
}

// HandoffReleased tells tenant t's inbox that the operator gave
// conversation conv back to the bot at at (the admin API's release).
func (r *Responder) HandoffReleased(ctx context.Context, t *runtime.Tenant, conv store.Conversation, at time.Time) error {
	hc := t.Config.Conversation.Handoff
	e := HandoffEvent{Event: HandoffEnded, Tenant: t.ID, At: at.UTC(), Reason: conversation.HandoffReleased,
		Contact: HandoffContact{Phone: conv.Phone, UserID: conv.UserID, Language: conv.Lang},
		Reply:   "/api/v1/tenants/" + t.ID + "/conversations/messages"}
	err := r.postHandoff(ctx, hc.WebhookURL, hc.Secret, e)
	return errors.Join(err, r.inviteAfterHandoff(ctx, t, conv.Phone, at))
}

// inviteAfterHandoff invites the member whose handoff ended at at, by
// phone, to the tenant's surveys on handoff.ended.
func (r *Responder) inviteAfterHandoff(ctx context.Context, t *runtime.Tenant, phone string, at time.Time) error {
	if phone == "" {
		return nil
	}
	found := false
	for _, s := range t.Config.Surveys {
		found = found || s.Trigger == survey.TriggerHandoffEnded
	}
	if !found {
		return nil
	}
	m, err := r.Store.MemberByPhone(ctx, t.ID, phone)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // only members are surveyed
	case err != nil:
		return fmt.Errorf("finding the member: %w", err)
	}
	return r.Invite(ctx, t, Trigger{Type: survey.TriggerHandoffEnded, At: at, MemberID: m.ID, Phone: phone,
		EventID: event.DerivedID("ev_", t.ID, survey.TriggerHandoffEnded, phone, strconv.FormatInt(at.UnixNano(), 10))})
}
