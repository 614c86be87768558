package store

import (
	"context"
	"slices"
	"time"
)

// Checkout is a shop's checkout, kept so that one left unfinished can be
// announced as abandoned once.
type Checkout struct {
	Tenant   string `json:"tenant"`
	Token    string `json:"token"`
	Phone    string `json:"phone,omitempty"` // canonical key (member.NormalizePhone) when known
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	Total    string `json:"total,omitempty"` // decimal
	Currency string `json:"currency,omitempty"`
	URL      string `json:"url,omitempty"`
	// UpdatedAt is when the shop last changed the checkout.
	UpdatedAt time.Time `json:"updated_at"`
	// Completed is final: an order completed it, or the shop deleted it.
	Completed bool `json:"completed"`
	// AbandonedAt is when it was announced as abandoned; nil before.
	AbandonedAt *time.Time `json:"abandoned_at,omitempty"`
}

// Checkouts keeps shops' checkouts for abandoned-cart reminders. Updates
// arrive at least once and in any order.
type Checkouts interface {
	// UpsertCheckout records a checkout's state as of c.UpdatedAt (now
	// when zero); c.Tenant and c.Token are required and c.AbandonedAt is
	// ignored. A report older than the stored one changes none of its
	// fields; a completed checkout stays completed, and a report with
	// Completed completes it however old it is; an announced one keeps its
	// AbandonedAt.
	UpsertCheckout(ctx context.Context, c Checkout) error
	// CompleteCheckout marks the checkout with token completed. An unknown
	// token is stored completed, so that a late update does not revive it.
	CompleteCheckout(ctx context.Context, tenant, token string, at time.Time) error
	// DueCheckouts returns up to limit (see ClampLimit) of the tenant's
	// checkouts that are neither completed nor announced and were last
	// changed at or before before, oldest first. A checkout stays due until
	// it is marked or completed, so the caller marks every one it handles,
	// announced or not.
	DueCheckouts(ctx context.Context, tenant string, before time.Time, limit int) ([]Checkout, error)
	// MarkAbandoned records, in one transaction, that the checkouts marks
	// name were announced at at: each unless it was announced or completed
	// already, or its UpdatedAt is no longer the mark's (the value
	// DueCheckouts returned: it changed since). marked[i] reports whether
	// marks[i]'s checkout was marked.
	MarkAbandoned(ctx context.Context, tenant string, marks []CheckoutMark, at time.Time) (marked []bool, err error)
}

// CheckoutMark names a checkout DueCheckouts returned, as it was then.
type CheckoutMark struct {
	Token     string
	UpdatedAt time.Time
}

// MarkedTokens answers MarkAbandoned from the tokens a store marked.
func MarkedTokens(marks []CheckoutMark, tokens []string) []bool {
	out := make([]bool, len(marks))
	for i, m := range marks {
		out[i] = slices.Contains(tokens, m.Token)
	}
	return out
}

// Privacy erases personal data on request (a shop's customers/redact).
type Privacy interface {
	// RedactMember erases the personal data of the member, in one
	// transaction: phone (replaced by RedactedPhone, unique to the member,
	// so the number can join again as a new member), name, email and
	// birthday; the contact (consent and its text, window, hold, profile
	// name) of that phone; the chatbot's conversations with that phone and
	// with the contact's user id; the body, kept content, phone number and
	// user id of inbound messages from that phone or from the contact's
	// user id; the recipient and kept command of the member's messages and
	// of any message to that phone; the phone, email and name of checkouts
	// with that phone or the member's email; the payload of the member's
	// webhook deliveries (emptied to {}; one not yet delivered fails with
	// WebhookErased). Points, ledger entries, lots,
	// orders, redemptions, badges and the referral code stay, anonymised
	// by the member id alone. Redacting twice changes nothing; ErrNotFound
	// when there is no such member.
	//
	// A member's customer ids and emails (its identities) are erased with
	// it; the ids of members merged into it keep finding it.
	RedactMember(ctx context.Context, tenant, memberID string) error
	// RedactDeadLetters erases the payload of each of the tenant's dead
	// letters whose payload match reports as holding personal data, in one
	// transaction, and returns how many it erased. An erased dead letter
	// keeps its reason and metadata, with RedactedMeta set to at; it can no
	// longer be replayed.
	RedactDeadLetters(ctx context.Context, tenant string, match func(payload []byte) bool, at time.Time) (int, error)
	// MemberIDs returns up to limit (see ClampLimit) of the tenant's
	// member ids after afterID ("" for the first page), in id order, for
	// work over every member (a whole shop's redaction).
	MemberIDs(ctx context.Context, tenant, afterID string, limit int) ([]string, error)
	// RecordErasure keeps the record of an erasure done on a person's
	// request, once per (tenant, request id): the first time it stores e
	// (At now when zero) and returns it with recorded=true; after that it
	// returns the record kept first, recorded=false. Tenant and RequestID
	// are required.
	RecordErasure(ctx context.Context, e Erasure) (kept Erasure, recorded bool, err error)
	// Erasure returns the record of the tenant's request id; ErrNotFound
	// when none was kept.
	Erasure(ctx context.Context, tenant, requestID string) (Erasure, error)
}

// Erasure is the record of a person's personal data erased on their
// request: who asked for it, the members erased (by id: nothing in it
// names the person) and how many dead letters were erased with them.
type Erasure struct {
	Tenant      string    `json:"tenant"`
	RequestID   string    `json:"request_id"`
	Actor       string    `json:"actor,omitempty"`
	Members     []string  `json:"members"`
	DeadLetters int       `json:"dead_letters"`
	At          time.Time `json:"at"`
}

// NonNilIDs returns ids, or an empty list for nil: an erasure's members
// are a list, never null.
func NonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// RedactedMeta is the metadata key of a dead letter whose payload was
// erased: the time it was, in RFC 3339.
const RedactedMeta = "redacted_at"

// RedactedPrefix starts the phone number RedactMember leaves on a member:
// RedactedPrefix + the member id.
const RedactedPrefix = "redacted:"

// RedactedPhone is the tombstone RedactMember puts in place of the phone
// number of the member with id.
func RedactedPhone(memberID string) string { return RedactedPrefix + memberID }

// SyncItem is a member queued for writing back through a connector. Seq
// changes every time the member is queued again.
type SyncItem struct {
	MemberID string
	Seq      int64
}

// SyncQueue is the durable list of members whose loyalty state must be
// written back to a source system (connectors.MemberSyncer), so that a
// crash between a change and its write-back loses nothing.
type SyncQueue interface {
	// QueueSync queues members for the tenant's connector; a member queued
	// already stays queued once, in its place, with a new Seq.
	QueueSync(ctx context.Context, tenant, connector string, memberIDs []string) error
	// PendingSync returns up to limit (see ClampLimit) queued members of
	// the connector, longest queued first (by member id among those queued
	// together). It does not remove them: a crash before DoneSync leaves
	// them queued.
	PendingSync(ctx context.Context, tenant, connector string, limit int) ([]SyncItem, error)
	// DoneSync removes the items whose Seq is unchanged: a member queued
	// again since PendingSync stays queued, for its newer state.
	DoneSync(ctx context.Context, tenant, connector string, items []SyncItem) error
}
