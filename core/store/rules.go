package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// Rules every adapter applies the same way.

// List limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ClampLimit returns n within (0, MaxLimit], DefaultLimit when n <= 0.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// statusRank orders message statuses; failed and unknown share a rank.
var statusRank = map[string]int{
	MessageQueued:    0,
	MessagePending:   0,
	MessageDeferred:  0,
	MessageSending:   1,
	MessageUnknown:   2,
	MessageFailed:    2,
	MessageSkipped:   2,
	MessageSent:      3,
	MessageDelivered: 4,
	MessageRead:      5,
}

// Advances reports whether a delivery report of status next moves a message
// that is at status cur forward. A failure applies until the message is
// known to have been delivered (a failure after sent is real). A sent report
// does not hide a failure that arrived before it; delivered and read
// override both failed and unknown.
func Advances(cur, next string) bool {
	if cur == MessageQueued {
		return false // never sent: the report is of another message
	}
	if next == MessageFailed {
		switch cur {
		case MessagePending, MessageSending, MessageUnknown, MessageSent:
			return true
		}
		return false
	}
	if cur == MessageFailed && next == MessageSent {
		return false
	}
	return statusRank[next] > statusRank[cur]
}

// CheckQueued rejects messages the outbox cannot send: one without a key,
// tenant or command fails them all, before any is written.
func CheckQueued(ms []Message) error {
	for _, m := range ms {
		if m.Key == "" || m.Tenant == "" || len(m.Command) == 0 {
			return fmt.Errorf("queueing message %q: key, tenant and command are required", m.Key)
		}
	}
	return nil
}

// QueuedTimes are when a queued message is created (now unless m says) and
// due (when created unless m says).
func QueuedTimes(m Message, now time.Time) (created, due time.Time) {
	created = now
	if !m.CreatedAt.IsZero() {
		created = Stamp(m.CreatedAt)
	}
	due = created
	if !m.DueAt.IsZero() {
		due = Stamp(m.DueAt)
	}
	return created, due
}

// SortLeased orders leased messages as they were created (by key among
// those created at once), which is the order a recipient gets them in.
func SortLeased(ds []DeferredMessage) {
	sort.SliceStable(ds, func(i, j int) bool {
		if !ds[i].CreatedAt.Equal(ds[j].CreatedAt) {
			return ds[i].CreatedAt.Before(ds[j].CreatedAt)
		}
		return ds[i].Key < ds[j].Key
	})
}

// CheckStatus rejects a status the message log does not know.
func CheckStatus(status string) error {
	if _, ok := statusRank[status]; !ok {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown message status %q", status))
	}
	return nil
}

// NewMemberID returns a new random member id.
func NewMemberID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "mem_" + hex.EncodeToString(b[:])
}

// Stamp returns t in UTC at the precision stores keep: microseconds. A zero
// t stays zero; what a store records by itself it stamps with its Clock.
func Stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// StampOr is Stamp(t), or Stamp(now) when t is zero.
func StampOr(t, now time.Time) time.Time {
	if t.IsZero() {
		return Stamp(now)
	}
	return Stamp(t)
}

// Clock is where a store takes the time of what it records by itself: the
// hub's clock, so that every time the hub records follows one clock. A nil
// Clock is the machine's.
type Clock func() time.Time

// Now returns the clock's time, stamped.
func (c Clock) Now() time.Time {
	if c == nil {
		return Stamp(time.Now())
	}
	return Stamp(c())
}

// Stamp is Stamp(t), or the clock's time when t is zero.
func (c Clock) Stamp(t time.Time) time.Time {
	if t.IsZero() {
		return c.Now()
	}
	return Stamp(t)
}

// Transition is one of the send stage's own status changes. It applies only
// to a message whose status is one of From; otherwise it changes nothing
// (a delivery report moved the message on first), except that MarkSent
// still fills a missing provider message id.
type Transition struct {
	To                string
	From              []string
	ProviderMessageID string // MarkSent only
	ErrorCode         string
	Reason            string
}

// SentTransition moves a pending, sending or unknown message to sent.
func SentTransition(providerMessageID string) Transition {
	return Transition{To: MessageSent, From: []string{MessagePending, MessageSending, MessageUnknown}, ProviderMessageID: providerMessageID}
}

// ReleaseTransition returns a sending or unknown message to pending.
func ReleaseTransition(errorCode, reason string) Transition {
	return Transition{To: MessagePending, From: []string{MessageSending, MessageUnknown}, ErrorCode: errorCode, Reason: reason}
}

// FailedTransition moves a pending, sending or unknown message to failed.
func FailedTransition(errorCode, reason string) Transition {
	return Transition{To: MessageFailed, From: []string{MessagePending, MessageSending, MessageUnknown}, ErrorCode: errorCode, Reason: reason}
}

// SkippedTransition moves a pending or sending message to skipped.
func SkippedTransition(code, reason string) Transition {
	return Transition{To: MessageSkipped, From: []string{MessagePending, MessageSending}, ErrorCode: code, Reason: reason}
}

// UnknownTransition moves a sending message to unknown.
func UnknownTransition(reason string) Transition {
	return Transition{To: MessageUnknown, From: []string{MessageSending}, Reason: reason}
}

// SortLots returns the lots as values in the order they are consumed.
func SortLots(lots []*loyalty.Lot) []loyalty.Lot {
	sort.SliceStable(lots, func(i, j int) bool { return loyalty.ConsumeOrder(lots[i], lots[j]) })
	out := make([]loyalty.Lot, len(lots))
	for i, l := range lots {
		out[i] = *l
	}
	return out
}

// LoyaltyMember is the part of a stored member the loyalty program uses.
func LoyaltyMember(m member.Member) loyalty.Member {
	return loyalty.Member{
		ID: m.ID, Tenant: m.Tenant, Phone: m.Phone, Name: m.Name, Email: m.Email,
		Balance: m.Balance, Pending: m.Pending, Tier: m.Tier, Referral: m.Referral,
		Birthday: m.Birthday, BirthdayYear: m.BirthdayYear, AnniversaryYear: m.AnniversaryYear, CreatedAt: m.CreatedAt,
	}
}

// NetSpend adds up orders' totals less their refunds, each a pair of
// decimal strings (total, refunded).
func NetSpend(orders [][2]string) (*big.Rat, error) {
	sum := new(big.Rat)
	for _, o := range orders {
		total, err := loyalty.ParseAmount(o[0])
		if err != nil {
			return nil, fmt.Errorf("stored order total: %w", err)
		}
		refunded, err := loyalty.ParseAmount(o[1])
		if err != nil {
			return nil, fmt.Errorf("stored order refund: %w", err)
		}
		sum.Add(sum, total.Sub(total, refunded))
	}
	return sum, nil
}

// OnlyPointsChanged reports whether a loyalty transaction changed nothing of
// the stored member before but its points (balance and pending): the
// adapters then update those columns alone, which leaves the members'
// indexes untouched.
func OnlyPointsChanged(before member.Member, after loyalty.Member) bool {
	return before.Name == after.Name && before.Email == after.Email &&
		before.Referral == after.Referral && before.Birthday == after.Birthday &&
		before.BirthdayYear == after.BirthdayYear && before.AnniversaryYear == after.AnniversaryYear &&
		sameTier(before.Tier, after.Tier)
}

func sameTier(a, b member.Tier) bool {
	return a.Name == b.Name && a.Manual == b.Manual &&
		sameTime(a.Since, b.Since) && sameTime(a.ReviewAt, b.ReviewAt) && sameTime(a.ManualUntil, b.ManualUntil)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
