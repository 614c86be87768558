// Package store defines the persistence the pipeline stages need. Adapters
// live in store/sqlite and store/postgres; both pass the suite in
// store/storetest. The loyalty transaction is decided here once
// (RunTransact, ResolveMember) and carried out by each adapter through
// AccountTx, with its own SQL, locks and batching; scheduled work on a
// batch of members runs the same transaction for each (RunOps, RunMember)
// over what the batch read, its plain writes set-based (PlainWrites).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")

// Store is the whole persistence API. Implementations are safe for
// concurrent use. Every write is one transaction.
type Store interface {
	// Migrate applies pending versioned migrations; it is safe to run at
	// every start and from several replicas at once.
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error

	Members
	Ledger
	Accounts
	Rewards
	Leases
	Messages
	Senders
	Contacts
	Conversations
	DeadLetters
	Checkouts
	Privacy
	SyncQueue
	Analytics
	Campaigns
	Segments
	Surveys
	MemberLists
	Journeys
	MemberTags
	Links
	APIKeys
	Audit
	Webhooks
}

// Members reads members.
type Members interface {
	// MemberByPhone returns the member with a phone (its canonical key,
	// member.NormalizePhone or member.PhoneKey), without its Identities:
	// the lookup of every chat message.
	MemberByPhone(ctx context.Context, tenant, phone string) (member.Member, error)
	// Member returns a member by id, with its Identities; the id of a
	// member merged into another returns the one it was merged into.
	Member(ctx context.Context, tenant, id string) (member.Member, error)
	// MemberByIdentity returns the member an identity finds: a phone
	// (canonical key), a customer id of a connector, an email (any case), or a
	// merged member's id; with its Identities. ErrNotFound when none does.
	MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error)
}

// LedgerEntry is one append-only ledger row.
type LedgerEntry struct {
	ID           int64  `json:"id"`
	Tenant       string `json:"tenant"`
	MemberID     string `json:"member_id"`
	EventID      string `json:"event_id"`
	Rule         string `json:"rule"`
	Kind         string `json:"kind"`
	Points       int64  `json:"points"`
	BalanceAfter int64  `json:"balance_after"`
	// PendingPoints is the change of the member's pending points.
	PendingPoints int64     `json:"pending_points,omitempty"`
	PendingAfter  int64     `json:"pending_after"`
	LotID         string    `json:"lot_id,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	RefEventID    string    `json:"ref_event_id,omitempty"` // the event whose points this entry takes back
	Actor         string    `json:"actor,omitempty"`        // who made a manual adjustment
	Reason        string    `json:"reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Ledger reads the ledger; loyalty transactions write it (Accounts).
type Ledger interface {
	// Entries lists a member's ledger, newest first.
	Entries(ctx context.Context, tenant, memberID string, limit int) ([]LedgerEntry, error)
}

// Message statuses. Status only moves forward along
// queued < pending < sending < sent < delivered < read; failed and unknown
// are reached from pending or sending; a later delivered or read overrides a
// failed or unknown. A queued message was never handed to a BSP, so no
// delivery report moves it.
const (
	MessageQueued    = "queued"  // in the outbox: written with the change that caused it, waiting for the sender
	MessagePending   = "pending" // claimed but not yet attempted, or released after a definite rejection
	MessageSending   = "sending" // a send attempt is (or was, before a crash) in flight
	MessageUnknown   = "unknown" // an attempt ended without a known answer
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageRead      = "read"
	MessageFailed    = "failed"
	MessageSkipped   = "skipped"  // refused by the tenant's messaging policy: never sent
	MessageDeferred  = "deferred" // held back by the messaging policy until a time, then sent
)

// DeferredMessage is a queued or deferred message that is due, or an
// interrupted attempt: its command goes (back) to the sender.
type DeferredMessage struct {
	Key       string
	Tenant    string
	Recipient string
	Command   []byte
	CreatedAt time.Time
	// Trace is the message's trace context (Message.Trace).
	Trace string
}

// Message is one row of the message log.
type Message struct {
	Key               string          `json:"key"`
	Tenant            string          `json:"tenant"`
	MemberID          string          `json:"member_id,omitempty"`
	Sender            string          `json:"sender"`
	Recipient         string          `json:"recipient"` // the command's To ("+" and digits) or user id
	Kind              string          `json:"kind"`
	Template          string          `json:"template,omitempty"`
	Category          string          `json:"category,omitempty"`
	Status            string          `json:"status"`
	ProviderMessageID string          `json:"provider_message_id,omitempty"`
	ErrorCode         string          `json:"error_code,omitempty"`
	Error             string          `json:"error,omitempty"`
	Attempts          int             `json:"attempts"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
	Timeline          []MessageStatus `json:"timeline,omitempty"`
	// SentAs is SentAsFallback when the message went out as its fallback
	// template instead of its free-form text (Template then names the
	// template sent); empty when it went out as written.
	SentAs string `json:"sent_as,omitempty"`
	// Command is the command the message was sent from, kept for a
	// free-form message so that it can still go out as its fallback
	// template when the BSP reports the window closed after accepting it.
	// ClaimMessage and EnqueueMessages store it when set; Message returns
	// it.
	Command []byte `json:"-"`
	// DueAt is when a queued message is to be sent (its creation time when
	// zero); EnqueueMessages stores it.
	DueAt time.Time `json:"due_at,omitzero"`
	// Origin is what wrote the message, for analytics: "rule:<name>" for a
	// notification rule, "chat" for the chatbot's replies, "" when unknown
	// (see messaging.Command.Origin). ClaimMessage and EnqueueMessages
	// store it with a new message.
	Origin string `json:"origin,omitempty"`
	// Pricing is what WhatsApp reported it charges for the message and
	// what that cost, once a status carried pricing; Message returns it.
	Pricing *MessagePricing `json:"pricing,omitempty"`
	// Trace is the W3C trace context (a traceparent) of the span that
	// queued the message, then of the send attempt that claimed it: its
	// delivery reports link to it. EnqueueMessages and ClaimMessage store
	// it when set, DueMessages and StaleAttempts return it, MessageTrace
	// reads it; empty when not traced.
	Trace string `json:"-"`
}

// MessagePricing is a message's recorded pricing (StatusUpdate.Pricing):
// category, type and billable as WhatsApp reported them, the recipient's
// country, and the cost in micros of the tenant's pricing currency once a
// delivered or read report charged it (ChargedAt).
type MessagePricing struct {
	Category  string    `json:"category,omitempty"`
	Type      string    `json:"type,omitempty"`
	Billable  *bool     `json:"billable,omitempty"`
	Country   string    `json:"country,omitempty"`
	Cost      int64     `json:"cost_micros"`
	ChargedAt time.Time `json:"charged_at,omitzero"`
}

// SentAsFallback marks a message sent as its fallback template: the
// customer's 24-hour window was closed (by the contact's record, or as
// WhatsApp answered), so its free-form text could not go out.
const SentAsFallback = "fallback_template"

// MessageStatus is one step of a message's status timeline.
type MessageStatus struct {
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
	ErrorCode string    `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// StatusUpdate is a delivery report to apply to the message log. The message
// is found by ProviderMessageID, else by Key (our id echoed back by the BSP).
type StatusUpdate struct {
	Tenant            string
	ProviderMessageID string
	Key               string
	Status            string
	At                time.Time
	ErrorCode         string
	Error             string
	// Pricing is what WhatsApp reports it charges for the message, when
	// the report carries it. Until the message is charged the latest
	// pricing is recorded; the first delivered or read report with
	// pricing charges it, Pricing.Cost, once: later reports change
	// nothing of it.
	Pricing *StatusPricing
}

// Charges reports whether a delivery report with pricing charges its
// message: WhatsApp charges per delivered message.
func (u StatusUpdate) Charges() bool {
	return u.Pricing != nil && (u.Status == MessageDelivered || u.Status == MessageRead)
}

// MessageFilter selects messages to list.
type MessageFilter struct {
	MemberID string
	Status   string
	Limit    int
}

// Messages is the message log with its claim protocol.
type Messages interface {
	// EnqueueMessages writes messages to the outbox: each as queued, with
	// its Command, due at its DueAt. A key the log has already is left as
	// it is, so writing the same messages again changes nothing.
	EnqueueMessages(ctx context.Context, ms []Message) error
	// ClaimMessage moves the message with m.Key to sending: it inserts it
	// when new, or takes it over when it is queued, pending or deferred. It
	// returns claimed=true
	// when the caller now owns the attempt; otherwise it returns the current
	// record and the caller must not send. A sending or unknown message
	// without a command keeps m.Command.
	ClaimMessage(ctx context.Context, m Message) (current Message, claimed bool, err error)
	// MarkFallback records that the claimed free-form message with key
	// goes out as its fallback template, named template: SentAs becomes
	// SentAsFallback. A later claim of the message clears it again.
	MarkFallback(ctx context.Context, key, template string, at time.Time) error
	// MarkSent records the BSP's acceptance of a claimed message.
	MarkSent(ctx context.Context, key, providerMessageID string, at time.Time) error
	// ReleaseMessage returns a claimed message to pending after the BSP
	// definitely rejected the attempt (so it may be retried).
	ReleaseMessage(ctx context.Context, key, errorCode, reason string, at time.Time) error
	// MarkFailed records a permanent failure.
	MarkFailed(ctx context.Context, key, errorCode, reason string, at time.Time) error
	// MarkSkipped records that the messaging policy refused the message,
	// with a code (no_consent, opted_out, daily_cap, held…) and reason.
	MarkSkipped(ctx context.Context, key, code, reason string, at time.Time) error
	// DeferMessage holds a claimed (sending) or released (pending) message
	// back until a time, keeping the command to send then: it is due in the
	// outbox again then (DueMessages), and a claim takes it over like a
	// pending one.
	DeferMessage(ctx context.Context, key string, until time.Time, command []byte, reason string, at time.Time) error
	// DueMessages returns up to limit queued or deferred messages due at
	// now, the earliest due ones, in the order they were created, and pushes their due time on to now+lease, so
	// that no other call (of this replica or another) returns them again
	// before they were claimed or the lease ran out. A crash between this
	// call and ClaimMessage leaves them to a call after the lease.
	DueMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]DeferredMessage, error)
	// MarkUnknown records that an attempt's result is unknown.
	MarkUnknown(ctx context.Context, key, reason string, at time.Time) error
	// RetakeMessage starts a new attempt of a message whose earlier attempt
	// never got an answer: it moves the message from sending or unknown to
	// sending with one more attempt, recording code and reason in the
	// timeline first, but only while the message is exactly as the caller
	// saw it (seen.Status and seen.UpdatedAt). Of several callers that saw
	// the same attempt, one gets claimed=true and owns the new attempt; the
	// others, and every caller once a status report moved the message on,
	// get false and must not send.
	RetakeMessage(ctx context.Context, seen Message, code, reason string, at time.Time) (claimed bool, err error)
	// StaleAttempts returns up to limit messages of tenant that are sending
	// or unknown, unchanged since before, and keep their command; it pushes
	// their lease on to now+lease, so that another call does not return them
	// again before then (or before an attempt changed them). They are the
	// attempts a crash or a lost answer left behind, whose commands may never
	// come back from the queue.
	StaleAttempts(ctx context.Context, tenant string, before, now time.Time, limit int, lease time.Duration) ([]DeferredMessage, error)
	// ApplyStatus applies a delivery report; out-of-order and repeated
	// reports are harmless. It returns applied=false when the status did not
	// move the message forward, and ErrNotFound when no message matches.
	ApplyStatus(ctx context.Context, u StatusUpdate) (applied bool, err error)
	// ApplyStatuses applies several delivery reports in one transaction,
	// as ApplyStatus would one by one. missing[i] is true for a report
	// that matches no message (nothing to apply); err is any other
	// failure, and then none is applied. Concurrent calls may share a
	// transaction (both stores group them, so that many webhooks' reports
	// commit once); each call's reports still apply or fail together.
	ApplyStatuses(ctx context.Context, us []StatusUpdate) (missing []bool, err error)
	// MessageTrace returns the trace context (Message.Trace) of the
	// message the report u names, found as ApplyStatus finds it: empty
	// when it has none, ErrNotFound when no message matches.
	MessageTrace(ctx context.Context, u StatusUpdate) (string, error)
	// Message returns one message with its timeline, in the order the steps
	// were recorded (a BSP timestamp has only second precision).
	Message(ctx context.Context, tenant, key string) (Message, error)
	// ListMessages lists a tenant's messages, newest first, without timelines.
	ListMessages(ctx context.Context, tenant string, f MessageFilter) ([]Message, error)
}

// DeadLetter is a message a stage gave up on, kept with the reason.
type DeadLetter struct {
	ID         string            `json:"id"` // the queue message's uuid
	Tenant     string            `json:"tenant"`
	Topic      string            `json:"topic"`   // topic it was consumed from, where replay publishes it
	Handler    string            `json:"handler"` // stage that failed
	Reason     string            `json:"reason"`
	Payload    []byte            `json:"payload"`
	Metadata   map[string]string `json:"metadata"`
	CreatedAt  time.Time         `json:"created_at"`
	ReplayedAt *time.Time        `json:"replayed_at,omitempty"`
}

// DeadLetters stores dead letters for inspection and replay.
type DeadLetters interface {
	// AddDeadLetter stores d; adding the same id again changes nothing.
	AddDeadLetter(ctx context.Context, d DeadLetter) error
	// ListDeadLetters lists a tenant's dead letters, newest first.
	ListDeadLetters(ctx context.Context, tenant string, limit int) ([]DeadLetter, error)
	DeadLetter(ctx context.Context, tenant, id string) (DeadLetter, error)
	MarkReplayed(ctx context.Context, tenant, id string, at time.Time) error
}
