package loyalty

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// Entry kinds of the ledger.
const (
	EntryEarn     = "earn"     // points available at once
	EntryPending  = "pending"  // points held for a returns window
	EntryActivate = "activate" // pending points become available
	EntryRedeem   = "redeem"   // points spent on a reward
	EntryReverse  = "reverse"  // points taken back after a refund or cancellation
	EntryExpire   = "expire"   // points past their expiry date
	EntryAdjust   = "adjust"   // a manual correction
)

// Lot states.
const (
	LotPending   = "pending"   // held; counts in the member's pending points
	LotActive    = "active"    // spendable while Remaining > 0
	LotCancelled = "cancelled" // a pending lot whose order was refunded in full
	LotExpired   = "expired"   // its remaining points expired
)

// Member is the part of a member the program reads and changes.
type Member struct {
	ID      string      `json:"id"`
	Tenant  string      `json:"tenant"`
	Phone   string      `json:"phone"`
	Name    string      `json:"name,omitempty"`
	Email   string      `json:"email,omitempty"`
	Balance int64       `json:"balance"` // spendable points; negative only as a debt the program allows
	Pending int64       `json:"pending"` // points held in pending lots
	Tier    member.Tier `json:"tier"`
	// Referral is the member's referral code and referrer.
	Referral member.Referral `json:"referral"`
	// Birthday is "MM-DD" when known; BirthdayYear the last year it was
	// celebrated.
	Birthday     string `json:"birthday,omitempty"`
	BirthdayYear int    `json:"birthday_year,omitempty"`
	// AnniversaryYear is the last year the membership's anniversary was
	// celebrated (CelebrateAnniversary).
	AnniversaryYear int       `json:"anniversary_year,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// Lot is the points one entry earned, consumed first-to-expire first.
type Lot struct {
	ID          string     `json:"id"`
	MemberID    string     `json:"member_id"`
	Rule        string     `json:"rule"`
	EventID     string     `json:"event_id"`
	OrderID     string     `json:"order_id,omitempty"`
	Points      int64      `json:"points"`    // earned
	Remaining   int64      `json:"remaining"` // not yet spent, reversed or expired
	Reversed    int64      `json:"reversed"`  // taken back by refunds, including any part forgiven
	Status      string     `json:"status"`
	EarnedAt    time.Time  `json:"earned_at"`
	ActivatesAt *time.Time `json:"activates_at,omitempty"` // pending lots
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`   // nil: never
	Reminded    bool       `json:"reminded,omitempty"`     // points.expiring was emitted for it
}

// LotID is the id of the lot an event's rule (or another part) creates: the
// tenant is part of it, as lot ids are unique across tenants.
func LotID(tenant, eventID, part string) string {
	return event.DerivedID("lot_", tenant, eventID, part)
}

// Order is what the program keeps of an order to reverse its points later.
type Order struct {
	ID       string `json:"id"`
	MemberID string `json:"member_id"`
	EventID  string `json:"event_id"` // the order.paid event
	Total    string `json:"total"`    // decimal, as paid
	Refunded string `json:"refunded"` // decimal, refunds so far
	Currency string `json:"currency,omitempty"`
}

// Entry is one append-only ledger row. Points is the change of the
// member's balance and PendingPoints the change of pending points.
type Entry struct {
	Kind          string    `json:"kind"`
	Points        int64     `json:"points"`
	PendingPoints int64     `json:"pending_points,omitempty"`
	BalanceAfter  int64     `json:"balance_after"`
	PendingAfter  int64     `json:"pending_after"`
	LotID         string    `json:"lot_id,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	RefEventID    string    `json:"ref_event_id,omitempty"` // the event whose points this entry takes back
	EventID       string    `json:"event_id"`
	Rule          string    `json:"rule,omitempty"`
	Actor         string    `json:"actor,omitempty"` // who made a manual adjustment
	Reason        string    `json:"reason"`
	At            time.Time `json:"at"`
}

// Outcome is something the program decided that notifications may act on.
type Outcome struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// Outcome types.
const (
	OutcomeMemberJoined    = "member.joined"
	OutcomePointsEarned    = "points.earned"
	OutcomePointsPending   = "points.pending"
	OutcomePointsActivated = "points.activated"
	OutcomePointsReversed  = "points.reversed"
	OutcomePointsExpired   = "points.expired"
	OutcomePointsExpiring  = "points.expiring"
	OutcomePointsAdjusted  = "points.adjusted"
)

// Account is one member's state inside one store transaction: the program
// changes it and the store writes what changed.
type Account struct {
	Member Member
	New    bool   // the member was created by this event
	Lots   []*Lot // the lots loaded so far; see ConsumeOrder for the spending order
	// LoadLots, when set, returns the member's open lots (pending, or active
	// with points left); the program calls it the first time it needs them
	// (to spend, expire or activate points), so that earning does not read
	// every lot of a member who has many. Nil means Lots holds them all.
	LoadLots func() ([]*Lot, error)
	// Badges are the badges this event gave the member.
	Badges   []string
	Order    *Order // the order the event is about, when there is one
	NewOrder bool   // Order was created by this event

	// Counters returns the current values of cap counters by key; the store
	// reads them in the same transaction. Nil means every counter is 0.
	Counters func(keys []string) (map[string]int64, error)
	// Qualifying returns the member's tier qualification since a time, as
	// stored before this transaction: with basis points_earned the points
	// of earn, activate and reverse entries; with spend the order totals
	// less refunds. Nil means nothing qualifies yet.
	Qualifying func(basis string, since time.Time) (*big.Rat, error)
	// Redemptions lets a redemption reach the reward's codes and stock in
	// the same transaction, and records what it did.
	Redemptions Redemptions
	// Referrer finds the member whose referral code is code, in the same
	// transaction. Nil means no code exists.
	Referrer func(code string) (memberID, phone string, found bool, err error)
	// ReferralsThisMonth counts the members linked to the referrer who
	// joined at or after since; the store keeps any other transaction from
	// linking to the same referrer until this one ends. Nil means none.
	ReferralsThisMonth func(referrerID string, since time.Time) (int, error)

	loaded   bool
	loadErr  error
	overflow error // a sum of points that did not fit an int64
	entries  []Entry
	outcomes []Outcome
	changed  map[string]*Lot
	counters map[string]int64 // increments
	// followUps are transactions on other members to run after this one.
	followUps []FollowUp
}

// Changes is what one event did to an account, for the store to write.
type Changes struct {
	Member   Member
	Entries  []Entry
	Lots     []*Lot           // new or changed lots
	Order    *Order           // new or changed order, or nil
	Counters map[string]int64 // increments by key
	Outcomes []Outcome
	// Redemption is a redemption made, confirmed or released, or nil.
	Redemption *Redemption
	// FollowUps are transactions on other members the caller runs once
	// these changes are committed.
	FollowUps []FollowUp
	// Badges given by this event.
	Badges []string
}

// Changes returns what the account's events changed.
func (a *Account) Changes() Changes {
	lots := make([]*Lot, 0, len(a.changed))
	for _, l := range a.changed {
		lots = append(lots, l)
	}
	sort.Slice(lots, func(i, j int) bool { return lots[i].ID < lots[j].ID })
	return Changes{
		Member: a.Member, Entries: a.entries, Lots: lots, Order: a.Order,
		Counters: a.counters, Outcomes: a.outcomes, Redemption: a.Redemptions.changed, Badges: a.Badges,
		FollowUps: a.followUps,
	}
}

// Outcomes returns the outcomes decided so far.
func (a *Account) Outcomes() []Outcome { return a.outcomes }

// Entries returns the entries appended so far.
func (a *Account) Entries() []Entry { return a.entries }

func (a *Account) touch(l *Lot) {
	if a.changed == nil {
		a.changed = map[string]*Lot{}
	}
	a.changed[l.ID] = l
}

func (a *Account) emit(typ string, data map[string]any) {
	a.outcomes = append(a.outcomes, Outcome{Type: typ, Data: data})
}

// mergeEarned folds several points.earned outcomes of one event (a new
// member's welcome points and the points of their purchase) into the first:
// points add up, rules are listed in order, other fields come from the last.
func (a *Account) mergeEarned() {
	first := -1
	out := a.outcomes[:0]
	for _, o := range a.outcomes {
		if o.Type != OutcomePointsEarned {
			out = append(out, o)
			continue
		}
		if first < 0 {
			first = len(out)
			out = append(out, o)
			continue
		}
		merged := out[first].Data
		for k, v := range o.Data {
			switch k {
			case "points":
				merged[k] = merged[k].(int64) + v.(int64)
			case "rules":
				merged[k] = append(append([]string(nil), merged[k].([]string)...), v.([]string)...)
			default:
				merged[k] = v
			}
		}
	}
	a.outcomes = out
}

// append records an entry and moves the balances by its points. Within
// the program's limits no sum overflows; should one (a stored balance
// beyond any limit), the balances keep their values and Err reports it, so
// that the store writes nothing.
func (a *Account) append(e Entry) {
	balance, ok1 := addInt64(a.Member.Balance, e.Points)
	pending, ok2 := addInt64(a.Member.Pending, e.PendingPoints)
	if !ok1 || !ok2 {
		a.overflowed("member %s: balance %d%+d, pending %d%+d", a.Member.ID, a.Member.Balance, e.Points, a.Member.Pending, e.PendingPoints)
		return
	}
	a.Member.Balance, a.Member.Pending = balance, pending
	e.BalanceAfter, e.PendingAfter = a.Member.Balance, a.Member.Pending
	a.entries = append(a.entries, e)
}

func (a *Account) count(key string, n int64) {
	if a.counters == nil {
		a.counters = map[string]int64{}
	}
	sum, ok := addInt64(a.counters[key], n)
	if !ok {
		a.overflowed("counter %s: %d%+d", key, a.counters[key], n)
		return
	}
	a.counters[key] = sum
}

// overflowed keeps the first sum that did not fit for Err.
func (a *Account) overflowed(format string, args ...any) {
	if a.overflow == nil {
		a.overflow = limitError("%s does not fit 64 bits", fmt.Sprintf(format, args...))
	}
}

// all returns every lot of the account, loading the open ones on first use.
// A loading error is kept for Err; the caller goes on with what it has and
// the store discards the transaction.
func (a *Account) all() []*Lot {
	if a.LoadLots == nil || a.loaded {
		return a.Lots
	}
	a.loaded = true
	more, err := a.LoadLots()
	if err != nil {
		a.loadErr = fmt.Errorf("loading lots: %w", err)
		return a.Lots
	}
	have := make(map[string]bool, len(a.Lots))
	for _, l := range a.Lots {
		have[l.ID] = true
	}
	for _, l := range more {
		if !have[l.ID] {
			a.Lots = append(a.Lots, l)
		}
	}
	return a.Lots
}

// Err returns the error of loading lots, or of a sum of points that did not
// fit 64 bits, if there was one: the account's changes must then not be
// written.
func (a *Account) Err() error {
	if a.loadErr != nil {
		return a.loadErr
	}
	return a.overflow
}

// addLot records a new lot: active points first pay off any debt (a
// negative balance the program allowed).
func (a *Account) addLot(l *Lot, e Entry) {
	if l.Status == LotActive && a.Member.Balance < 0 {
		l.Remaining -= min(l.Remaining, debt(a.Member))
	}
	a.Lots = append(a.Lots, l)
	a.touch(l)
	a.append(e)
}

// spendable returns the active lots with points left in the order they are
// consumed: first to expire first (lots that never expire last), then
// oldest first.
func (a *Account) spendable() []*Lot {
	var out []*Lot
	for _, l := range a.all() {
		if l.Status == LotActive && l.Remaining > 0 {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return ConsumeOrder(out[i], out[j]) })
	return out
}

// ConsumeOrder reports whether lot x is consumed before lot y.
func ConsumeOrder(x, y *Lot) bool {
	switch {
	case x.ExpiresAt != nil && y.ExpiresAt == nil:
		return true
	case x.ExpiresAt == nil && y.ExpiresAt != nil:
		return false
	case x.ExpiresAt != nil && !x.ExpiresAt.Equal(*y.ExpiresAt):
		return x.ExpiresAt.Before(*y.ExpiresAt)
	case !x.EarnedAt.Equal(y.EarnedAt):
		return x.EarnedAt.Before(y.EarnedAt)
	default:
		return x.ID < y.ID
	}
}

// consume takes up to n points from the spendable lots, first to expire
// first, and returns how many it took.
func (a *Account) consume(n int64) int64 {
	var taken int64
	for _, l := range a.spendable() {
		if taken == n {
			break
		}
		k := min(l.Remaining, n-taken)
		l.Remaining -= k
		taken += k
		a.touch(l)
	}
	return taken
}

// ErrInsufficientPoints is returned when a redemption or deduction asks for
// more points than the member has.
var ErrInsufficientPoints = errors.New("not enough points")

// Check verifies the account's invariants: the spendable points of the
// active lots equal the balance (or zero while the balance is a debt), the
// pending lots add up to the pending points, and no lot holds more than it
// earned or less than nothing. allowNegative tells whether a debt is allowed.
func (a *Account) Check(allowNegative bool) error {
	var active, pending int64
	for _, l := range a.all() {
		if l.Remaining < 0 || l.Remaining > l.Points || l.Reversed < 0 || l.Reversed > l.Points {
			return fmt.Errorf("lot %s: remaining %d and reversed %d of %d points", l.ID, l.Remaining, l.Reversed, l.Points)
		}
		switch l.Status {
		case LotActive:
			active += l.Remaining
		case LotPending:
			pending += l.Remaining
		}
	}
	if a.Member.Balance < 0 && !allowNegative {
		return fmt.Errorf("balance %d is negative", a.Member.Balance)
	}
	if want := max(a.Member.Balance, 0); active != want {
		return fmt.Errorf("active lots hold %d points, balance is %d", active, a.Member.Balance)
	}
	if a.Member.Balance < 0 && active != 0 {
		return fmt.Errorf("balance %d is a debt but lots hold %d points", a.Member.Balance, active)
	}
	if pending != a.Member.Pending {
		return fmt.Errorf("pending lots hold %d points, pending is %d", pending, a.Member.Pending)
	}
	return nil
}

// proportion returns part/whole between 0 and 1, and 1 for a zero whole
// (all of nothing).
func proportion(part, whole *big.Rat) *big.Rat {
	if whole.Sign() <= 0 {
		return new(big.Rat).SetInt64(1)
	}
	p := new(big.Rat).Quo(part, whole)
	if p.Cmp(big.NewRat(1, 1)) > 0 {
		return big.NewRat(1, 1)
	}
	if p.Sign() < 0 {
		return new(big.Rat)
	}
	return p
}
