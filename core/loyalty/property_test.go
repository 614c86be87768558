package loyalty

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// propertyChecks is how many random sequences the property test runs unless
// -rapid.checks or RAPID_CHECKS says otherwise.
const propertyChecks = 2000

// raiseRapidChecks makes rapid run n checks when the command line and the
// environment leave the number to its default.
func raiseRapidChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	if f == nil || os.Getenv("RAPID_CHECKS") != "" {
		return
	}
	explicit := false
	flag.Visit(func(v *flag.Flag) { explicit = explicit || v.Name == "rapid.checks" })
	if explicit {
		return
	}
	old := f.Value.String()
	require.NoError(t, flag.Set("rapid.checks", strconv.Itoa(n)))
	t.Cleanup(func() { _ = flag.Set("rapid.checks", old) })
}

// ledger is what a store persists of one member: the member, every lot and
// order, the cap counters and the entries, written from Account.Changes.
type ledger struct {
	member   Member
	lots     map[string]*Lot
	orders   map[string]*Order
	counters counterStore
	entries  []Entry
	isNew    bool
}

// load builds the account a store hands to the program for one event: the
// member, the open lots (pending, or active with points left), the lots of
// the event's order and the order itself, all as fresh copies.
func (l *ledger) load(orderID string) *Account {
	a := &Account{Member: l.member, New: l.isNew, Counters: l.counters.read}
	if o, ok := l.orders[orderID]; ok && orderID != "" {
		c := *o
		a.Order = &c
	}
	ids := make([]string, 0, len(l.lots))
	for id := range l.lots {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		lot := l.lots[id]
		open := lot.Status == LotPending || (lot.Status == LotActive && lot.Remaining > 0)
		if open || (a.Order != nil && lot.OrderID == a.Order.ID) {
			c := *lot
			a.Lots = append(a.Lots, &c)
		}
	}
	return a
}

// save writes what the account's event changed, after checking that every
// lot the program modified is among the changes.
func (l *ledger) save(t *rapid.T, a *Account) {
	c := a.Changes()
	changed := map[string]bool{}
	for _, lot := range c.Lots {
		changed[lot.ID] = true
	}
	for _, lot := range a.Lots {
		if old, ok := l.lots[lot.ID]; ok && !changed[lot.ID] && !sameLot(old, lot) {
			t.Fatalf("lot %s changed but is not among the changes: %+v, was %+v", lot.ID, *lot, *old)
		}
		if _, ok := l.lots[lot.ID]; !ok && !changed[lot.ID] {
			t.Fatalf("new lot %s is not among the changes", lot.ID)
		}
	}
	l.member = c.Member
	for _, lot := range c.Lots {
		cp := *lot
		l.lots[lot.ID] = &cp
	}
	if c.Order != nil {
		o := *c.Order
		l.orders[o.ID] = &o
	}
	l.counters.add(c.Counters)
	l.entries = append(l.entries, c.Entries...)
	l.isNew = false
}

// reverse refunds (an amount drawn by amount) or cancels one of orderIDs,
// drawn at random, on the account a store would load for it.
func (l *ledger) reverse(t *rapid.T, p *Program, cancel bool, evID string, now time.Time, orderIDs []string, amount func() string) (*Account, error) {
	id := rapid.SampledFrom(orderIDs).Draw(t, "order")
	a := l.load(id)
	if cancel {
		return a, p.Apply(a, cancelEvent(t, evID, id, now))
	}
	return a, p.Apply(a, refundEvent(t, evID, id, amount(), now))
}

func sameLot(x, y *Lot) bool {
	eq := func(a, b *time.Time) bool { return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b)) }
	return x.Remaining == y.Remaining && x.Reversed == y.Reversed && x.Status == y.Status && x.Points == y.Points &&
		eq(x.ActivatesAt, y.ActivatesAt) && eq(x.ExpiresAt, y.ExpiresAt)
}

// check asserts the invariants over everything persisted so far.
func (l *ledger) check(t *rapid.T, p *Program, step string) {
	all := &Account{Member: l.member}
	for _, lot := range l.lots {
		if lot.Remaining < 0 || lot.Remaining > lot.Points {
			t.Fatalf("%s: lot %s has %d of %d points left", step, lot.ID, lot.Remaining, lot.Points)
		}
		if lot.Reversed < 0 || lot.Remaining+lot.Reversed > lot.Points {
			t.Fatalf("%s: lot %s has %d left and %d reversed of %d points", step, lot.ID, lot.Remaining, lot.Reversed, lot.Points)
		}
		all.Lots = append(all.Lots, lot)
	}
	if err := all.Check(p.AllowNegative); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	for _, o := range l.orders {
		total, err := ParseAmount(o.Total)
		if err != nil {
			t.Fatalf("%s: order %s total: %v", step, o.ID, err)
		}
		refunded, err := ParseAmount(o.Refunded)
		if err != nil {
			t.Fatalf("%s: order %s refunded: %v", step, o.ID, err)
		}
		if refunded.Sign() < 0 || refunded.Cmp(total) > 0 {
			t.Fatalf("%s: order %s refunded %s of %s", step, o.ID, o.Refunded, o.Total)
		}
	}
	var balance, pending int64
	for _, e := range l.entries {
		balance += e.Points
		pending += e.PendingPoints
	}
	if balance != l.member.Balance {
		t.Fatalf("%s: entries add up to %d, balance is %d", step, balance, l.member.Balance)
	}
	if pending != l.member.Pending {
		t.Fatalf("%s: entries add up to %d pending, pending is %d", step, pending, l.member.Pending)
	}
	if n := len(l.entries); n > 0 {
		last := l.entries[n-1]
		if last.BalanceAfter != l.member.Balance || last.PendingAfter != l.member.Pending {
			t.Fatalf("%s: the last entry says %d/%d, the member %d/%d", step,
				last.BalanceAfter, last.PendingAfter, l.member.Balance, l.member.Pending)
		}
	}
	if !p.AllowNegative && l.member.Balance < 0 {
		t.Fatalf("%s: balance %d is negative", step, l.member.Balance)
	}
	if l.member.Pending < 0 {
		t.Fatalf("%s: pending %d is negative", step, l.member.Pending)
	}
}

// randomProgram draws a program: spend points with random rounding,
// exclusions and multipliers, a bonus with a condition and caps, welcome
// points, random pending days, expiry and debt policy.
func randomProgram(t *rapid.T) *Program {
	spend := config.EarnRule{
		Name: "spend", On: event.TypeOrderPaid,
		PendingDays: pendingDays(t, 20, "spend_pending_days"),
		Spend: &config.Spend{
			Unit:              rapid.SampledFrom([]string{"1000", "2500", "0.5"}).Draw(t, "unit"),
			Points:            rapid.Int64Range(1, 5).Draw(t, "points_per_unit"),
			Rounding:          rapid.SampledFrom([]string{config.RoundFloor, config.RoundHalfUp, config.RoundCeil}).Draw(t, "rounding"),
			MinOrder:          rapid.SampledFrom([]string{"0", "10000"}).Draw(t, "min_order"),
			ExcludeSKUs:       []string{"GIFT"},
			ExcludeCategories: []string{"tobacco"},
			Multipliers: []config.Multiplier{
				{SKUs: []string{"coffee"}, Factor: rapid.SampledFrom([]string{"2", "1.5", "0.5"}).Draw(t, "factor")},
			},
		},
	}
	bonus := config.EarnRule{
		Name: "bonus", On: event.TypeOrderPaid, When: `type == "order.paid" && member.balance >= 0`,
		Points:      strconv.Itoa(rapid.IntRange(0, 150).Draw(t, "bonus_points")),
		PendingDays: pendingDays(t, 10, "bonus_pending_days"),
		Caps: config.Caps{
			PerMemberDay:  rapid.Int64Range(0, 200).Draw(t, "cap_day"),
			PerMemberWeek: rapid.Int64Range(0, 400).Draw(t, "cap_week"),
			PerMember:     rapid.Int64Range(0, 1000).Draw(t, "cap_all"),
		},
	}
	welcome := fixedRule("welcome", event.TypeMemberJoined, strconv.Itoa(rapid.IntRange(0, 200).Draw(t, "welcome")))
	welcome.PendingDays = pendingDays(t, 3, "welcome_pending_days")

	expiry := config.Expiry{Policy: rapid.SampledFrom([]string{
		config.ExpiryNever, config.ExpiryAfterDays, config.ExpiryEndOfMonth, config.ExpiryEndOfYear,
	}).Draw(t, "expiry")}
	switch expiry.Policy {
	case config.ExpiryAfterDays:
		expiry.Days = rapid.IntRange(1, 60).Draw(t, "expiry_days")
	case config.ExpiryEndOfMonth, config.ExpiryEndOfYear:
		expiry.Months = rapid.IntRange(0, 3).Draw(t, "expiry_months")
	}
	return compileProgram(t, config.Loyalty{
		Currency:      "IDR",
		AllowNegative: rapid.Bool().Draw(t, "allow_negative"),
		Combine:       rapid.SampledFrom([]string{config.CombineStack, config.CombineBestOf, config.CombineFirstMatch}).Draw(t, "combine"),
		Rules:         []config.EarnRule{spend, bonus, welcome},
		Expiry:        expiry,
	})
}

// pendingDays draws no returns window half of the time, else up to max days.
func pendingDays(t *rapid.T, max int, label string) int {
	if rapid.Bool().Draw(t, label+"_held") {
		return rapid.IntRange(1, max).Draw(t, label)
	}
	return 0
}

// amount draws a decimal amount up to max major units.
func amount(t *rapid.T, max int, label string) string {
	major := rapid.IntRange(0, max).Draw(t, label)
	if rapid.Bool().Draw(t, label+"_whole") {
		return strconv.Itoa(major)
	}
	return fmt.Sprintf("%d.%02d", major, rapid.IntRange(0, 99).Draw(t, label+"_cents"))
}

func randomItems(t *rapid.T) []event.OrderItem {
	n := rapid.IntRange(0, 4).Draw(t, "items")
	items := make([]event.OrderItem, n)
	for i := range items {
		it := event.OrderItem{
			SKU:      rapid.SampledFrom([]string{"coffee", "COFFEE", "gift", "tea", "cig"}).Draw(t, "sku"),
			Category: rapid.SampledFrom([]string{"", "drinks", "Tobacco"}).Draw(t, "category"),
		}
		if rapid.Bool().Draw(t, "item_total") {
			it.Total = amount(t, 200000, "line_total")
		} else {
			it.Price = amount(t, 100000, "price")
			it.Quantity = strconv.Itoa(rapid.IntRange(1, 3).Draw(t, "quantity"))
		}
		items[i] = it
	}
	return items
}

func TestEngineProperties(t *testing.T) {
	raiseRapidChecks(t, propertyChecks)
	rapid.Check(t, func(t *rapid.T) {
		p := randomProgram(t)
		l := &ledger{
			member:   Member{ID: "mem_1", Tenant: testTenant, Phone: "+628111111111", CreatedAt: t0},
			lots:     map[string]*Lot{},
			orders:   map[string]*Order{},
			counters: counterStore{},
			isNew:    rapid.Bool().Draw(t, "new_member"),
		}
		now := t0
		var orderIDs []string
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 96).Draw(t, "hours")) * time.Hour)
			evID := fmt.Sprintf("ev_%d", i)
			action := "pay"
			if i > 0 {
				action = rapid.SampledFrom([]string{
					"pay", "pay", "pay_again", "refund", "refund", "cancel", "refund_unknown", "adjust", "activate", "expire", "tick",
				}).Draw(t, "action")
			}
			step := fmt.Sprintf("step %d (%s)", i, action)

			var a *Account
			var err error
			var allowed []error
			switch action {
			case "pay", "pay_again":
				id := fmt.Sprintf("o%d", i)
				if action == "pay_again" && len(orderIDs) > 0 {
					id = rapid.SampledFrom(orderIDs).Draw(t, "order")
				}
				a = l.load(id)
				o := event.OrderPaid{OrderID: id, Phone: l.member.Phone, Total: amount(t, 500000, "total"), Currency: "IDR", Items: randomItems(t)}
				err = p.Apply(a, paidEvent(t, evID, now, o))
				if err == nil && a.NewOrder {
					orderIDs = append(orderIDs, id)
				}
			case "refund", "cancel":
				if len(orderIDs) == 0 {
					continue
				}
				a, err = l.reverse(t, p, action == "cancel", evID, now, orderIDs, func() string { return amount(t, 600000, "refund") })
			case "refund_unknown":
				a = l.load("missing")
				err = p.Apply(a, refundEvent(t, evID, "missing", "1000", now))
				allowed = []error{ErrOrderNotFound}
				if err == nil {
					t.Fatalf("%s: a refund of an unknown order succeeded", step)
				}
			case "adjust":
				points := rapid.Int64Range(-400, 200).Filter(func(n int64) bool { return n != 0 }).Draw(t, "adjust")
				a = l.load("")
				err = p.Adjust(a, evID, points, "manual correction", now)
				allowed = []error{ErrInsufficientPoints}
				if err != nil && (p.AllowNegative || points > 0) {
					t.Fatalf("%s: %v", step, err)
				}
			case "activate":
				a = l.load("")
				p.ActivateDue(a, evID, now)
			case "expire":
				a = l.load("")
				p.ExpireDue(a, evID, now)
			case "tick":
				a = l.load("")
				p.ActivateDue(a, evID, now)
				p.ExpireDue(a, evID, now)
			}
			if err != nil {
				ok := false
				for _, want := range allowed {
					ok = ok || errors.Is(err, want)
				}
				if !ok {
					t.Fatalf("%s: unexpected error: %v", step, err)
				}
				continue // the store rolls the transaction back
			}
			if err := a.Check(p.AllowNegative); err != nil {
				t.Fatalf("%s: the account breaks its invariants: %v", step, err)
			}
			l.save(t, a)
			l.check(t, p, step)
		}
	})
}
